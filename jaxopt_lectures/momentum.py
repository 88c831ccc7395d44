"""Momentum and Nesterov momentum in the lectures' three forms; docs/spec/momentum.md, docs/spec/nesterov.md.

[002] (first form, ρ) and [003] (μ) accumulate the raw gradient ("trace"), [000]'s algorithm and
[002]'s "alternative equivalent formulation" accumulate the rate-scaled step ("velocity"), and
[001] keeps an exponential moving average ("ema"). Under a constant rate all three give the same
trajectory after rescaling (ema(η) = trace(η(1−β))); under a changing rate trace and velocity differ.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from jaxopt_lectures._tree import tree_map_unzip
from jaxopt_lectures._validate import check_choice, check_learning_rate, check_range, checked

FORMS = ("trace", "velocity", "ema")


class ScaleByMomentumState(NamedTuple):
    m: optax.Updates  # the accumulated direction: Σ β^{t-i} g_i (trace) or its EMA (ema)


def _check_momentum_args(beta: float, form: str) -> None:
    check_range("beta", beta, 0.0, 1.0, high_open=True)
    check_choice("form", form, FORMS)


@checked
def scale_by_momentum(
    beta: float = 0.9, *, nesterov: bool = False, form: str = "trace"
) -> optax.GradientTransformationExtraArgs:
    r"""The momentum direction, before the learning rate.

    ``form="trace"`` (and ``"velocity"``, which is the trace of already rate-scaled inputs):
    $m_t = \beta m_{t-1} + g_t$; ``form="ema"``: $m_t = \beta m_{t-1} + (1-\beta) g_t$.
    The direction is $m_t$, or with ``nesterov=True`` the look-ahead combination
    $w g_t + \beta m_t$ with $w = 1$ (trace) or $w = 1-\beta$ (ema). State: ``m`` = zeros.

    The full method with its maths and lectures is :func:`momentum` ([002] "SGD + Momentum",
    [003] "Fix #1", [001] §7.2; Polyak 1964, Sutskever et al. 2013). docs/spec/momentum.md, docs/spec/nesterov.md.

    Example:
        >>> import jax.numpy as jnp, jaxopt_lectures as jol
        >>> tx = jol.scale_by_momentum(0.5, form="ema")
        >>> u, s = tx.update(jnp.array([2.0]), tx.init(jnp.zeros(1)))
        >>> print(u, s.m)
        [1.] [1.]
    """
    _check_momentum_args(beta, form)
    w = 1.0 - beta if form == "ema" else 1.0  # weight of the new gradient in the average

    def init(params: optax.Params) -> ScaleByMomentumState:
        return ScaleByMomentumState(optax.tree.zeros_like(params))

    def update(updates, state, params=None, **extra_args):
        del params, extra_args

        def per_leaf(g, m_prev):
            m = beta * m_prev + w * g.astype(m_prev.dtype)
            d = w * g + beta * m.astype(g.dtype) if nesterov else m
            return d.astype(g.dtype), m

        d, m = tree_map_unzip(per_leaf, updates, state.m)
        return d, ScaleByMomentumState(m)

    return optax.GradientTransformationExtraArgs(init, update)


@checked
def momentum(
    learning_rate: optax.ScalarOrSchedule,
    beta: float = 0.9,
    *,
    nesterov: bool = False,
    form: str = "trace",
) -> optax.GradientTransformationExtraArgs:
    r"""Gradient descent with (heavy-ball or Nesterov) momentum, in the lectures' three forms.

    | ``form`` | recursion | update $\Delta_t$ | lecture |
    |---|---|---|---|
    | ``"trace"`` | $m_t = \beta m_{t-1} + g_t$ | $-\eta_t m_t$ | [002] (ρ), [003] (μ), optax, torch |
    | ``"velocity"`` | $v_t = \beta v_{t-1} - \eta_t g_t$ | $v_t$ | [000] algorithm, [002] second form |
    | ``"ema"`` | $m_t = \beta m_{t-1} + (1-\beta) g_t$ | $-\eta_t m_t$ | [001] (μ) |

    With a constant rate, trace and velocity are the same method ($v = -\eta m$) and
    ema$(\eta)$ = trace$(\eta(1-\beta))$ for any schedule. Under a changing rate, trace re-scales
    the whole history by the current $\eta_t$ while velocity keeps each gradient weighted by the
    rate in force when it arrived. The ema form has no bias correction: its first step is
    $-\eta(1-\beta) g_1$.

    ``nesterov=True`` uses the change-of-variables form of Nesterov's method ([002]): the params
    produced are the look-ahead points $\tilde x_t = x_t + \beta v_t$ where gradients are taken;
    trace: $\Delta_t = -\eta_t(g_t + \beta m_t)$, velocity: $\Delta_t = \beta v_t - \eta_t g_t$,
    ema: $\Delta_t = -\eta_t((1-\beta) g_t + \beta m_t)$.

    Lecture:
        [000] "SGD With Momentum", "SGD With Nesterov Momentum"; [001] §7.2; [002] "SGD + Momentum",
        "Nesterov Momentum"; [003] "Fix #1". docs/spec/momentum.md, docs/spec/nesterov.md.

    Args:
        learning_rate: $\eta \ge 0$, float, jax scalar or schedule.
        beta: momentum $\beta \in [0, 1)$; 0.9 (or 0.99) in [002].
        nesterov: use Nesterov's look-ahead gradient (change-of-variables form).
        form: ``"trace"`` (default, as optax and torch), ``"velocity"`` or ``"ema"``.

    Raises:
        ValueError: ``beta`` outside [0, 1), negative ``learning_rate`` or unknown ``form``.

    References:
        Polyak, Some methods of speeding up the convergence of iteration methods, 1964.
        Sutskever, Martens, Dahl & Hinton, On the importance of initialization and momentum in
        deep learning, ICML 2013.

    Example:
        >>> import jax.numpy as jnp, jaxopt_lectures as jol
        >>> tx = jol.momentum(0.1, beta=0.9)
        >>> g, state = jnp.array([1.0]), tx.init(jnp.zeros(1))
        >>> u1, state = tx.update(g, state)
        >>> u2, state = tx.update(g, state)
        >>> print(u1, u2)  # -0.1·1 then -0.1·(0.9 + 1)
        [-0.1] [-0.19]
    """
    check_learning_rate(learning_rate)
    _check_momentum_args(beta, form)
    if form == "velocity":  # v accumulates the rate-scaled step -η_t g_t (docs/spec/momentum.md)
        return optax.chain(
            optax.scale_by_learning_rate(learning_rate),
            scale_by_momentum(beta, nesterov=nesterov, form="trace"),
        )
    return optax.chain(
        scale_by_momentum(beta, nesterov=nesterov, form=form),
        optax.scale_by_learning_rate(learning_rate),
    )


@checked
def scale_by_nesterov(beta: float = 0.9, *, form: str = "trace") -> optax.GradientTransformationExtraArgs:
    r"""``scale_by_momentum(beta, nesterov=True, form=form)``: direction $g_t + \beta m_t$ (trace form).

    See :func:`nesterov` ([002] "Nesterov Momentum"; Nesterov 1983, Sutskever et al. 2013). docs/spec/nesterov.md.

    Example:
        >>> import jax.numpy as jnp, jaxopt_lectures as jol
        >>> tx = jol.scale_by_nesterov(0.5)
        >>> u, _ = tx.update(jnp.array([2.0]), tx.init(jnp.zeros(1)))
        >>> print(u)  # g + β·m = 2 + 0.5·2
        [3.]
    """
    return scale_by_momentum(beta, nesterov=True, form=form)


@checked
def nesterov(
    learning_rate: optax.ScalarOrSchedule, beta: float = 0.9, *, form: str = "trace"
) -> optax.GradientTransformationExtraArgs:
    r"""Nesterov momentum: ``momentum(learning_rate, beta, nesterov=True, form=form)``.

    Look-ahead form ([000] algorithm, Sutskever 2013) with real iterate $x_t$:
    $v_{t+1} = \beta v_t - \eta \nabla f(x_t + \beta v_t)$, $x_{t+1} = x_t + v_{t+1}$.
    A gradient transformation only sees the gradient at the params it is given, so this is the
    change-of-variables form of [002]: with $\tilde x_t = x_t + \beta v_t$,
    $\tilde x_{t+1} = \tilde x_t - \eta \nabla f(\tilde x_t) + \beta v_{t+1}$. The params it
    produces are $\tilde x_t$; recover $x_t$ with :func:`nesterov_iterate`.

    Lecture:
        [000] "SGD With Nesterov Momentum"; [002] "Nesterov Momentum" (change of variables).
        docs/spec/nesterov.md. Same as ``optax.sgd(lr, momentum=beta, nesterov=True)`` for ``form="trace"``.

    Args:
        learning_rate: $\eta \ge 0$, float, jax scalar or schedule.
        beta: momentum $\beta \in [0, 1)$.
        form: ``"trace"``, ``"velocity"`` or ``"ema"`` as in :func:`momentum`.

    Raises:
        ValueError: ``beta`` outside [0, 1), negative ``learning_rate`` or unknown ``form``.

    References:
        Nesterov, A method for solving the convex programming problem with convergence rate
        O(1/k²), 1983. Sutskever et al., ICML 2013.

    Example:
        >>> import jax.numpy as jnp, jaxopt_lectures as jol
        >>> tx = jol.nesterov(0.1, beta=0.9)
        >>> u, _ = tx.update(jnp.array([1.0]), tx.init(jnp.zeros(1)))
        >>> print(u)  # -η(g + βm) with m = g
        [-0.19]
    """
    return momentum(learning_rate, beta, nesterov=True, form=form)


def nesterov_iterate(params: optax.Params, state: tuple, beta: float = 0.9) -> optax.Params:
    r"""The look-ahead method's real iterate $x_t = \tilde x_t - \beta v_t$ from a Nesterov run.

    ``state`` is the state of ``nesterov(learning_rate, beta, form="velocity")`` after the
    updates that produced ``params`` (the velocity form's state holds $v_t$ itself; for the
    trace form with a constant rate, $v_t = -\eta m_t$). docs/spec/nesterov.md.

    Lecture: [000] "SGD With Nesterov Momentum" (look-ahead algorithm) and [002] "Nesterov
    Momentum" (change of variables $\tilde x_t = x_t + \beta v_t$). Reference: Sutskever, Martens,
    Dahl & Hinton, ICML 2013.

    Example:
        >>> import jax.numpy as jnp, optax, jaxopt_lectures as jol
        >>> tx, x = jol.nesterov(0.1, beta=0.5, form="velocity"), jnp.array([1.0])
        >>> state = tx.init(x)
        >>> u, state = tx.update(2 * x, state)   # gradient of x² at x = 1
        >>> print(jol.nesterov_iterate(optax.apply_updates(x, u), state, beta=0.5))
        [0.8]
    """
    check_range("beta", beta, 0.0, 1.0, high_open=True)
    if not (isinstance(state, tuple) and len(state) == 2 and isinstance(state[1], ScaleByMomentumState)):
        raise ValueError("state must be the state of nesterov(..., form='velocity'), whose second part holds v_t")
    v = state[1].m
    return jax.tree.map(lambda p, v_: p - jnp.asarray(beta, v_.dtype) * v_, params, v)
