"""Line searches for the full-batch second-order methods: Armijo backtracking and strong Wolfe; docs/spec/linesearch.md.

Both are gradient transformations placed *last* in a chain: they receive a descent direction $d$
(``updates``) and return $\alpha d$ for an accepted step $\alpha$. They read ``value=`` ($f(\theta)$),
``grad=`` ($\nabla f(\theta)$) and ``value_fn=`` from the update's extra keywords, like
``optax.scale_by_zoom_linesearch``. Differences from optax (docs/spec/pitfalls.md#pitfall-12,
docs/spec/decisions.md#decision-1):

- ``value=`` and ``grad=`` may be omitted (they are then computed from ``value_fn`` at ``params``);
  ``value_fn=`` is required (``TypeError`` naming it).
- Unknown extra keywords never raise: each is passed on to ``value_fn`` only where its signature
  accepts it (all of them if it takes ``**kwargs``), the others are dropped.
- The state has fixed dtypes from ``init`` on (no weakly typed leaves), so a jitted step compiles once.
- A trial point whose value is not finite fails the test and the step shrinks; if no trial is
  accepted the step is 0 (the params do not move), so NaN never reaches the params.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from jaxopt_lectures._validate import check_choice, check_int, check_range, checked, require_params


class LinesearchState(NamedTuple):
    """State of :func:`armijo_linesearch` and :func:`wolfe_linesearch` (values of the last call)."""

    step: jax.Array  # accepted step α (0 before the first call and after a failed search)
    value: jax.Array  # f(θ + α d) at the accepted step (inf before the first call)
    num_evals: jax.Array  # int32: function evaluations of the last search
    total_evals: jax.Array  # int32: function evaluations of all searches so far
    success: jax.Array  # bool: the accepted step satisfies the search's criterion
    inner: Any = ()  # wolfe_linesearch: the wrapped optax zoom state (dtypes fixed)


def value_fn_kwargs(fn: Callable[..., Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """The extra keywords that ``fn`` accepts (docs/spec/decisions.md#decision-1): all of them if it takes ``**kwargs``.

    A signature that cannot be read accepts none of them.

    Example:
        >>> from jaxopt_lectures.second_order.linesearch import value_fn_kwargs
        >>> print(value_fn_kwargs(lambda p, data=None: p, {"data": 1, "key": 2}))
        {'data': 1}
    """
    try:
        parameters = list(inspect.signature(fn).parameters.values())[1:]  # the first one is the params
    except (TypeError, ValueError):
        return {}
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return dict(extra)
    names = {p.name for p in parameters if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)}
    return {k: v for k, v in extra.items() if k in names}


def objective(value_fn: Callable[..., Any] | None, extra: Mapping[str, Any], owner: str) -> Callable[[Any], jax.Array]:
    """``params -> value_fn(params, **accepted extra keywords)``; ``TypeError`` naming ``value_fn`` if missing."""
    if value_fn is None:
        raise TypeError(f"{owner}.update requires the keyword value_fn= (the objective params -> scalar)")
    kwargs = value_fn_kwargs(value_fn, extra)
    return lambda p: value_fn(p, **kwargs)


def real_dtype(params: Any) -> jnp.dtype:
    """The dtype scalars of the state use: that of the first params leaf (docs/spec/conventions.md#conventions)."""
    leaves = jax.tree.leaves(params)
    return jnp.dtype(leaves[0].dtype) if leaves else jnp.dtype(jnp.float32)


def _strong(tree: Any, like: Any = None) -> Any:
    """Cast every leaf to a strongly typed array (of ``like``'s dtypes where given): no re-tracing."""
    like = tree if like is None else like
    return jax.tree.map(lambda x, y: jax.lax.convert_element_type(jnp.asarray(x), jnp.result_type(y)), tree, like)


def _initial_state(params: Any, inner: Any = ()) -> LinesearchState:
    dtype = real_dtype(params)
    zero = jnp.zeros((), jnp.int32)
    return LinesearchState(jnp.zeros((), dtype), jnp.full((), jnp.inf, dtype), zero, zero,
                           jnp.zeros((), bool), _strong(inner))


def _value_and_slope(fn: Callable, params: Any, d: Any, value: Any, grad: Any) -> tuple[jax.Array, jax.Array]:
    """f(θ) (given or computed) and the directional derivative ∇f(θ)ᵀd (grad given or computed)."""
    if value is None:
        value = fn(params)
    if grad is None:
        grad = jax.grad(fn)(params)
    return jnp.asarray(value), optax.tree.real(optax.tree.vdot(grad, d))


def _scaled(step: jax.Array, d: Any) -> Any:
    return jax.tree.map(lambda x: (step * x).astype(x.dtype), d)


@checked
def armijo_linesearch(
    *,
    max_linesearch_steps: int = 30,
    decrease_factor: float = 0.5,
    slope_rtol: float = 1e-4,
    initial_step: float = 1.0,
) -> optax.GradientTransformationExtraArgs:
    r"""Armijo backtracking: the first $\alpha = \alpha_0 \rho^k$ with sufficient decrease.

    Tries $\alpha_0$ (``initial_step``) and multiplies by $\rho$ (``decrease_factor``) until
    $f(\theta + \alpha d) \le f(\theta) + c_1 \alpha \nabla f(\theta)^\top d$ ($c_1$ = ``slope_rtol``)
    and $f(\theta + \alpha d)$ is finite, at most ``max_linesearch_steps`` + 1 evaluations. Every call
    restarts at $\alpha_0$ (for Newton the unit step, which is accepted near the minimizer). If no
    trial is accepted (not a descent direction, or non-finite values everywhere) the step is 0 and
    ``state.success`` is False. Returns $\alpha d$. State: :class:`LinesearchState`.

    Same rule as ``optax.scale_by_backtracking_linesearch(max_backtracking_steps, slope_rtol,
    decrease_factor, increase_factor=math.inf, max_learning_rate=initial_step)`` except on failure
    (optax returns the last, tiny, trial step).

    Lecture:
        [002] full-batch quasi-Newton ("L-BFGS ... full batch, deterministic mode"); docs/spec/linesearch.md.

    Args:
        max_linesearch_steps: number of reductions allowed (int >= 0).
        decrease_factor: $\rho \in (0, 1)$.
        slope_rtol: $c_1 \in (0, 1)$; 1e-4 (Nocedal & Wright).
        initial_step: $\alpha_0 > 0$.

    Raises:
        ValueError: a hyperparameter out of its range.

    References:
        Armijo, Minimization of functions having Lipschitz continuous first partial derivatives,
        Pacific J. Math. 1966. Nocedal & Wright, Numerical Optimization, 2006, Alg. 3.1.

    Example:
        >>> import jax.numpy as jnp, jaxopt_lectures as jol
        >>> f = lambda x: jnp.sum(x**4)
        >>> ls, x = jol.armijo_linesearch(), jnp.array([1.0])
        >>> u, s = ls.update(-4 * x**3, ls.init(x), x, value_fn=f)   # d = −∇f = −4
        >>> print(u, s.step, s.num_evals)   # α = 1 (f = 81), 1/2 (f = 1) rejected; 1/4 lands on 0
        [-1.] 0.25 3
    """
    check_int("max_linesearch_steps", max_linesearch_steps, 0)
    check_range("decrease_factor", decrease_factor, 0.0, 1.0, low_open=True, high_open=True)
    check_range("slope_rtol", slope_rtol, 0.0, 1.0, low_open=True, high_open=True)
    check_range("initial_step", initial_step, 0.0, low_open=True)

    def init(params: optax.Params) -> LinesearchState:
        return _initial_state(params)

    def update(updates, state, params=None, *, value=None, grad=None, value_fn=None, **extra):
        require_params(params, "armijo_linesearch", "the point where the step starts")
        fn = objective(value_fn, extra, "armijo_linesearch")
        f0, slope = _value_and_slope(fn, params, updates, value, grad)
        dtype = state.step.dtype
        cdtype = jnp.promote_types(dtype, jnp.float32)
        f0, slope = f0.astype(cdtype), slope.astype(cdtype)

        def trial(alpha):
            f = jnp.asarray(fn(optax.apply_updates(params, _scaled(alpha.astype(dtype), updates)))).astype(cdtype)
            ok = jnp.isfinite(f) & (f <= f0 + slope_rtol * alpha * slope)
            return f, ok

        def body(carry):
            k, alpha, _, _ = carry
            alpha = alpha * decrease_factor
            return (k + 1, alpha, *trial(alpha))

        alpha0 = jnp.asarray(initial_step, cdtype)
        k, alpha, f, ok = jax.lax.while_loop(
            lambda c: (~c[3]) & (c[0] < max_linesearch_steps), body, (jnp.zeros((), jnp.int32), alpha0, *trial(alpha0)))
        step = jnp.where(ok, alpha, 0.0).astype(dtype)
        num_evals = k + 1
        new_state = LinesearchState(step, jnp.where(ok, f, f0).astype(dtype), num_evals,
                                    state.total_evals + num_evals, ok, state.inner)
        return _scaled(step, updates), new_state

    return optax.GradientTransformationExtraArgs(init, update)


@checked
def wolfe_linesearch(
    *,
    max_linesearch_steps: int = 20,
    slope_rtol: float = 1e-4,
    curv_rtol: float = 0.9,
    approx_dec_rtol: float | None = 1e-6,
    initial_guess_strategy: str = "one",
    max_step: float | None = None,
) -> optax.GradientTransformationExtraArgs:
    r"""Strong-Wolfe line search (zoom, Nocedal & Wright Alg. 3.5/3.6), wrapping ``optax.scale_by_zoom_linesearch``.

    Accepts $\alpha$ with sufficient decrease
    $f(\theta + \alpha d) \le f(\theta) + c_1 \alpha \nabla f(\theta)^\top d$ and small curvature
    $|\nabla f(\theta + \alpha d)^\top d| \le c_2 |\nabla f(\theta)^\top d|$ ($c_1$ = ``slope_rtol``,
    $c_2$ = ``curv_rtol``: 0.9 for quasi-Newton, 0.1 for CG). Near flat regions it switches to the
    approximate-Wolfe decrease of Hager & Zhang unless ``approx_dec_rtol=None``. The strong Wolfe
    conditions guarantee $y^\top s > 0$, so BFGS's inverse Hessian stays positive definite.
    Returns $\alpha d$; state: :class:`LinesearchState` (``inner`` holds optax's state).

    The optax search itself decides each trial; this wrapper fixes the dtypes of its state (optax's
    starts weakly typed and a jitted loop re-traces once, docs/spec/pitfalls.md#pitfall-12), filters the extra keywords
    for ``value_fn`` (optax raises on unknown ones), computes missing ``value=``/``grad=``, and
    returns a zero step if optax's step or value is not finite. A non-finite trial value counts as an
    infinite decrease error in optax, so the search shrinks towards the last finite point.

    Lecture:
        [002] "Quasi-Newton methods (BFGS most popular)", "L-BFGS"; docs/spec/bfgs.md, docs/spec/lbfgs.md,
        docs/spec/linesearch.md.

    Args:
        max_linesearch_steps: evaluations allowed (int >= 1); 20 as ``optax.lbfgs``.
        slope_rtol: $c_1 \in (0, 1)$.
        curv_rtol: $c_2 \in (c_1, 1)$.
        approx_dec_rtol: Hager–Zhang tolerance, or None for the classical strong Wolfe test only.
        initial_guess_strategy: ``"one"`` (start at $\alpha = 1$, for quasi-Newton) or ``"keep"``
            (start at the previous accepted step).
        max_step: largest step tried, or None.

    Raises:
        ValueError: a hyperparameter out of its range or an unknown ``initial_guess_strategy``.

    References:
        Nocedal & Wright, Numerical Optimization, 2006, Alg. 3.5–3.6. Hager & Zhang, A new conjugate
        gradient method with guaranteed descent and an efficient line search, SIAM J. Optim. 2005.

    Example:
        >>> import jax.numpy as jnp, jaxopt_lectures as jol
        >>> f = lambda x: jnp.sum((x - 3.0) ** 2)
        >>> ls, x = jol.wolfe_linesearch(), jnp.array([1.0])
        >>> u, s = ls.update(jnp.array([1.0]), ls.init(x), x, value_fn=f, unused_key=0)  # d = +1
        >>> print(u, s.step, bool(s.success))   # α = 1: f 4 → 1, slope −4 → −2 (|−2| ≤ 0.9·4)
        [1.] 1.0 True
    """
    check_int("max_linesearch_steps", max_linesearch_steps, 1)
    check_range("slope_rtol", slope_rtol, 0.0, 1.0, low_open=True, high_open=True)
    check_range("curv_rtol", curv_rtol, slope_rtol, 1.0, low_open=True, high_open=True)
    if approx_dec_rtol is not None:
        check_range("approx_dec_rtol", approx_dec_rtol, 0.0)
    check_choice("initial_guess_strategy", initial_guess_strategy, ("one", "keep"))
    if max_step is not None:
        check_range("max_step", max_step, 0.0, low_open=True)
    zoom = optax.scale_by_zoom_linesearch(
        max_linesearch_steps=max_linesearch_steps, max_learning_rate=max_step, slope_rtol=slope_rtol,
        curv_rtol=curv_rtol, approx_dec_rtol=approx_dec_rtol, initial_guess_strategy=initial_guess_strategy)

    def init(params: optax.Params) -> LinesearchState:
        return _initial_state(params, zoom.init(params))

    def update(updates, state, params=None, *, value=None, grad=None, value_fn=None, **extra):
        require_params(params, "wolfe_linesearch", "the point where the step starts")
        fn = objective(value_fn, extra, "wolfe_linesearch")
        if value is None:
            value = fn(params)
        if grad is None:
            grad = jax.grad(fn)(params)
        dtype = state.step.dtype
        _, inner = zoom.update(updates, state.inner, params, value=jnp.asarray(value).astype(dtype),
                               grad=grad, value_fn=fn)
        inner = _strong(inner, state.inner)
        ok_numbers = jnp.isfinite(inner.learning_rate) & jnp.isfinite(inner.value)
        step = jnp.where(ok_numbers, inner.learning_rate, 0.0).astype(dtype)
        info = inner.info
        success = ok_numbers & (jnp.maximum(info.decrease_error, info.curvature_error) <= 0.0)
        num_evals = info.num_linesearch_steps.astype(jnp.int32)
        new_state = LinesearchState(step, jnp.where(ok_numbers, inner.value, value).astype(dtype), num_evals,
                                    state.total_evals + num_evals, success, inner)
        return _scaled(step, updates), new_state

    return optax.GradientTransformationExtraArgs(init, update)


def check_linesearch(linesearch: Any) -> None:
    """``TypeError`` unless ``linesearch`` is None or a gradient transformation (docs/spec/bfgs.md)."""
    if linesearch is not None and not isinstance(linesearch, optax.GradientTransformation):
        raise TypeError(f"linesearch={linesearch!r} must be None or an optax GradientTransformation")


def with_gradient_default(tx: optax.GradientTransformation) -> optax.GradientTransformationExtraArgs:
    """``tx`` whose update passes ``grad=updates`` when the caller gave no ``grad=``.

    An alias such as :func:`bfgs` receives the gradient itself as ``updates``, so the line search at
    the end of its chain can use it for the slope without recomputing it (what the driver passes).
    """
    tx = optax.with_extra_args_support(tx)

    def update(updates, state, params=None, **extra):
        if extra.get("grad") is None:
            extra["grad"] = updates
        return tx.update(updates, state, params, **extra)

    return optax.GradientTransformationExtraArgs(tx.init, update)


def descent_chain(
    direction: optax.GradientTransformation,
    learning_rate: optax.ScalarOrSchedule | None,
    linesearch: optax.GradientTransformation | None,
) -> optax.GradientTransformationExtraArgs:
    """``chain(direction, scale(−1) or scale_by_learning_rate(η), linesearch)`` as ``optax.lbfgs`` builds it."""
    check_linesearch(linesearch)
    rate = optax.scale(-1.0) if learning_rate is None else optax.scale_by_learning_rate(learning_rate)
    return with_gradient_default(optax.chain(direction, rate, *([linesearch] if linesearch is not None else [])))
