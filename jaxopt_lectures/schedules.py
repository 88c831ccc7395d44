r"""Learning-rate schedules ``count -> rate`` and the plateau transform; SPEC.md §18.

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

Robbins–Monro ([000], SPEC.md §1.6): SGD converges almost surely for convex losses if
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
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from jaxopt_lectures._validate import check_learning_rate, check_range, is_python_number

Schedule = Callable[[Any], jax.Array]


def _float_count(count: Any) -> jax.Array:
    """The count as a float array (default float dtype for integer counts, kept for float counts)."""
    t = jnp.asarray(count)
    return t if jnp.issubdtype(t.dtype, jnp.floating) else t.astype(jnp.result_type(float))


def _check_rate(name: str, value: Any) -> None:
    """A rate value (init/peak/end) is a finite number >= 0 when it is a Python number."""
    check_range(name, value, 0.0, math.inf, high_open=True)


def constant_schedule(value: float) -> Schedule:
    r"""No decay: $\eta_t = \eta$.

    Lecture: [001] "no decay" in the list of learning-rate decays. SPEC.md §18. Same as
    ``optax.constant_schedule``.
    Robbins–Monro: $\sum\eta = \infty$ but $\sum\eta^2 = \infty$ (violated; SGD only reaches a
    noise ball of radius $O(\eta)$).

    Args:
        value: $\eta \ge 0$.

    Raises:
        ValueError: ``value`` is a negative Python number.

    References:
        Robbins & Monro, A stochastic approximation method, Ann. Math. Stat. 1951.

    Example:
        >>> import jaxopt_lectures as jol
        >>> print(jol.constant_schedule(0.1)(1000))
        0.1
    """
    _check_rate("value", value)

    def schedule(count: Any) -> jax.Array:
        t = _float_count(count)
        return jnp.broadcast_to(jnp.asarray(value, t.dtype), t.shape)

    return schedule


def _check_boundaries(boundaries: Any) -> None:
    if not isinstance(boundaries, Sequence):
        return  # arrays (possibly traced) are not checked
    ok = all(isinstance(b, numbers.Integral) and not isinstance(b, bool) and b >= 0 for b in boundaries)
    if not ok or any(b1 <= b0 for b0, b1 in zip(boundaries, boundaries[1:])):
        raise ValueError(f"boundaries={list(boundaries)!r} must be strictly increasing non-negative integers")


def step_decay(init_value: float, boundaries: Sequence[int], factor: float = 0.1) -> Schedule:
    r"""Step decay: $\eta_t = \eta_0 \cdot \mathrm{factor}^{\#\{b \in \mathrm{boundaries}:\, t \ge b\}}$.

    The rate drops by ``factor`` *at* each boundary count (the update with count $b$ already uses
    the reduced rate). With :func:`per_epoch` the boundaries are epochs: the CS231n example
    "×0.1 at epochs 30, 60, 90" is ``per_epoch(step_decay(η0, [30, 60, 90]), steps_per_epoch)``.

    Lecture: [002] "Learning rate decay: step" (ResNet ×0.1 at epochs 30, 60, 90); [001] list.
    SPEC.md §18. Same as ``optax.piecewise_constant_schedule(η0, {b: factor for b in boundaries})``
    and ``torch.optim.lr_scheduler.MultiStepLR(milestones=boundaries, gamma=factor)``.
    Robbins–Monro: finitely many steps leave a constant tail, so $\sum\eta^2 = \infty$.

    Args:
        init_value: $\eta_0 \ge 0$.
        boundaries: strictly increasing non-negative integer counts (or an array, unchecked).
        factor: multiplier $> 0$ applied at each boundary.

    Raises:
        ValueError: negative ``init_value``, ``factor`` $\le 0$, or ``boundaries`` not strictly
            increasing non-negative integers.

    References:
        He, Zhang, Ren & Sun, Deep residual learning for image recognition, CVPR 2016.

    Example:
        >>> import jaxopt_lectures as jol
        >>> s = jol.step_decay(1.0, [30, 60, 90], factor=0.5)
        >>> print(s(29), s(30), s(95))
        1.0 0.5 0.125
    """
    _check_rate("init_value", init_value)
    check_range("factor", factor, 0.0, low_open=True)
    _check_boundaries(boundaries)
    b = jnp.asarray(boundaries)

    def schedule(count: Any) -> jax.Array:
        t = _float_count(count)
        passed = jnp.sum(t[..., None] >= b.astype(t.dtype), axis=-1) if b.size else jnp.zeros(t.shape, jnp.int32)
        return init_value * jnp.power(jnp.asarray(factor, t.dtype), passed)

    return schedule


def exponential_decay(init_value: float, decay_rate: float, decay_steps: float = 1,
                      staircase: bool = False) -> Schedule:
    r"""Exponential decay: $\eta_t = \eta_0\, r^{t/k}$ ($r^{\lfloor t/k \rfloor}$ if ``staircase``).

    Note the argument order: the *rate* $r$ comes second, unlike
    ``optax.exponential_decay(init_value, transition_steps, decay_rate)``; pass keywords when
    porting. Unlike optax (which silently returns a constant schedule), ``decay_rate <= 0`` and
    ``decay_steps < 1`` raise.

    Lecture: [000] "exponential decay" $\alpha_0 c^t$; [001] list. SPEC.md §18. Same as
    ``optax.exponential_decay(η0, transition_steps=k, decay_rate=r, staircase=…)``; for $k = 1$
    ``torch.optim.lr_scheduler.ExponentialLR(gamma=r)``.
    Robbins–Monro: for $r < 1$, $\sum\eta_t = \eta_0/(1 - r^{1/k}) < \infty$ (violated: SGD can
    stop short of the minimum).

    Args:
        init_value: $\eta_0 \ge 0$.
        decay_rate: $r > 0$ (per ``decay_steps`` counts; $r > 1$ grows).
        decay_steps: $k \ge 1$.
        staircase: decay in discrete jumps every $k$ counts.

    Raises:
        ValueError: ``decay_rate <= 0``, ``decay_steps < 1`` or negative ``init_value``.

    References:
        Bengio, Practical recommendations for gradient-based training of deep architectures, 2012.

    Example:
        >>> import jaxopt_lectures as jol
        >>> print(jol.exponential_decay(1.0, 0.5, decay_steps=2)(4))
        0.25
        >>> print(jol.exponential_decay(1.0, 0.5, decay_steps=2, staircase=True)(3))
        0.5
    """
    _check_rate("init_value", init_value)
    check_range("decay_rate", decay_rate, 0.0, low_open=True)
    check_range("decay_steps", decay_steps, 1.0)

    # log r in float64 when r is a Python number: float32(0.997)**1200 is off by 2e-5, exp(t·log r) by 2e-7
    log_r = math.log(decay_rate) if is_python_number(decay_rate) else jnp.log(decay_rate)

    def schedule(count: Any) -> jax.Array:
        t = _float_count(count)
        p = t / decay_steps
        return init_value * jnp.exp((jnp.floor(p) if staircase else p) * log_r)

    return schedule


def inverse_time_decay(init_value: float, decay_rate: float, decay_steps: float = 1) -> Schedule:
    r"""1/t decay: $\eta_t = \eta_0 / (1 + r\, t / k)$.

    Lecture: [001] "1/t decay $\eta_0/(1+kt)$" (here $k$ of the slide is ``decay_rate/decay_steps``).
    SPEC.md §18, §1.6. No optax equivalent; same formula as Keras ``InverseTimeDecay`` (non-staircase).
    Robbins–Monro: the only schedule here with $\sum\eta = \infty$ (harmonic series) *and*
    $\sum\eta^2 < \infty$ — the classical condition for almost-sure SGD convergence.

    Args:
        init_value: $\eta_0 \ge 0$.
        decay_rate: $r \ge 0$ ($0$ is a constant rate).
        decay_steps: $k \ge 1$.

    Raises:
        ValueError: ``decay_rate < 0``, ``decay_steps < 1`` or negative ``init_value``.

    References:
        Robbins & Monro, A stochastic approximation method, Ann. Math. Stat. 1951.

    Example:
        >>> import jaxopt_lectures as jol
        >>> print(jol.inverse_time_decay(1.0, 0.5, decay_steps=10)(20))
        0.5
    """
    _check_rate("init_value", init_value)
    check_range("decay_rate", decay_rate, 0.0)
    check_range("decay_steps", decay_steps, 1.0)

    def schedule(count: Any) -> jax.Array:
        t = _float_count(count)
        return init_value / (1 + decay_rate * t / decay_steps)

    return schedule


def inverse_sqrt_decay(init_value: float, warmup_steps: float = 0) -> Schedule:
    r"""Inverse square root decay at the 1-based $s = t + 1$.

    $w = 0$: $\eta_t = \eta_0/\sqrt{s}$; $w \ge 1$: $\eta_t = \eta_0 \min(s/w, \sqrt{w/s})$, a linear
    warm-up to the peak $\eta_0$ at count $w - 1$ followed by $\eta_0\sqrt{w/s}$. The 1-based $s$
    is what the lectures' $\alpha_0/\sqrt{t}$ means (the first update must not divide by
    $\sqrt{0}$). For $w \ge 1$ this is $\eta_0\sqrt{d\,w}$ times :func:`transformer_schedule`.

    Lecture: [000] "inverse-square decay" $\alpha_0/\sqrt{t}$ (the name is a typo for inverse
    square root); [001] list; [002] "Inverse sqrt" (Vaswani et al.). SPEC.md §18.
    Robbins–Monro: $\sum\eta = \infty$, $\sum\eta^2 = \eta_0^2\sum 1/s = \infty$ (violated, only
    logarithmically).

    Args:
        init_value: $\eta_0 \ge 0$, the peak rate.
        warmup_steps: $w \ge 0$.

    Raises:
        ValueError: ``warmup_steps < 0`` or negative ``init_value``.

    References:
        Vaswani et al., Attention is all you need, NeurIPS 2017.

    Example:
        >>> import jaxopt_lectures as jol
        >>> print(jol.inverse_sqrt_decay(1.0)(3))
        0.5
        >>> s = jol.inverse_sqrt_decay(1.0, warmup_steps=4)
        >>> print(s(0), s(3), s(15))
        0.25 1.0 0.5
    """
    _check_rate("init_value", init_value)
    check_range("warmup_steps", warmup_steps, 0.0)

    def schedule(count: Any) -> jax.Array:
        s = _float_count(count) + 1
        w = jnp.asarray(warmup_steps, s.dtype)
        safe_w = jnp.where(w > 0, w, 1)
        warm = jnp.minimum(s / safe_w, jnp.sqrt(safe_w / s))
        return init_value * jnp.where(w > 0, warm, 1 / jnp.sqrt(s))

    return schedule


def polynomial_decay(init_value: float, end_value: float, power: float, decay_steps: float) -> Schedule:
    r"""Polynomial decay: $\eta_t = (\eta_0 - \eta_T)(1 - \min(t, T)/T)^p + \eta_T$.

    Constant at $\eta_T$ for $t \ge T$ (the bare formula would rise again).

    Lecture: [000] "polynomial decay". SPEC.md §18. Same as
    ``optax.polynomial_schedule(η0, η_T, p, transition_steps=T)``; with $\eta_T = 0$ as
    ``torch.optim.lr_scheduler.PolynomialLR(total_iters=T, power=p)``.
    Robbins–Monro: with $\eta_T = 0$ the rate is 0 after $T$ steps, so $\sum\eta < \infty$
    (training stops at $T$ by design); with $\eta_T > 0$, $\sum\eta^2 = \infty$.

    Args:
        init_value: $\eta_0 \ge 0$.
        end_value: $\eta_T \ge 0$.
        power: $p > 0$.
        decay_steps: $T \ge 1$.

    Raises:
        ValueError: ``power <= 0``, ``decay_steps < 1`` or a negative rate.

    References:
        Chen et al., DeepLab, IEEE TPAMI 2018 ("poly" learning-rate policy).

    Example:
        >>> import jaxopt_lectures as jol
        >>> print(jol.polynomial_decay(1.0, 0.0, power=2, decay_steps=10)(5))
        0.25
    """
    _check_rate("init_value", init_value)
    _check_rate("end_value", end_value)
    check_range("power", power, 0.0, low_open=True)
    check_range("decay_steps", decay_steps, 1.0)

    def schedule(count: Any) -> jax.Array:
        t = _float_count(count)
        remaining = 1 - jnp.clip(t, 0, decay_steps) / decay_steps
        return (init_value - end_value) * jnp.power(remaining, power) + end_value

    return schedule


def linear_decay(init_value: float, end_value: float, decay_steps: float) -> Schedule:
    r"""Linear decay: $\eta_t = \eta_0 + (\eta_T - \eta_0)\min(t, T)/T$ (power 1 of :func:`polynomial_decay`).

    Lecture: [000] $\alpha_0(1 - t/\text{max\_steps})$; [001] list; [002] "Linear" $\alpha_0(1-t/T)$
    (BERT). SPEC.md §18. Same as ``optax.linear_schedule(η0, η_T, transition_steps=T)``.
    Robbins–Monro: reaches $\eta_T$ in finite time ($\sum\eta < \infty$ for $\eta_T = 0$).

    Args:
        init_value: $\eta_0 \ge 0$.
        end_value: $\eta_T \ge 0$.
        decay_steps: $T \ge 1$.

    Raises:
        ValueError: ``decay_steps < 1`` or a negative rate.

    References:
        Devlin et al., BERT, NAACL 2019.

    Example:
        >>> import jaxopt_lectures as jol
        >>> print(jol.linear_decay(1.0, 0.2, decay_steps=10)(5), jol.linear_decay(1.0, 0.2, 10)(50))
        0.6 0.2
    """
    return polynomial_decay(init_value, end_value, 1.0, decay_steps)


def cosine_decay(init_value: float, decay_steps: float, alpha: float = 0.0) -> Schedule:
    r"""Cosine decay with floor: $\eta_t = \eta_0\,[(1-a)\tfrac12(1 + \cos(\pi \min(t,T)/T)) + a]$.

    Computed as $\eta_0 - \eta_0(1-a)\tfrac12(1 - \cos(\cdot))$ so that count 0 gives exactly $\eta_0$.
    Constant at $a\,\eta_0$ for $t \ge T$.

    Lecture: [000] "cosine decay"; [001] list; [002] "Cosine" $\tfrac12\alpha_0(1 + \cos(t\pi/T))$.
    SPEC.md §18. Same as ``optax.cosine_decay_schedule(η0, T, alpha=a)``; for $t \le T$ as
    ``torch.optim.lr_scheduler.CosineAnnealingLR(T_max=T, eta_min=a·η0)``.
    Robbins–Monro: $a = 0$ stops at $T$ ($\sum\eta < \infty$); $a > 0$ leaves a constant tail.

    Args:
        init_value: $\eta_0 \ge 0$.
        decay_steps: $T \ge 1$.
        alpha: $0 \le a \le 1$, the final rate as a fraction of $\eta_0$.

    Raises:
        ValueError: ``decay_steps < 1``, ``alpha`` outside $[0, 1]$ or negative ``init_value``.

    References:
        Loshchilov & Hutter, SGDR: stochastic gradient descent with warm restarts, ICLR 2017.

    Example:
        >>> import jaxopt_lectures as jol
        >>> s = jol.cosine_decay(1.0, decay_steps=100, alpha=0.1)
        >>> print(s(0), s(50), s(100), s(500))
        1.0 0.55 0.1 0.1
    """
    _check_rate("init_value", init_value)
    check_range("decay_steps", decay_steps, 1.0)
    check_range("alpha", alpha, 0.0, 1.0)

    def schedule(count: Any) -> jax.Array:
        t = _float_count(count)
        fraction = jnp.clip(t, 0, decay_steps) / decay_steps
        return init_value - init_value * (1 - alpha) * 0.5 * (1 - jnp.cos(jnp.pi * fraction))

    return schedule


def _sgdr_cycle(t: jax.Array, period: Any, period_mult: Any) -> tuple[jax.Array, jax.Array]:
    """(steps since the last restart, length of the current cycle) for cycles P, P·m, P·m², …

    The cycle index comes from the closed form i = ⌊log(1 + t(m−1)/P)/log m⌋ (⌊t/P⌋ for m = 1)
    and is then corrected against the restart counts R_i = P(m^i − 1)/(m − 1), computed with an
    integer exponent (exact for integer P and m), so that every restart count lands in the new cycle.
    """
    P, m = jnp.asarray(period, t.dtype), jnp.asarray(period_mult, t.dtype)
    geometric = m > 1
    safe_m = jnp.where(geometric, m, 2)  # m = 1 lanes must not divide by log 1 = 0

    def restart(i: jax.Array) -> jax.Array:
        return jnp.where(geometric, P * (jnp.power(safe_m, i) - 1) / (safe_m - 1), P * i.astype(t.dtype))

    guess = jnp.where(geometric, jnp.log1p(jnp.maximum(t, 0) * (safe_m - 1) / P) / jnp.log(safe_m), t / P)
    i = jnp.maximum(jnp.floor(guess), 0).astype(jnp.int32)
    i = i + (restart(i + 1) <= t).astype(jnp.int32) - (restart(i) > t).astype(jnp.int32)
    return t - restart(i), P * jnp.power(m, i)


def sgdr(init_value: float, period: float, *, period_mult: float = 1, min_value: float = 0.0) -> Schedule:
    r"""Cosine annealing with warm restarts (SGDR).

    Cycle $i = 0, 1, \dots$ has length $T_i = P\,m^i$ and starts at count $R_i = P(m^i - 1)/(m - 1)$
    ($R_i = iP$ for $m = 1$); with $t_c = t - R_i$ the steps since the last restart,
    $\eta_t = \eta_{\min} + \tfrac12(\eta_0 - \eta_{\min})(1 + \cos(\pi t_c / T_i))$. Every restart
    count gives exactly $\eta_0$ (the cycle index is corrected against exact restart counts, and
    the formula is evaluated as $\eta_0 - \tfrac12(\eta_0-\eta_{\min})(1 - \cos)$).

    Lecture: [001] "cosine annealing / SGDR"; [002] cites SGDR; [000] "cyclic restarts". SPEC.md §18.
    Same as ``torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(T_0=P, T_mult=m, eta_min=η_min)``
    and, cycle by cycle, ``optax.sgdr_schedule`` (which has no ``period_mult``: each cycle is listed).
    Robbins–Monro: periodic, so $\sum\eta^2 = \infty$ (restarts are for escaping, not for converging).

    Args:
        init_value: $\eta_0 \ge 0$, the rate at every restart.
        period: $P \ge 1$, the length of the first cycle.
        period_mult: $m \ge 1$ (integer in torch; any float here).
        min_value: $0 \le \eta_{\min} \le \eta_0$.

    Raises:
        ValueError: ``period < 1``, ``period_mult < 1``, ``min_value`` outside $[0, \eta_0]$.

    References:
        Loshchilov & Hutter, SGDR: stochastic gradient descent with warm restarts, ICLR 2017.

    Example:
        >>> import jaxopt_lectures as jol
        >>> s = jol.sgdr(1.0, period=10, period_mult=2)
        >>> print(s(0), s(5), s(10), s(20), s(30), s(70))
        1.0 0.5 1.0 0.5 1.0 1.0
    """
    _check_rate("init_value", init_value)
    check_range("period", period, 1.0)
    check_range("period_mult", period_mult, 1.0)
    check_range("min_value", min_value, 0.0, init_value)

    def schedule(count: Any) -> jax.Array:
        t_c, T_i = _sgdr_cycle(_float_count(count), period, period_mult)
        return init_value - 0.5 * (init_value - min_value) * (1 - jnp.cos(jnp.pi * t_c / T_i))

    return schedule


def linear_warmup(schedule: optax.ScalarOrSchedule, warmup_steps: float, init_value: float = 0.0) -> Schedule:
    r"""Linear warm-up in front of any schedule.

    $t < w$: $\eta_t = \eta_{\text{init}} + (\eta^{s}(0) - \eta_{\text{init}})\,t/w$; $t \ge w$:
    $\eta_t = \eta^{s}(t - w)$: the wrapped schedule starts *after* the warm-up (its horizon is
    shifted by $w$; ``optax.warmup_cosine_decay_schedule``'s ``decay_steps`` instead includes the
    warm-up). With the default ``init_value=0`` the first update (count 0) is a no-op, as in
    optax's warm-up schedules. The wrapped schedule is evaluated at $\max(t - w, 0)$, so it never
    sees a negative count.

    Lecture: [002] "Linear warmup" (from 0 over ~5000 iterations, with large batches); [000]
    "warmup". SPEC.md §18. Same as ``optax.join_schedules([optax.linear_schedule(init, s(0), w), s], [w])``.
    Robbins–Monro: a finite prefix changes neither sum; the wrapped schedule decides.

    Args:
        schedule: any ``count -> rate`` (or a number, i.e. a constant rate).
        warmup_steps: $w \ge 0$ ($0$ returns the wrapped schedule's values).
        init_value: $\eta_{\text{init}} \ge 0$, the rate at count 0.

    Raises:
        ValueError: ``warmup_steps < 0``, negative ``init_value`` or a negative constant ``schedule``.

    References:
        Goyal et al., Accurate, large minibatch SGD: training ImageNet in 1 hour, 2017.

    Example:
        >>> import jaxopt_lectures as jol
        >>> s = jol.linear_warmup(jol.cosine_decay(1.0, decay_steps=100), warmup_steps=10)
        >>> print(s(0), s(5), s(10), s(60))
        0.0 0.5 1.0 0.5
    """
    check_learning_rate(schedule, "schedule")
    check_range("warmup_steps", warmup_steps, 0.0)
    _check_rate("init_value", init_value)
    inner = schedule if callable(schedule) else constant_schedule(schedule)

    def warmed(count: Any) -> jax.Array:
        t = _float_count(count)
        w = jnp.asarray(warmup_steps, t.dtype)
        after = inner(jnp.maximum(t - w, 0))
        peak = inner(jnp.zeros_like(t))
        ramp = init_value + (peak - init_value) * t / jnp.where(w > 0, w, 1)
        return jnp.where(t < w, ramp, after)

    return warmed


def cyclic_triangular(min_value: float, max_value: float, half_period: float) -> Schedule:
    r"""Triangular cyclical learning rate (Smith 2017).

    $c = \lfloor 1 + t/(2h) \rfloor$, $x = |t/h - 2c + 1|$,
    $\eta_t = \eta_{\min} + (\eta_{\max} - \eta_{\min})\max(0, 1 - x)$: starts at ``min_value`` at
    count 0, peaks at count $h$, back at the minimum at count $2h$.

    Lecture: [000] mentions cyclic schedules in passing. SPEC.md §18. Same as
    ``torch.optim.lr_scheduler.CyclicLR(base_lr=min, max_lr=max, step_size_up=h, mode="triangular",
    cycle_momentum=False)``.
    Robbins–Monro: periodic, $\sum\eta^2 = \infty$.

    Args:
        min_value: $\eta_{\min} \ge 0$.
        max_value: $\eta_{\max} \ge \eta_{\min}$.
        half_period: $h \ge 1$ counts from minimum to maximum.

    Raises:
        ValueError: ``max_value < min_value``, ``half_period < 1`` or a negative rate.

    References:
        Smith, Cyclical learning rates for training neural networks, WACV 2017.

    Example:
        >>> import jaxopt_lectures as jol
        >>> s = jol.cyclic_triangular(0.0, 1.0, half_period=4)
        >>> print(s(0), s(2), s(4), s(6), s(8))
        0.0 0.5 1.0 0.5 0.0
    """
    _check_rate("min_value", min_value)
    check_range("max_value", max_value, min_value, math.inf, high_open=True)
    check_range("half_period", half_period, 1.0)

    def schedule(count: Any) -> jax.Array:
        t = _float_count(count)
        cycle = jnp.floor(1 + t / (2 * half_period))
        x = jnp.abs(t / half_period - 2 * cycle + 1)
        return min_value + (max_value - min_value) * jnp.maximum(0, 1 - x)

    return schedule


def transformer_schedule(d_model: float, warmup_steps: float) -> Schedule:
    r"""The Transformer ("Noam") schedule: $\eta_t = d^{-1/2}\min(s^{-1/2},\, s\,w^{-3/2})$, $s = t + 1$.

    Vaswani et al. count ``step_num`` from 1, hence $s = \mathrm{count} + 1$; the peak
    $(d\,w)^{-1/2}$ is reached at count $w - 1$ (6.99e-4 for $d = 512$, $w = 4000$).
    Equals :func:`inverse_sqrt_decay` ``(η0, w)`` divided by $\eta_0\sqrt{d\,w}$.

    Lecture: [000] inverse square root decay in machine translation; [002] cites Vaswani et al.
    SPEC.md §18. Closed form (no optax/torch equivalent).
    Robbins–Monro: $\sum\eta = \infty$, $\sum\eta^2 = \infty$ (logarithmically).

    Args:
        d_model: $d \ge 1$, the model width.
        warmup_steps: $w \ge 1$.

    Raises:
        ValueError: ``d_model < 1`` or ``warmup_steps < 1``.

    References:
        Vaswani et al., Attention is all you need, NeurIPS 2017, eq. (3).

    Example:
        >>> import jaxopt_lectures as jol
        >>> print(f"{jol.transformer_schedule(512, 4000)(3999):.3e}")
        6.988e-04
    """
    check_range("d_model", d_model, 1.0)
    check_range("warmup_steps", warmup_steps, 1.0)

    def schedule(count: Any) -> jax.Array:
        s = _float_count(count) + 1
        w = jnp.asarray(warmup_steps, s.dtype)
        return jnp.minimum(1 / jnp.sqrt(s), s / (w * jnp.sqrt(w))) / jnp.sqrt(jnp.asarray(d_model, s.dtype))

    return schedule


def batch_size_scaled(learning_rate: optax.ScalarOrSchedule, batch_size: float, base_batch_size: float) -> Schedule:
    r"""Linear scaling rule: $\eta_t = \eta(t)\, B / B_0$ (always returns a schedule).

    Multiplying the batch size by $N$ divides the gradient noise variance by $N$; the rule of
    thumb multiplies the rate by $N$ too (usually with :func:`linear_warmup` for large $B$).

    Lecture: [002] "batch size ×N ⇒ initial learning rate ×N" rule of thumb; [001] $\sigma/\sqrt{B}$.
    SPEC.md §18, §24 E10. Closed form.
    Robbins–Monro: a constant factor changes neither sum; ``learning_rate`` decides.

    Args:
        learning_rate: $\eta \ge 0$, a number or a schedule.
        batch_size: $B \ge 1$.
        base_batch_size: $B_0 \ge 1$, the batch size ``learning_rate`` was tuned for.

    Raises:
        ValueError: a batch size below 1 or a negative ``learning_rate``.

    References:
        Goyal et al., Accurate, large minibatch SGD: training ImageNet in 1 hour, 2017.

    Example:
        >>> import jaxopt_lectures as jol
        >>> print(jol.batch_size_scaled(0.1, batch_size=256, base_batch_size=32)(0))
        0.8
    """
    check_learning_rate(learning_rate)
    check_range("batch_size", batch_size, 1.0)
    check_range("base_batch_size", base_batch_size, 1.0)
    inner = learning_rate if callable(learning_rate) else constant_schedule(learning_rate)

    def schedule(count: Any) -> jax.Array:
        return inner(count) * (batch_size / base_batch_size)

    return schedule


def per_epoch(schedule: Schedule, steps_per_epoch: int) -> Schedule:
    r"""Turn a per-epoch schedule into a per-step one: $\eta_t = \eta^{\text{epoch}}(\lfloor t / n \rfloor)$.

    The seeds often index the rate by epoch ([002] "×0.1 at epochs 30, 60, 90"; [000] allows decaying
    per minibatch or per group of epochs); optimizers count updates. Every update of epoch
    $e$ (counts $e n, \dots, e n + n - 1$) uses the rate of epoch $e$.

    Lecture: [000] "Gradient Descent Variants"; [002] step decay by epoch. SPEC.md §18.

    Args:
        schedule: a ``count -> rate`` function of the 0-based epoch.
        steps_per_epoch: $n \ge 1$, updates per epoch (``ceil(N / B)`` minibatches).

    Raises:
        ValueError: ``steps_per_epoch < 1``.

    References:
        He, Zhang, Ren & Sun, Deep residual learning for image recognition, CVPR 2016 (rates per epoch).

    Example:
        >>> import jaxopt_lectures as jol
        >>> s = jol.per_epoch(jol.step_decay(1.0, [30]), steps_per_epoch=100)
        >>> print(s(2999), s(3000))
        1.0 0.1
    """
    check_range("steps_per_epoch", steps_per_epoch, 1.0)

    def stepped(count: Any) -> jax.Array:
        return schedule(jnp.floor_divide(jnp.asarray(count), steps_per_epoch))

    return stepped


class ReduceOnPlateauState(NamedTuple):
    """State of :func:`reduce_on_plateau` (contents and initial values as ``optax.contrib``'s)."""

    count: jax.Array  # int32: values averaged in the current accumulation window (init 0)
    scale: jax.Array  # the factor applied to the updates (init 1), lowest params dtype
    best_value: jax.Array  # best averaged value so far (init +inf)
    plateau_count: jax.Array  # int32: evaluations without improvement (init 0)
    cooldown_count: jax.Array  # int32: evaluations left in the cooldown (init 0)
    avg_value: jax.Array  # running mean of the current window (init 0)


def _check_plateau(factor, patience, rtol, atol, cooldown, accumulation_size, min_scale) -> None:
    check_range("factor", factor, 0.0, 1.0, low_open=True, high_open=True)
    check_range("patience", patience, 1.0)
    check_range("rtol", rtol, 0.0, 1.0)
    check_range("atol", atol, 0.0)
    if is_python_number(rtol) and is_python_number(atol) and rtol == 0 and atol == 0:
        raise ValueError(f"atol={atol!r} must be > 0 when rtol=0 (no change would count as an improvement)")
    check_range("cooldown", cooldown, 0.0)
    check_range("accumulation_size", accumulation_size, 1.0)
    check_range("min_scale", min_scale, 0.0)


def reduce_on_plateau(factor: float = 0.1, patience: int = 10, rtol: float = 1e-4, atol: float = 0.0,
                      cooldown: int = 0, accumulation_size: int = 1,
                      min_scale: float = 0.0) -> optax.GradientTransformationExtraArgs:
    r"""Reduce the updates by ``factor`` when the monitored ``value=`` stops improving.

    Placed *after* an optimizer, it multiplies the updates by a state ``scale`` (init 1). Each
    ``update`` reads ``value=`` (a loss); ``accumulation_size`` consecutive values are averaged
    into $\bar v$, which then *improves* if $\bar v < (1 - \mathrm{rtol})\,\mathrm{best} - \mathrm{atol}$
    (best starts at $+\infty$, so the first evaluation always improves). Otherwise a plateau
    counter increments; when it reaches ``patience`` the scale becomes
    $\max(\mathrm{scale}\cdot\mathrm{factor}, \mathrm{min\_scale})$, the counter restarts at 0 and a
    cooldown of ``cooldown`` evaluations begins, during which the plateau counter is held at 0.
    The new scale already applies to the update of the call that triggered it.

    Patience counting: with a constant value after the first evaluation, the scale drops at
    evaluation ``patience + 1`` (the first is the improvement from $+\infty$). This is
    ``optax.contrib.reduce_on_plateau`` with the same arguments (identical scale sequence);
    ``torch.optim.lr_scheduler.ReduceLROnPlateau`` reduces one evaluation later, i.e. ours with
    ``patience=p`` equals torch with ``patience=p - 1`` (``threshold_mode="rel"``,
    ``threshold=rtol``, same ``cooldown``). Unlike optax, ``patience=0`` (which never fires in
    optax) raises, and the updates keep the gradients' dtype.

    Lecture: [001] "decay at plateaus" in the list of learning-rate decays. SPEC.md §18, §24 E14.
    Robbins–Monro: a data-driven step schedule; with ``min_scale > 0`` $\sum\eta^2 = \infty$.

    Args:
        factor: $0 <$ factor $< 1$.
        patience: evaluations without improvement before a reduction, $\ge 1$.
        rtol: relative improvement threshold in $[0, 1]$.
        atol: absolute improvement threshold $\ge 0$ (not both 0).
        cooldown: evaluations after a reduction during which no plateau is counted, $\ge 0$.
        accumulation_size: values averaged per evaluation, $\ge 1$ (e.g. minibatch losses of an epoch).
        min_scale: the scale never drops below this, $\ge 0$.

    Raises:
        ValueError: a hyperparameter outside its range (named in the message).

    References:
        PyTorch ``ReduceLROnPlateau``; optax ``contrib.reduce_on_plateau``.

    Example:
        >>> import jax.numpy as jnp, optax, jaxopt_lectures as jol
        >>> tx = optax.chain(jol.sgd(1.0), jol.reduce_on_plateau(factor=0.5, patience=2))
        >>> state, g = tx.init(jnp.zeros(1)), jnp.ones(1)
        >>> for loss in [3.0, 2.0, 2.0, 2.0, 2.0]:
        ...     u, state = tx.update(g, state, value=loss)
        ...     print(u)
        [-1.]
        [-1.]
        [-1.]
        [-0.5]
        [-0.5]
    """
    _check_plateau(factor, patience, rtol, atol, cooldown, accumulation_size, min_scale)

    def init_fn(params: optax.Params) -> ReduceOnPlateauState:
        dtypes = [jnp.dtype(x.dtype) for x in jax.tree.leaves(params)] or [jnp.dtype(jnp.float32)]
        value_dtype = jnp.promote_types(jnp.result_type(*dtypes), jnp.float32)  # losses: at least float32
        zero = jnp.asarray(0, jnp.int32)
        return ReduceOnPlateauState(count=zero, scale=jnp.asarray(1, min(dtypes, key=lambda d: d.itemsize)),
                                    best_value=jnp.asarray(jnp.inf, value_dtype), plateau_count=zero,
                                    cooldown_count=zero, avg_value=jnp.asarray(0, value_dtype))

    def evaluate(state: ReduceOnPlateauState) -> ReduceOnPlateauState:
        avg = state.avg_value
        improved = avg < (1 - rtol) * state.best_value - atol
        plateau = jnp.where(improved, 0, state.plateau_count + 1)
        cooling = state.cooldown_count > 0
        fire = jnp.logical_and(~cooling, plateau >= patience)
        scale = jnp.where(cooling, state.scale,
                          jnp.maximum(jnp.where(fire, state.scale * factor, state.scale), min_scale))
        cooldown_count = jnp.where(cooling, state.cooldown_count - 1, jnp.where(fire, cooldown, 0))
        return ReduceOnPlateauState(
            count=jnp.zeros_like(state.count), scale=scale.astype(state.scale.dtype),
            best_value=jnp.where(improved, avg, state.best_value).astype(avg.dtype),
            plateau_count=jnp.where(cooling | fire, 0, plateau).astype(jnp.int32),
            cooldown_count=cooldown_count.astype(jnp.int32), avg_value=jnp.zeros_like(avg))

    def update_fn(updates: optax.Updates, state: ReduceOnPlateauState, params: optax.Params | None = None,
                  *, value: Any, **extra_args: Any) -> tuple[optax.Updates, ReduceOnPlateauState]:
        del params, extra_args
        count = state.count + 1
        avg = (state.count * state.avg_value + jnp.asarray(value, state.avg_value.dtype)) / count
        state = state._replace(count=count, avg_value=avg.astype(state.avg_value.dtype))
        evaluated = evaluate(state)
        state = jax.tree.map(lambda a, b: jnp.where(count >= accumulation_size, a, b), evaluated, state)
        return jax.tree.map(lambda u: (state.scale * u).astype(u.dtype), updates), state

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)
