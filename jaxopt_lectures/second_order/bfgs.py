r"""BFGS: a dense inverse-Hessian approximation built from gradient differences; docs/spec/bfgs.md.

[002] "Quasi-Newton methods (BFGS most popular): instead of inverting the Hessian (O(n³)),
approximate inverse Hessian with rank 1 updates over time (O(n²) each)."
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from jaxopt_lectures._validate import check_learning_rate, checked, require_params
from jaxopt_lectures.second_order._common import flat_pair, flat_spec
from jaxopt_lectures.second_order.linesearch import descent_chain, wolfe_linesearch


class ScaleByBFGSState(NamedTuple):
    count: jax.Array  # int32
    inv_hessian: jax.Array  # (n, n) H_t, starts at I
    prev_params: jax.Array  # (n,) flattened θ_{t−1}
    prev_grad: jax.Array  # (n,) flattened g_{t−1}


def bfgs_inverse_update(h: jax.Array, s: jax.Array, y: jax.Array) -> jax.Array:
    r"""$H^+ = (I - \rho s y^\top) H (I - \rho y s^\top) + \rho s s^\top$, $\rho = 1/y^\top s$; $H$ unchanged unless $y^\top s > 0$.

    The secant equation $H^+ y = s$ holds after the update. A non-finite result (overflow) also
    keeps $H$.

    Example:
        >>> import jax.numpy as jnp
        >>> from jaxopt_lectures.second_order.bfgs import bfgs_inverse_update
        >>> s, y = jnp.array([1.0, 0.0]), jnp.array([2.0, 0.0])      # curvature 2 along e₁
        >>> print(bfgs_inverse_update(jnp.eye(2), s, y))
        [[0.5 0. ]
         [0.  1. ]]
    """
    sy = s @ y
    curvature = sy > 0
    u = s / jnp.where(curvature, sy, 1.0)  # ρ s, with a safe denominator in the skipped lane
    hy = h @ y
    # (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ expanded (H symmetric) in O(n²), written with u = ρ s so that
    # no ρ² appears: near convergence yᵀs ~ 1e-23 and ρ² would overflow float32.
    updated = h - jnp.outer(u, hy) - jnp.outer(hy, u) + (y @ hy) * jnp.outer(u, u) + jnp.outer(u, s)
    return jnp.where(curvature & jnp.all(jnp.isfinite(updated)), updated, h)


@checked
def scale_by_bfgs(*, scale_init: bool = False) -> optax.GradientTransformationExtraArgs:
    r"""The BFGS direction $H_t g_t$ (before the rate; sign of $g$), $H_0 = I$.

    At each call with $t > 0$: $s = \theta_t - \theta_{t-1}$, $y = g_t - g_{t-1}$, and if the
    curvature condition $y^\top s > 0$ holds, $H_t$ = :func:`bfgs_inverse_update`; else $H$ is kept.
    ``scale_init=True`` replaces $H$ by $(s^\top y / y^\top y) I$ before the first update (count 1,
    Nocedal & Wright eq. 6.20). State: :class:`ScaleByBFGSState` (``inv_hessian`` $n\times n$).

    Example:
        >>> import jax.numpy as jnp, jaxopt_lectures as jol
        >>> tx, x = jol.scale_by_bfgs(), jnp.array([1.0, 1.0])
        >>> d, s = tx.update(jnp.array([2.0, 6.0]), tx.init(x), x)      # H₀ = I
        >>> print(d)
        [2. 6.]
    """

    def init(params: optax.Params) -> ScaleByBFGSState:
        n, dt = flat_spec(params)
        return ScaleByBFGSState(jnp.zeros((), jnp.int32), jnp.eye(n, dtype=dt), jnp.zeros(n, dt), jnp.zeros(n, dt))

    def update(updates, state, params=None, **extra):
        del extra
        require_params(params, "scale_by_bfgs", "s = θ_t − θ_{t−1}")
        x, g, s, y, unravel, gdtype = flat_pair(params, updates, state)
        h = state.inv_hessian.astype(x.dtype)
        fresh = state.count > 0
        if scale_init:
            sy, yy = s @ y, y @ y
            ok = (state.count == 1) & (sy > 0) & (yy > 0)
            h = jnp.where(ok, (sy / jnp.where(ok, yy, 1.0)) * jnp.eye(x.size, dtype=x.dtype), h)
        h = jnp.where(fresh, bfgs_inverse_update(h, s, y), h)
        d = h @ g
        dtype = state.prev_params.dtype
        new_state = ScaleByBFGSState(optax.safe_increment(state.count), h.astype(dtype), x.astype(dtype), g.astype(dtype))
        return unravel(d.astype(gdtype)), new_state

    return optax.GradientTransformationExtraArgs(init, update)


@checked
def bfgs(
    *,
    learning_rate: optax.ScalarOrSchedule | None = None,
    linesearch: optax.GradientTransformation | None = wolfe_linesearch(max_linesearch_steps=20, initial_guess_strategy="one"),
    scale_init: bool = False,
) -> optax.GradientTransformationExtraArgs:
    r"""BFGS: $\Delta_t = -\alpha_t \eta\, H_t \nabla f(\theta_t)$ with the inverse-Hessian update of :func:`scale_by_bfgs`.

    ``chain(scale_by_bfgs(), scale(−1) or scale_by_learning_rate(η), linesearch)``, the composition of
    ``optax.lbfgs``. The default strong-Wolfe search (:func:`wolfe_linesearch`, 20 steps, first trial
    $\alpha = 1$) guarantees $y^\top s > 0$, so $H$ stays positive definite; ``linesearch=None`` is the
    fixed-step method ($\alpha = 1$), where steps with $y^\top s \le 0$ skip the update. With exact
    line searches on an SPD quadratic it reaches $\theta^*$ in $n$ steps and $H_n = A^{-1}$.
    Memory $n^2$: for $n$ up to a few thousand. Extra keywords: ``value_fn=`` (required by a line
    search), ``value=`` and ``grad=`` (computed when missing; the gradient is the incoming update).

    Lecture:
        [002] "Quasi-Newton methods (BFGS most popular)". docs/spec/bfgs.md.

    Args:
        learning_rate: None (the line search sets the step) or $\eta > 0$.
        linesearch: a line search placed last, or None.
        scale_init: initial scaling $(s^\top y / y^\top y) I$.

    Raises:
        ValueError: ``learning_rate`` <= 0. TypeError: ``linesearch`` not a gradient transformation.

    References:
        Broyden 1970; Fletcher 1970; Goldfarb 1970; Shanno 1970. Nocedal & Wright, Numerical
        Optimization, 2006, Alg. 6.1.

    Example:
        >>> import jax.numpy as jnp, jaxopt_lectures as jol
        >>> f = lambda x: jnp.sum((x - 1.0) ** 2 * jnp.array([1.0, 10.0]))
        >>> x, trace = jol.minimize(f, jnp.zeros(2), jol.bfgs(), 6)
        >>> print(x.round(5))
        [1. 1.]
    """
    check_learning_rate(learning_rate, positive=True, allow_none=True)
    return descent_chain(scale_by_bfgs(scale_init=scale_init), learning_rate, linesearch)
