r"""Newton's method (dense Hessian, Cholesky, Levenberg fallback) and Newton–CG (Hessian-free); docs/spec/newton.md.

[002] "second-order Taylor": minimising the quadratic model
$J(\theta_0) + (\theta-\theta_0)^\top\nabla J + \tfrac12(\theta-\theta_0)^\top H(\theta-\theta_0)$ gives the
critical point $\theta^* = \theta_0 - H^{-1}\nabla J$. The tree of params is flattened with
``jax.flatten_util.ravel_pytree``; $H$ costs $O(n^2)$ memory and the solve $O(n^3)$, the reason
[001] §7.6 and [002] give for not using it on networks. Newton–CG solves the same system with
conjugate gradients on Hessian–vector products and never forms $H$.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax
from jax.flatten_util import ravel_pytree

from jaxopt_lectures._validate import check_choice, check_int, check_learning_rate, check_range, checked, require_params
from jaxopt_lectures.second_order.linesearch import descent_chain, objective, real_dtype

INDEFINITE = ("solve", "levenberg")
MAX_LEVENBERG_TRIES = 100


class ScaleByNewtonState(NamedTuple):
    count: jax.Array  # int32
    fell_back: jax.Array  # bool: the Cholesky factorisation of H + δI failed at the last update
    shift: jax.Array  # the Levenberg shift τ added on top of δ at the last update (0 if none)


class ScaleByNewtonCGState(NamedTuple):
    count: jax.Array  # int32
    cg_steps: jax.Array  # int32: conjugate-gradient iterations of the last update
    negative_curvature: jax.Array  # bool: CG stopped on a direction with pᵀ(H + δI)p <= 0


def _flat_problem(fn: Callable[[Any], jax.Array], params: Any, g: Any):
    """(f on the flat vector, flat params, flat gradient, unravel for the updates, compute dtype)."""
    x, unravel_p = ravel_pytree(params)
    gf, unravel_g = ravel_pytree(g)
    cdtype = jnp.promote_types(jnp.promote_types(x.dtype, gf.dtype), jnp.float32)  # no bf16 linear algebra
    f_flat = lambda z: jnp.asarray(fn(unravel_p(z.astype(x.dtype)))).astype(cdtype)
    return f_flat, x.astype(cdtype), gf.astype(cdtype), unravel_g, gf.dtype


def _cholesky_ok(a: jax.Array) -> jax.Array:
    return jnp.all(jnp.isfinite(jnp.linalg.cholesky(a)))


def levenberg_shift(a: jax.Array) -> jax.Array:
    r"""Smallest $\tau$ of the sequence $0$ or $\beta - \min_i a_{ii}$, then $\max(2\tau, \beta)$, with $A + \tau I$ PD.

    Nocedal & Wright Alg. 3.3 ("Cholesky with added multiple of the identity"), $\beta = 10^{-3}
    \max(1, \max_i |a_{ii}|)$; $\tau = 0$ when $A$ is already positive definite.

    Example:
        >>> import jax.numpy as jnp
        >>> from jaxopt_lectures.second_order.newton import levenberg_shift
        >>> print(levenberg_shift(jnp.diag(jnp.array([2.0, 1.0]))), levenberg_shift(jnp.diag(jnp.array([2.0, -2.0]))))
        0.0 2.002
    """
    diag = jnp.diagonal(a)
    beta = 1e-3 * jnp.maximum(1.0, jnp.max(jnp.abs(diag), initial=0.0))  # initial=: empty trees (n = 0)
    smallest = jnp.min(diag, initial=jnp.inf)
    tau0 = jnp.where(smallest > 0, 0.0, beta - smallest).astype(a.dtype)
    eye = jnp.eye(a.shape[0], dtype=a.dtype)

    def body(carry):
        k, tau, _ = carry
        tau = jnp.maximum(2 * tau, beta).astype(a.dtype)
        return k + 1, tau, _cholesky_ok(a + tau * eye)

    _, tau, _ = jax.lax.while_loop(lambda c: (~c[2]) & (c[0] < MAX_LEVENBERG_TRIES), body,
                                   (jnp.zeros((), jnp.int32), tau0, _cholesky_ok(a + tau0 * eye)))
    return tau


def newton_direction(h: jax.Array, g: jax.Array, damping: Any = 0.0, indefinite: str = "solve"):
    r"""Solve $(H + \delta I)\,d = g$: Cholesky when positive definite, else the fallback; returns (d, fell_back, τ).

    ``indefinite="solve"``: the exact Newton direction by an LU solve (it may point uphill: Newton
    seeks critical points); ``"levenberg"``: $(H + (\delta + \tau) I)\,d = g$ with the shift $\tau$ of
    :func:`levenberg_shift`, a descent direction. A singular system falls back to Levenberg in both
    modes; a non-finite Hessian gives $d = 0$.

    Example:
        >>> import jax.numpy as jnp
        >>> from jaxopt_lectures.second_order.newton import newton_direction
        >>> d, fell_back, tau = newton_direction(jnp.diag(jnp.array([2.0, -2.0])), jnp.array([2.0, -1.0]))
        >>> print(d, bool(fell_back))   # lands on the saddle of x² − y²: (1, 0.5) − d = (0, 0)
        [1.  0.5] True
    """
    a = h + damping * jnp.eye(h.shape[0], dtype=h.dtype)
    tau = levenberg_shift(a)
    fell_back = tau > 0
    shifted = a + tau * jnp.eye(h.shape[0], dtype=h.dtype)
    d = jax.scipy.linalg.cho_solve((jnp.linalg.cholesky(shifted), True), g)
    if indefinite == "solve":
        exact = jnp.linalg.solve(jnp.where(fell_back, a, shifted), g)  # PD lanes solve the shifted (= a) system
        use_exact = fell_back & jnp.all(jnp.isfinite(exact))
        d = jnp.where(use_exact, exact, d)
        tau = jnp.where(use_exact, 0.0, tau).astype(h.dtype)
    finite = jnp.all(jnp.isfinite(d))
    return jnp.where(finite, d, 0.0), fell_back | ~finite, tau


@checked
def scale_by_newton(*, damping: float = 0.0, indefinite: str = "solve") -> optax.GradientTransformationExtraArgs:
    r"""The Newton direction $d = (\nabla^2 f + \delta I)^{-1} g$ (before the rate; sign of $g$).

    $H = \nabla^2 f$ is ``jax.hessian`` of ``value_fn`` (required extra keyword; other extra
    keywords reach it where its signature accepts them) over the flattened params; $g$ is the
    incoming update. See :func:`newton` and :func:`newton_direction`.
    State: :class:`ScaleByNewtonState` (``count``, ``fell_back``, ``shift``).

    Example:
        >>> import jax.numpy as jnp, jaxopt_lectures as jol
        >>> f = lambda x: x[0] ** 2 + 3 * x[1] ** 2
        >>> tx, x = jol.scale_by_newton(), jnp.array([1.0, 1.0])
        >>> d, s = tx.update(jnp.array([2.0, 6.0]), tx.init(x), x, value_fn=f)
        >>> print(d.round(5), bool(s.fell_back))
        [1. 1.] False
    """
    check_range("damping", damping, 0.0)
    check_choice("indefinite", indefinite, INDEFINITE)

    def init(params: optax.Params) -> ScaleByNewtonState:
        return ScaleByNewtonState(jnp.zeros((), jnp.int32), jnp.zeros((), bool), jnp.zeros((), real_dtype(params)))

    def update(updates, state, params=None, *, value_fn=None, value=None, grad=None, **extra):
        del value, grad
        require_params(params, "scale_by_newton", "the Hessian is taken there")
        f_flat, x, g, unravel, gdtype = _flat_problem(objective(value_fn, extra, "scale_by_newton"), params, updates)
        d, fell_back, tau = newton_direction(jax.hessian(f_flat)(x), g, damping, indefinite)
        new_state = ScaleByNewtonState(optax.safe_increment(state.count), fell_back, tau.astype(state.shift.dtype))
        return unravel(d.astype(gdtype)), new_state

    return optax.GradientTransformationExtraArgs(init, update)


@checked
def newton(
    *,
    learning_rate: optax.ScalarOrSchedule = 1.0,
    damping: float = 0.0,
    indefinite: str = "solve",
    linesearch: optax.GradientTransformation | None = None,
) -> optax.GradientTransformationExtraArgs:
    r"""Damped Newton: $\Delta = -\eta\,(\nabla^2 f(\theta) + \delta I)^{-1}\,\nabla f(\theta)$.

    The system is solved by Cholesky when $H + \delta I$ is positive definite. When it is not, the
    update falls back (``state.fell_back`` is True, ``state.shift`` the extra shift):
    ``indefinite="solve"`` (default) keeps the exact Newton step by an LU solve — on the saddle
    $x^2 - y^2$ it lands on $(0, 0)$ from anywhere, since Newton seeks critical points —, and
    ``indefinite="levenberg"`` adds $\tau I$ until Cholesky succeeds (Nocedal & Wright Alg. 3.3),
    which gives a descent direction. $\delta > |\lambda_{\min}|$ does the same by hand ($\delta = 3$
    on the saddle: $f$ goes 0.75 → −1.89 from (1, 0.5)). One undamped unit step solves any
    strictly convex quadratic exactly. Reads ``value_fn=`` (and, with a line search, ``value=``;
    the gradient is the incoming update).

    Lecture:
        [002] "second-order Taylor expansion" / Newton parameter update; [001] §7.6 Second-order
        methods. docs/spec/newton.md.

    Args:
        learning_rate: $\eta > 0$ (float, jax scalar or schedule); 1 is the Newton step.
        damping: $\delta \ge 0$ (Levenberg–Marquardt damping).
        indefinite: ``"solve"`` or ``"levenberg"``, see above.
        linesearch: None (fixed step) or a line search placed after the rate, e.g.
            :func:`armijo_linesearch` (restarts at the unit step every call).

    Raises:
        ValueError: ``learning_rate`` <= 0, ``damping`` < 0 or an unknown ``indefinite``.
        TypeError: ``linesearch`` is not a gradient transformation; ``update`` without ``value_fn=`` or ``params``.

    References:
        Nocedal & Wright, Numerical Optimization, 2006, §3.3–3.4. Levenberg, A method for the solution
        of certain non-linear problems in least squares, Q. Appl. Math. 1944.

    Example:
        >>> import jax.numpy as jnp, jaxopt_lectures as jol
        >>> f = lambda x: x[0] ** 2 - x[1] ** 2                  # the saddle of [002]
        >>> x, trace = jol.minimize(f, jnp.array([1.0, 0.5]), jol.newton(), 1)
        >>> print(x)
        [0. 0.]
        >>> x, trace = jol.minimize(f, jnp.array([1.0, 0.5]), jol.newton(damping=3.0), 1)
        >>> print(x, trace.loss)
        [0.6 1.5] [ 0.75 -1.89]
    """
    check_learning_rate(learning_rate, positive=True)
    return descent_chain(scale_by_newton(damping=damping, indefinite=indefinite), learning_rate, linesearch)


def hvp(fun: Callable[[Any], jax.Array], params: Any, v: Any) -> Any:
    r"""Hessian–vector product $\nabla^2 f(\theta)\,v$ by forward-over-reverse differentiation.

    ``jax.jvp(jax.grad(fun), (params,), (v,))``: one gradient's cost, no $n \times n$ matrix.
    ``params`` and ``v`` are trees of the same structure.

    Lecture:
        [002] Newton "Hessian has O(N²) elements" — what Newton–CG avoids. docs/spec/newton.md.

    References:
        Pearlmutter, Fast exact multiplication by the Hessian, Neural Computation 1994.

    Example:
        >>> import jax.numpy as jnp, jaxopt_lectures as jol
        >>> f = lambda x: x[0] ** 2 * x[1]
        >>> print(jol.hvp(f, jnp.array([1.0, 2.0]), jnp.array([1.0, 0.0])))   # H = [[2y, 2x], [2x, 0]]
        [4. 2.]
    """
    return jax.jvp(jax.grad(fun), (params,), (v,))[1]


def conjugate_gradient(matvec: Callable[[jax.Array], jax.Array], g: jax.Array, max_steps: int,
                       rtol: float | None = None):
    r"""Truncated CG for $A d = g$ from $d = 0$ (Nocedal & Wright Alg. 7.1); returns (d, steps, negative curvature).

    Stops when $\|r\| \le \epsilon\|g\|$ with $\epsilon$ = ``rtol`` or, for None, the superlinear
    forcing sequence $\epsilon = \min(0.5, \sqrt{\|g\|})$ (as scipy's Newton-CG), after
    ``max_steps``, or on a direction $p$ with $p^\top A p \le 0$: then it returns the current $d$,
    or $g$ itself (steepest descent) if that happens at the first iteration.

    Example:
        >>> import jax.numpy as jnp
        >>> from jaxopt_lectures.second_order.newton import conjugate_gradient
        >>> A = jnp.array([[4.0, 1.0], [1.0, 3.0]])
        >>> d, steps, neg = conjugate_gradient(lambda v: A @ v, jnp.array([1.0, 2.0]), 10, rtol=1e-6)
        >>> print(d, int(steps), bool(neg))   # A⁻¹ g = (1/11, 7/11)
        [0.09090909 0.6363636 ] 2 False
    """
    gnorm = jnp.linalg.norm(g)
    tol = (jnp.minimum(0.5, jnp.sqrt(gnorm)) if rtol is None else rtol) * gnorm

    def cond(c):
        k, _, r, _, done, _ = c
        return (~done) & (k < max_steps) & (jnp.linalg.norm(r) > tol)

    def body(c):
        k, d, r, p, _, _ = c
        ap = matvec(p)
        curv = p @ ap
        negative = curv <= 0
        rr = r @ r
        alpha = rr / jnp.where(negative, 1.0, curv)
        d_next, r_next = d + alpha * p, r - alpha * ap
        beta = (r_next @ r_next) / jnp.where(rr > 0, rr, 1.0)
        d_out = jnp.where(negative, jnp.where(k == 0, g, d), d_next)
        r_out = jnp.where(negative, r, r_next)
        return k + 1, d_out, r_out, r_next + beta * p, negative, negative

    zero = jnp.zeros_like(g)
    k, d, _, _, _, negative = jax.lax.while_loop(
        cond, body, (jnp.zeros((), jnp.int32), zero, g, g, jnp.zeros((), bool), jnp.zeros((), bool)))
    return d, k, negative


@checked
def scale_by_newton_cg(
    *, damping: float = 0.0, max_cg_steps: int | None = None, cg_rtol: float | None = None
) -> optax.GradientTransformationExtraArgs:
    r"""The Newton–CG direction: $(\nabla^2 f + \delta I)\,d = g$ solved by truncated CG on :func:`hvp`.

    ``max_cg_steps=None`` allows $2n$ iterations ($n$ = number of parameters); ``cg_rtol=None`` uses
    the forcing sequence $\min(0.5, \sqrt{\|g\|})$ as relative residual tolerance. See :func:`newton_cg`
    and :func:`conjugate_gradient`. State: :class:`ScaleByNewtonCGState`.

    Example:
        >>> import jax.numpy as jnp, jaxopt_lectures as jol
        >>> f = lambda x: x[0] ** 2 + 3 * x[1] ** 2
        >>> tx, x = jol.scale_by_newton_cg(cg_rtol=1e-6), jnp.array([1.0, 1.0])
        >>> d, s = tx.update(jnp.array([2.0, 6.0]), tx.init(x), x, value_fn=f)
        >>> print(d.round(5), int(s.cg_steps))
        [1. 1.] 2
    """
    check_range("damping", damping, 0.0)
    check_int("max_cg_steps", max_cg_steps, 1, allow_none=True)
    check_range("cg_rtol", cg_rtol, 0.0, 1.0, high_open=True, allow_none=True)

    def init(params: optax.Params) -> ScaleByNewtonCGState:
        return ScaleByNewtonCGState(jnp.zeros((), jnp.int32), jnp.zeros((), jnp.int32), jnp.zeros((), bool))

    def update(updates, state, params=None, *, value_fn=None, value=None, grad=None, **extra):
        del value, grad
        require_params(params, "scale_by_newton_cg", "the Hessian is taken there")
        f_flat, x, g, unravel, gdtype = _flat_problem(objective(value_fn, extra, "scale_by_newton_cg"), params, updates)
        matvec = lambda v: hvp(f_flat, x, v) + damping * v
        steps = 2 * x.size if max_cg_steps is None else max_cg_steps
        d, k, negative = conjugate_gradient(matvec, g, steps, cg_rtol)
        return unravel(d.astype(gdtype)), ScaleByNewtonCGState(optax.safe_increment(state.count), k, negative)

    return optax.GradientTransformationExtraArgs(init, update)


@checked
def newton_cg(
    *,
    learning_rate: optax.ScalarOrSchedule = 1.0,
    damping: float = 0.0,
    max_cg_steps: int | None = None,
    cg_rtol: float | None = None,
    linesearch: optax.GradientTransformation | None = None,
) -> optax.GradientTransformationExtraArgs:
    r"""Newton–CG (truncated Newton): $\Delta = -\eta\, d$ with $(\nabla^2 f + \delta I)\, d \approx g$ by CG.

    Each CG iteration costs one Hessian–vector product (:func:`hvp`), so memory stays $O(n)$: the
    variant for parameter counts where the dense Hessian of :func:`newton` does not fit. CG stops
    at the forcing tolerance $\min(0.5, \sqrt{\|g\|})\|g\|$ (superlinear convergence) or on negative
    curvature (then the direction found so far, a descent direction, or $g$ at the first iteration).
    With ``cg_rtol=0`` and $n$ CG steps the unit step on a strictly convex quadratic is the exact
    Newton step.
    Same method as ``scipy.optimize.minimize(method="Newton-CG")``.

    Lecture:
        [002] Newton update and "Hessian has O(N²) elements"; [001] §7.6. docs/spec/newton.md.

    Args:
        learning_rate: $\eta > 0$.
        damping: $\delta \ge 0$.
        max_cg_steps: CG iterations per update (int >= 1), None for $2n$.
        cg_rtol: relative CG residual tolerance in [0, 1), None for the forcing sequence.
        linesearch: None or a line search, e.g. :func:`armijo_linesearch`.

    Raises:
        ValueError: ``learning_rate`` <= 0, ``damping`` < 0, ``max_cg_steps`` < 1, ``cg_rtol`` outside [0, 1).
        TypeError: ``linesearch`` is not a gradient transformation; ``update`` without ``value_fn=`` or ``params``.

    References:
        Dembo & Steihaug, Truncated-Newton algorithms for large-scale unconstrained optimization,
        Math. Programming 1983. Nocedal & Wright, Numerical Optimization, 2006, Alg. 7.1.

    Example:
        >>> import jax.numpy as jnp, jaxopt_lectures as jol
        >>> f = lambda x: (x[0] - 1.0) ** 2 + 10 * (x[1] + 2.0) ** 2
        >>> x, _ = jol.minimize(f, jnp.zeros(2), jol.newton_cg(cg_rtol=0.0), 1)
        >>> print(x.round(5))
        [ 1. -2.]
    """
    check_learning_rate(learning_rate, positive=True)
    direction = scale_by_newton_cg(damping=damping, max_cg_steps=max_cg_steps, cg_rtol=cg_rtol)
    return descent_chain(direction, learning_rate, linesearch)
