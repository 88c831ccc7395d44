r"""Learning-rate schedules ``count -> rate`` and the plateau transform; docs/spec/schedules.md.

Every schedule is a pure function of the 0-based update count (the first update uses
``schedule(0)``, as in optax). It accepts Python or jax integers and floats, scalars or arrays
(element-wise), works under ``jax.jit`` and ``jax.vmap`` (over counts *and* over its own
hyperparameters: the factories never branch in Python on anything but Python numbers, which they
validate), and can be passed as the ``learning_rate`` of any optimizer. Formulas quoted in the
literature with a 1-based step (Vaswani's ``step_num``, $1/\sqrt{t}$) are evaluated at
$s = \mathrm{count} + 1$, so that no schedule returns $0$ or $\infty$ at count 0 by accident
(only :func:`linear_warmup`'s ``init_value=0`` makes the first update a no-op, on purpose).

Epoch-based schedules (the seeds index the rate by epoch: [002] "×0.1 at epochs 30, 60, 90")
become per-step schedules with :func:`per_epoch`.

Robbins–Monro ([000], docs/spec/gradient-descent.md#theory-6): SGD converges almost surely for convex losses if
$\sum_t \eta_t = \infty$ and $\sum_t \eta_t^2 < \infty$.

=====================  ========================  ==========================================
schedule               $\sum\eta_t$              $\sum\eta_t^2$
=====================  ========================  ==========================================
inverse_time_decay     $\infty$                  $< \infty$ (the only one satisfying both)
constant, step, sgdr,  $\infty$                  $\infty$
cyclic, batch-scaled
inverse_sqrt,          $\infty$                  $\infty$ (only logarithmically)
transformer
exponential            $< \infty$                $< \infty$
linear, polynomial,    $< \infty$ (zero after T  $< \infty$
cosine (alpha = 0)     steps)
=====================  ========================  ==========================================

Modules: :mod:`~jaxopt_lectures.schedules.decay` (constant, step, exponential, 1/t, inverse sqrt,
polynomial, linear, cosine, Transformer), :mod:`~jaxopt_lectures.schedules.cyclic` (SGDR, triangular),
:mod:`~jaxopt_lectures.schedules.compose` (warm-up, batch-size scaling, per-epoch) and
:mod:`~jaxopt_lectures.schedules.plateau` (the reduce-on-plateau transform).
"""

from jaxopt_lectures.schedules._common import Schedule
from jaxopt_lectures.schedules.compose import batch_size_scaled, linear_warmup, per_epoch
from jaxopt_lectures.schedules.cyclic import cyclic_triangular, sgdr
from jaxopt_lectures.schedules.decay import (
    constant_schedule,
    cosine_decay,
    exponential_decay,
    inverse_sqrt_decay,
    inverse_time_decay,
    linear_decay,
    polynomial_decay,
    step_decay,
    transformer_schedule,
)
from jaxopt_lectures.schedules.plateau import ReduceOnPlateauState, reduce_on_plateau

__all__ = [
    "ReduceOnPlateauState",
    "Schedule",
    "batch_size_scaled",
    "constant_schedule",
    "cosine_decay",
    "cyclic_triangular",
    "exponential_decay",
    "inverse_sqrt_decay",
    "inverse_time_decay",
    "linear_decay",
    "linear_warmup",
    "per_epoch",
    "polynomial_decay",
    "reduce_on_plateau",
    "sgdr",
    "step_decay",
    "transformer_schedule",
]
