r"""L-BFGS: the BFGS direction from the last m pairs (s, y), never forming H; docs/spec/lbfgs.md.

[002] "L-BFGS (Limited memory BFGS): does not form/store the full inverse Hessian ... usually works
very well in full batch, deterministic mode ... does not transfer very well to mini-batch setting."
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from jaxopt_lectures._validate import check_int, check_learning_rate, checked, require_params
from jaxopt_lectures.second_order._common import flat_pair, flat_spec
from jaxopt_lectures.second_order.linesearch import descent_chain, wolfe_linesearch


class ScaleByLBFGSState(NamedTuple):
    count: jax.Array  # int32
    prev_params: jax.Array  # (n,) flattened θ_{t−1}
    prev_grad: jax.Array  # (n,) flattened g_{t−1}
    S: jax.Array  # (m, n) ring buffer of s_k = θ_{k+1} − θ_k
    Y: jax.Array  # (m, n) ring buffer of y_k = g_{k+1} − g_k
    rho: jax.Array  # (m,) 1/(y_kᵀ s_k), 0 for an empty slot or y_kᵀ s_k = 0


def two_loop(g: jax.Array, S: jax.Array, Y: jax.Array, rho: jax.Array, gamma: jax.Array, oldest: jax.Array) -> jax.Array:
    r"""$r = H g$ by the two-loop recursion over the ring buffer (Nocedal & Wright Alg. 7.4).

    $q = g$; for $i$ newest → oldest: $\alpha_i = \rho_i s_i^\top q$, $q \leftarrow q - \alpha_i y_i$;
    $r = \gamma q$; for $i$ oldest → newest: $\beta = \rho_i y_i^\top r$, $r \leftarrow r + (\alpha_i - \beta) s_i$.
    Slot ``oldest`` holds the oldest pair, ``oldest − 1`` (mod m) the newest; slots with
    $\rho_i = 0$ have no effect.

    Example:
        >>> import jax.numpy as jnp
        >>> from jaxopt_lectures.second_order.lbfgs import two_loop
        >>> S, Y = jnp.array([[1.0, 0.0]]), jnp.array([[2.0, 0.0]])
        >>> print(two_loop(jnp.array([4.0, 4.0]), S, Y, jnp.array([0.5]), jnp.asarray(1.0), 0))
        [2. 4.]
    """
    m = rho.shape[0]
    order = (oldest + jnp.arange(m)) % m

    def backward(q, i):
        alpha = rho[i] * (S[i] @ q)
        return q - alpha * Y[i], alpha

    q, alphas = jax.lax.scan(backward, g, order, reverse=True)

    def forward(r, i_alpha):
        i, alpha = i_alpha
        beta = rho[i] * (Y[i] @ r)
        return r + (alpha - beta) * S[i], None

    r, _ = jax.lax.scan(forward, gamma * q, (order, alphas))
    return r


@checked
def scale_by_lbfgs(*, memory_size: int = 10) -> optax.GradientTransformationExtraArgs:
    r"""The L-BFGS direction $H_t g_t$ (before the rate; sign of $g$) from the last ``memory_size`` pairs.

    At each call the fresh pair $s = \theta_t - \theta_{t-1}$, $y = g_t - g_{t-1}$ (none at $t = 0$)
    enters the ring buffer with $\rho = 1/y^\top s$ ($\rho = 0$ if $y^\top s = 0$; such a pair,
    which has no effect, is stored as zeros so that huge gradients cannot make $0 \cdot \infty$), then
    :func:`two_loop` runs with $\gamma = s^\top y / y^\top y$ (newest pair) and, at the first step,
    $\gamma = \min(1, 1/\|g\|)$: the conventions of ``optax.scale_by_lbfgs(memory_size)``.
    Shapes are fixed ($m \times n$ buffers), so it is jit-, scan- and vmap-safe.
    State: :class:`ScaleByLBFGSState`.

    Example:
        >>> import jax.numpy as jnp, jaxopt_lectures as jol
        >>> tx, x = jol.scale_by_lbfgs(memory_size=3), jnp.zeros(2)
        >>> d, s = tx.update(jnp.array([3.0, 4.0]), tx.init(x), x)     # first step: g/‖g‖
        >>> print(d)
        [0.6 0.8]
    """
    check_int("memory_size", memory_size, 1)

    def init(params: optax.Params) -> ScaleByLBFGSState:
        n, dt = flat_spec(params)
        return ScaleByLBFGSState(jnp.zeros((), jnp.int32), jnp.zeros(n, dt), jnp.zeros(n, dt),
                                 jnp.zeros((memory_size, n), dt), jnp.zeros((memory_size, n), dt), jnp.zeros(memory_size, dt))

    def update(updates, state, params=None, **extra):
        del extra
        require_params(params, "scale_by_lbfgs", "s = θ_t − θ_{t−1}")
        x, g, s, y, unravel, gdtype = flat_pair(params, updates, state)
        fresh = state.count > 0
        s, y = jnp.where(fresh, s, 0.0), jnp.where(fresh, y, 0.0)
        sy, yy = s @ y, y @ y
        # a curvature yᵀs below the smallest normal number is 0: the CPU flushes it, a GPU keeps it and
        # 1/(yᵀs) overflows to inf, which made the κ = 50 quadratic end in NaN once s and y underflowed
        tiny = jnp.finfo(sy.dtype).tiny
        usable = jnp.abs(sy) >= tiny
        rho = jnp.where(usable, 1.0 / jnp.where(usable, sy, 1.0), 0.0)
        rho = jnp.where(jnp.isfinite(rho), rho, 0.0)
        newest = (state.count - 1) % memory_size
        dtype = state.S.dtype
        kept = rho != 0  # a skipped pair is stored as zeros: no 0·∞ when its dot products overflow
        S = state.S.at[newest].set(jnp.where(kept, s, 0.0).astype(dtype))
        Y = state.Y.at[newest].set(jnp.where(kept, y, 0.0).astype(dtype))
        rhos = state.rho.at[newest].set(rho.astype(dtype))
        gnorm = jnp.linalg.norm(g)
        first = jnp.minimum(1.0, 1.0 / jnp.where(gnorm > 0, gnorm, 1.0))
        scaled = jnp.where(yy >= tiny, sy / jnp.where(yy >= tiny, yy, 1.0), 1.0)
        gamma = jnp.where(fresh, jnp.where(jnp.isfinite(scaled), scaled, 1.0), first)
        cd = x.dtype
        d = two_loop(g, S.astype(cd), Y.astype(cd), rhos.astype(cd), gamma, state.count % memory_size)
        d = jnp.where(jnp.all(jnp.isfinite(d)), d, first * g)  # overflow in the recursion: restart from −g/‖g‖
        new_state = ScaleByLBFGSState(optax.safe_increment(state.count), x.astype(dtype), g.astype(dtype), S, Y, rhos)
        return unravel(d.astype(gdtype)), new_state

    return optax.GradientTransformationExtraArgs(init, update)


@checked
def lbfgs(
    *,
    memory_size: int = 10,
    learning_rate: optax.ScalarOrSchedule | None = None,
    linesearch: optax.GradientTransformation | None = wolfe_linesearch(max_linesearch_steps=20, initial_guess_strategy="one"),
) -> optax.GradientTransformationExtraArgs:
    r"""L-BFGS: $\Delta_t = -\alpha_t \eta\, H_t \nabla f(\theta_t)$ with $H_t g$ from :func:`scale_by_lbfgs`.

    Memory $m n$ instead of BFGS's $n^2$ ([002]). Same composition, defaults and extra-keyword
    contract as ``optax.lbfgs(learning_rate=None, memory_size=10, linesearch=scale_by_zoom_linesearch(20,
    initial_guess_strategy="one"))``: ``value_fn=`` is required by the line search, ``value=`` and
    ``grad=`` are computed when missing, and unknown keywords reach ``value_fn`` only where its
    signature accepts them (optax raises). The state has fixed dtypes, so a jitted loop compiles
    once (``optax.lbfgs`` re-traces after its first step). [002]: works well full batch, badly with
    minibatch gradients.

    Lecture:
        [002] "L-BFGS (Limited memory BFGS)". docs/spec/lbfgs.md.

    Args:
        memory_size: $m$, number of stored pairs (int >= 1).
        learning_rate: None (line search) or $\eta > 0$.
        linesearch: a line search placed last, or None (fixed step).

    Raises:
        ValueError: ``memory_size`` < 1, ``learning_rate`` <= 0. TypeError: bad ``linesearch``.

    References:
        Nocedal, Updating quasi-Newton matrices with limited storage, Math. Comp. 1980. Liu & Nocedal,
        On the limited memory BFGS method for large scale optimization, Math. Programming 1989.

    Example:
        >>> import jax.numpy as jnp, jaxopt_lectures as jol
        >>> f = jol.problems.rosenbrock
        >>> x, trace = jol.minimize(f, f.x0, jol.lbfgs(), 50)
        >>> print(x.round(4), float(trace.loss[-1]) < 1e-8)
        [1. 1.] True
    """
    check_learning_rate(learning_rate, positive=True, allow_none=True)
    return descent_chain(scale_by_lbfgs(memory_size=memory_size), learning_rate, linesearch)
