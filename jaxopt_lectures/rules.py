"""The per-parameter rules of [001] §7.4–7.5: delta-delta, delta-bar-delta, Quickprop and Rprop.

These methods keep a learning rate (or a step size, or the last step) *per weight* in the
optimizer state, so the rate lives inside the transform: each ``scale_by_<name>(learning_rate, ...)``
returns the gradient-signed direction with the rate already applied, and the alias appends
``optax.scale(-1)`` (docs/spec/conventions.md#conventions). Where the rate is state (the delta rules'
η_0, Rprop's Δ_0) a ``learning_rate`` given as a schedule is read once, at count 0, to build the initial state
(docs/spec/delta-delta.md); Quickprop's ε is not state and follows a schedule step by step. No library ships them
correctly: optax has no delta
rules or Quickprop, and ``optax.rprop`` returns the previous call's step (docs/spec/rprop.md,
docs/spec/pitfalls.md#pitfall-1).

Sign tests use ``sign(a) * sign(b)``, never ``a * b`` (the product of two tiny float32 gradients
underflows to 0 and silently changes the branch), and every division is computed with a safe
denominator in the lanes where its result is not selected, so no NaN appears even there (NaN in a
masked lane poisons ``jax.grad`` through the optimizer).

Speed (benchmarks/README.md): XLA on CPU compiles each output (update, each state field)
into its own loop over the weights, and a jitted step with donated state writes each new state field
in place over the old one. The per-weight maths is arranged so that this needs no temporary
buffer: a state field is computed once and the update reads it (``_saturate`` uses selects),
and where one output reads an old field that another output overwrites, ``_after`` makes the
overwrite wait for the reader.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from jaxopt_lectures._tree import tree_map_unzip, value_at
from jaxopt_lectures._validate import check_bool, check_choice, check_learning_rate, check_range, checked

AVERAGES = ("previous", "current")
VARIANTS = ("rprop+", "rprop-", "irprop+", "irprop-")


def _saturate(x: jax.Array) -> jax.Array:
    """Clip to the largest finite value of the dtype: overflow saturates instead of becoming inf.

    Written as selects, not ``jnp.clip``: XLA recomputes a clamp (a one-input op) in every consumer,
    so a clamped state field would be recomputed from the old state in the parameter update too.
    """
    big = jnp.finfo(x.dtype).max
    return jnp.where(x > big, big, jnp.where(x < -big, -big, x))


def _after(first: jax.Array, x: jax.Array) -> jax.Array:
    """``x`` unchanged, computed in a loop that also reads ``first`` (the mask is never true).

    The data dependency orders the loops: a state field whose old value another output reads is
    overwritten (in place, in its donated buffer) only after ``first``, that other output, is
    computed, so XLA does not copy the old value aside; and a state field the maths does not read
    still reaches the compiled step, so its donated buffer is reused instead of a new one.
    """
    return jnp.where(jnp.isnan(first) & (first > 0), 0, x)


def _rates_and_zeros(params: optax.Params, learning_rate: Any) -> tuple[optax.Params, optax.Params]:
    """Initial state of the per-weight-rate rules: rates η_i(0) = η0 (a schedule read at 0), and zeros."""
    return optax.tree.full_like(params, value_at(learning_rate, 0)), optax.tree.zeros_like(params)


def _descend(direction: optax.GradientTransformationExtraArgs) -> optax.GradientTransformationExtraArgs:
    """The alias: the rate-carrying direction, negated (docs/spec/conventions.md#conventions)."""
    return optax.chain(direction, optax.scale(-1.0))


# --------------------------------------------------------------------------------------------
# Delta-delta (docs/spec/delta-delta.md)


class ScaleByDeltaDeltaState(NamedTuple):
    rates: optax.Updates  # η_i(t−1); η_0 before the first update
    prev_grad: optax.Updates  # g_i(t−1); zeros before the first update


@checked
def scale_by_delta_delta(
    learning_rate: optax.ScalarOrSchedule, *, meta_learning_rate: float, min_learning_rate: float | None = 0.0
) -> optax.GradientTransformationExtraArgs:
    r"""The delta-delta direction $+\eta_i(t)\, g_i(t)$ (rate inside). Maths: see :func:`delta_delta`.

    Example:
        >>> import jax.numpy as jnp, jaxopt_lectures as jol
        >>> tx = jol.scale_by_delta_delta(0.1, meta_learning_rate=0.5)
        >>> u, state = tx.update(jnp.array([2.0]), tx.init(jnp.zeros(1)))
        >>> print(u, state.rates)  # the first step uses η0 = 0.1
        [0.2] [0.1]
    """
    check_learning_rate(learning_rate, positive=True)
    check_range("meta_learning_rate", meta_learning_rate, 0.0)
    if min_learning_rate is not None:
        check_range("min_learning_rate", min_learning_rate, 0.0)

    def init(params: optax.Params) -> ScaleByDeltaDeltaState:
        return ScaleByDeltaDeltaState(*_rates_and_zeros(params, learning_rate))

    def update(updates, state, params=None, **extra_args):
        del params, extra_args

        def per_weight(g_in, eta_prev, g_prev):
            g = g_in.astype(g_prev.dtype)
            eta = eta_prev + (meta_learning_rate * g) * g_prev  # the raw product, not its sign
            eta = _saturate(eta if min_learning_rate is None else jnp.maximum(eta, min_learning_rate))
            return _saturate(eta * g).astype(g_in.dtype), eta.astype(eta_prev.dtype), _after(eta, g)

        u, rates, g = tree_map_unzip(per_weight, updates, state.rates, state.prev_grad)
        return u, ScaleByDeltaDeltaState(rates, g)

    return optax.GradientTransformationExtraArgs(init, update)


@checked
def delta_delta(
    learning_rate: optax.ScalarOrSchedule, *, meta_learning_rate: float, min_learning_rate: float | None = 0.0
) -> optax.GradientTransformationExtraArgs:
    r"""Delta-delta rule: per-weight learning rates moved by the product of successive gradients.

    With $\eta_i(0) = \eta_0$, $g_i(0) = 0$ and $\gamma$ = ``meta_learning_rate``:
    $$
    \eta_i(t) = \max\bigl(\eta_i(t-1) + \gamma\, g_i(t)\, g_i(t-1),\ \eta_{\min}\bigr), \qquad
    u_i(t) = -\eta_i(t)\, g_i(t).
    $$
    The rate is updated *before* it is used, and since $g_i(0) = 0$ the first step is the plain
    gradient step $-\eta_0 g$. The slide states the recursion only; because $g_i(t) g_i(t-1)$ can be
    large and negative, the literal rule (``min_learning_rate=None``) lets a rate become negative, so
    the step ascends — against the same lecture's requirement of non-negative rates. The default
    clips rates at ``min_learning_rate=0.0`` after each update (docs/spec/decisions.md#decision-4). The rule is
    scale-sensitive (on $\frac12(x^2 + 100y^2)$ with $\eta_0 = 10^{-3}$ it diverges for
    $\gamma \ge 10^{-5}$). Rates and updates saturate at the largest finite float instead of
    overflowing to inf.

    Non-finite gradients: a NaN entry makes that weight's rate NaN for good (as the equations say),
    so all its later updates are NaN; the other weights are unaffected. Wrap the optimizer in
    ``optax.apply_if_finite`` to skip such steps.

    Lecture:
        [001] §7.4 "Delta-delta rule". docs/spec/delta-delta.md (no library implements it; the reference is a
        float64 NumPy loop of the two equations).

    Args:
        learning_rate: the initial rate $\eta_0 > 0$ of every weight; a schedule is read at count 0.
        meta_learning_rate: $\gamma \ge 0$, the step size of the rate update.
        min_learning_rate: $\eta_{\min} \ge 0$, the floor of the rates; ``None`` = the literal slide.

    Raises:
        ValueError: ``learning_rate`` <= 0, negative ``meta_learning_rate`` or ``min_learning_rate``.

    References:
        Jacobs, Increased rates of convergence through learning rate adaptation, Neural Networks
        1(4), 1988 (section "the delta-delta learning rule").

    Example:
        >>> import jax.numpy as jnp, jaxopt_lectures as jol
        >>> tx = jol.delta_delta(0.1, meta_learning_rate=0.5)
        >>> state = tx.init(jnp.zeros(1))
        >>> u1, state = tx.update(jnp.array([2.0]), state)   # η = 0.1
        >>> u2, state = tx.update(jnp.array([1.0]), state)   # η = 0.1 + 0.5·1·2 = 1.1
        >>> print(u1, u2)
        [-0.2] [-1.1]
    """
    return _descend(scale_by_delta_delta(learning_rate, meta_learning_rate=meta_learning_rate,
                                         min_learning_rate=min_learning_rate))


# --------------------------------------------------------------------------------------------
# Delta-bar-delta (docs/spec/delta-bar-delta.md)


class ScaleByDeltaBarDeltaState(NamedTuple):
    rates: optax.Updates  # η_i(t−1); η_0 before the first update
    gbar: optax.Updates  # ḡ_i(t−1), the exponential average of the gradients; zeros at first


@checked
def scale_by_delta_bar_delta(
    learning_rate: optax.ScalarOrSchedule, *, kappa: float, phi: float, theta: float, average: str = "previous"
) -> optax.GradientTransformationExtraArgs:
    r"""The delta-bar-delta direction $+\eta_i(t)\, g_i(t)$ (rate inside). Maths: see :func:`delta_bar_delta`.

    Example:
        >>> import jax.numpy as jnp, jaxopt_lectures as jol
        >>> tx = jol.scale_by_delta_bar_delta(0.1, kappa=0.05, phi=0.5, theta=0.5)
        >>> state = tx.init(jnp.zeros(1))
        >>> _, state = tx.update(jnp.array([1.0]), state)  # ḡ was 0: no change, ḡ = 0.5
        >>> u, state = tx.update(jnp.array([1.0]), state)  # same sign: η = 0.1 + 0.05
        >>> print(u, state.rates)
        [0.15] [0.15]
    """
    check_learning_rate(learning_rate, positive=True)
    check_range("kappa", kappa, 0.0)
    check_range("phi", phi, 0.0, 1.0)
    check_range("theta", theta, 0.0, 1.0, high_open=True)
    check_choice("average", average, AVERAGES)

    def init(params: optax.Params) -> ScaleByDeltaBarDeltaState:
        return ScaleByDeltaBarDeltaState(*_rates_and_zeros(params, learning_rate))

    def update(updates, state, params=None, **extra_args):
        del params, extra_args

        def per_weight(g_in, eta_prev, gbar_prev):
            g = g_in.astype(gbar_prev.dtype)
            gbar = theta * gbar_prev + (1 - theta) * g
            c = jnp.sign(gbar_prev if average == "previous" else gbar) * jnp.sign(g)
            eta = jnp.where(c > 0, eta_prev + kappa, jnp.where(c < 0, (1 - phi) * eta_prev, eta_prev))
            if average == "previous":  # ḡ(t−1) is read above: overwrite it only after η is computed
                gbar = _after(eta, gbar)
            return (eta * g).astype(g_in.dtype), eta.astype(eta_prev.dtype), gbar.astype(gbar_prev.dtype)

        u, rates, gbar = tree_map_unzip(per_weight, updates, state.rates, state.gbar)
        return u, ScaleByDeltaBarDeltaState(rates, gbar)

    return optax.GradientTransformationExtraArgs(init, update)


@checked
def delta_bar_delta(
    learning_rate: optax.ScalarOrSchedule, *, kappa: float, phi: float, theta: float, average: str = "previous"
) -> optax.GradientTransformationExtraArgs:
    r"""Delta-bar-delta: additive rate increase, multiplicative decrease, against an averaged gradient.

    With $\eta_i(0) = \eta_0$, $\bar g_i(0) = 0$, $\bar g_i(t) = \theta \bar g_i(t-1) + (1-\theta) g_i(t)$
    and $c_i = \operatorname{sign} \bar g_i \cdot \operatorname{sign} g_i(t)$:
    $$
    \eta_i(t) = \begin{cases} \eta_i(t-1) + \kappa & c_i > 0 \\ (1-\phi)\,\eta_i(t-1) & c_i < 0 \\
      \eta_i(t-1) & c_i = 0 \end{cases}
    \qquad u_i(t) = -\eta_i(t)\, g_i(t).
    $$
    ``average="previous"`` (default, Jacobs 1988; ensmallen's ``DeltaBarDelta`` too) compares
    $g_i(t)$ with the average *before* it is updated, $\bar g_i(t-1)$; ``"current"`` is the [001]
    slide, which compares with $\bar g_i(t)$, the average that already contains $g_i(t)$ (sign flips
    are then detected late and the rule leans toward increases). The new rate is used at once; the
    first step is $-\eta_0 g$. With $0 \le \phi \le 1$ the rates stay $\ge 0$.

    Non-finite gradients: a NaN entry gives a NaN update there and makes $\bar g_i$ NaN for good,
    which freezes that weight's rate ($c_i$ is NaN, neither $> 0$ nor $< 0$); later updates of that
    weight are $-\eta_i g_i$ with the frozen rate. Wrap in ``optax.apply_if_finite`` to skip such steps.

    Lecture:
        [001] §7.4 "Delta-bar-delta rule". docs/spec/delta-bar-delta.md, docs/spec/decisions.md#decision-4
        (reference: float64 NumPy loop of
        both options).

    Args:
        learning_rate: the initial rate $\eta_0 > 0$; a schedule is read at count 0.
        kappa: additive increase $\kappa \ge 0$.
        phi: multiplicative decrease $\phi \in [0, 1]$.
        theta: averaging weight $\theta \in [0, 1)$.
        average: ``"previous"`` (Jacobs) or ``"current"`` (the slide).

    Raises:
        ValueError: a Python-number argument out of its range, or an unknown ``average``.

    References:
        Jacobs, Increased rates of convergence through learning rate adaptation, Neural Networks
        1(4), 1988.

    Example:
        >>> import jax.numpy as jnp, jaxopt_lectures as jol
        >>> tx = jol.delta_bar_delta(0.1, kappa=0.05, phi=0.5, theta=0.5)
        >>> state = tx.init(jnp.zeros(1))
        >>> u1, state = tx.update(jnp.array([1.0]), state)   # η0 = 0.1, ḡ = 0.5
        >>> u2, state = tx.update(jnp.array([-1.0]), state)  # sign flip against ḡ: η = 0.05
        >>> print(u1, u2)
        [-0.1] [0.05]
    """
    return _descend(scale_by_delta_bar_delta(learning_rate, kappa=kappa, phi=phi, theta=theta, average=average))


# --------------------------------------------------------------------------------------------
# Quickprop (docs/spec/quickprop.md)


class ScaleByQuickpropState(NamedTuple):
    count: jax.Array  # int32 scalar: updates done so far
    prev_grad: optax.Updates  # p = g_i(t−1); zeros at first
    prev_move: optax.Updates  # d = the previous move Δw_i(t−1) (descent sign); zeros at first


@checked
def scale_by_quickprop(
    learning_rate: optax.ScalarOrSchedule, *, max_growth: float = 1.75, safeguard: bool = True
) -> optax.GradientTransformationExtraArgs:
    r"""The Quickprop direction $-\Delta w$ (gradient sign, rate inside). Maths: see :func:`quickprop`.

    Example:
        >>> import jax.numpy as jnp, jaxopt_lectures as jol
        >>> tx = jol.scale_by_quickprop(0.5)
        >>> u, state = tx.update(jnp.array([2.0]), tx.init(jnp.zeros(1)))
        >>> print(u, state.prev_move)  # first step: ε·g, stored as the move Δw = −ε·g
        [1.] [-1.]
    """
    check_learning_rate(learning_rate)
    check_range("max_growth", max_growth, 0.0, low_open=True)
    check_bool("safeguard", safeguard)

    def init(params: optax.Params) -> ScaleByQuickpropState:
        zeros = optax.tree.zeros_like(params)
        return ScaleByQuickpropState(jnp.zeros([], jnp.int32), zeros, zeros)

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        eps = value_at(learning_rate, state.count)  # ε is not state: a schedule is followed
        shrink = max_growth / (1.0 + max_growth)

        def per_weight(g, p, d):
            s = g.astype(p.dtype)
            moved = (d < 0) | (d > 0)  # d = 0 (first step, restart) or NaN: a gradient step
            sigma = jnp.sign(d)  # the direction of the last move
            cap = sigma * (s - shrink * p) <= 0  # secant step would be >= μ|d| (or curvature <= 0)
            den = p - s
            secant = moved & (den != 0) & (~cap if safeguard else True)
            den = jnp.where(secant, den, 1)  # safe also where the secant is not selected
            r = jnp.where(secant, s / den, 0)
            if safeguard:  # Fahlman: linear term while the slope points the way we moved
                linear = jnp.where(sigma * s < 0, -eps * s, 0)
                move = linear + jnp.where(cap, max_growth * d, r * d)
            else:  # the slide's bare secant; p = s (no curvature information) gives 0
                move = r * d
            move = _saturate(jnp.where(moved, move, -eps * s))
            return (-move).astype(g.dtype), _after(move, s), move.astype(d.dtype)

        u, p, d = tree_map_unzip(per_weight, updates, state.prev_grad, state.prev_move)
        return u, ScaleByQuickpropState(optax.safe_increment(state.count), p, d)

    return optax.GradientTransformationExtraArgs(init, update)


@checked
def quickprop(
    learning_rate: optax.ScalarOrSchedule, *, max_growth: float = 1.75, safeguard: bool = True
) -> optax.GradientTransformationExtraArgs:
    r"""Quickprop: per weight, jump to the minimum of the parabola through the last two slopes.

    With $s = g_i(t)$, $p = g_i(t-1)$ and $d = \Delta w_i(t-1)$ (the last move; $p = d = 0$ at first),
    the secant estimate of the curvature $(s - p)/d$ gives the slide's step
    $$
    \Delta w_i(t) = \frac{s}{p - s}\, d .
    $$
    It needs a previous move, so where $d = 0$ (always on the first step) the step is the gradient
    step $-\varepsilon s$ ($\varepsilon$ = ``learning_rate``). ``safeguard=False`` is the bare
    secant otherwise; where $p = s$ (no curvature information, e.g. a repeated gradient) it returns
    0, so the next step restarts with $-\varepsilon s$. On a separable quadratic it is exact: one
    gradient step, then every coordinate lands on its minimizer.

    ``safeguard=True`` is Fahlman's published rule, with $\mu$ = ``max_growth`` and
    $\text{shrink} = \mu / (1 + \mu)$:
    $$
    d < 0:\ \Delta w = [s > 0]\,(-\varepsilon s) + \begin{cases} \mu d & s \ge \text{shrink}\cdot p \\
      \frac{s}{p-s} d & \text{else} \end{cases} \qquad
    d > 0:\ \Delta w = [s < 0]\,(-\varepsilon s) + \begin{cases} \mu d & s \le \text{shrink}\cdot p \\
      \frac{s}{p-s} d & \text{else} \end{cases}
    $$
    and $\Delta w = -\varepsilon s$ for $d = 0$: the growth of a step is capped at $\mu$ times the
    last one (the cap also catches $p = s$ and non-positive secant curvature), and the linear term is
    added only while the slope still points the way the last move went. Divisions never see a zero
    denominator (the unselected lanes divide by 1). Steps saturate at the largest finite float
    instead of overflowing. Fahlman's weight decay is ``chain(add_l2(decay), quickprop(...))``.

    Non-finite gradients: a NaN entry gives a NaN step at that weight; a NaN last move counts as no
    move ($d \ne 0$ is tested as $d < 0$ or $d > 0$), so the next finite gradient restarts that
    weight with $-\varepsilon s$.

    Lecture:
        [001] §7.5 "Quickprop" (the secant formula and its derivation). docs/spec/quickprop.md,
        docs/spec/decisions.md#decision-7
        (reference: float64 NumPy loop of both settings).

    Args:
        learning_rate: $\varepsilon \ge 0$, the gradient-step size; float, jax scalar or schedule
            (evaluated at each step's count, unlike the other rules of this module).
        max_growth: $\mu > 0$, the maximum growth factor of a step (Fahlman: 1.75).
        safeguard: Fahlman's rules (True) or the bare secant of the slide (False).

    Raises:
        ValueError: negative ``learning_rate``, ``max_growth`` <= 0, or a non-bool ``safeguard``.

    References:
        Fahlman, An empirical study of learning speed in back-propagation networks, CMU-CS-88-162,
        1988; and his Cascade-Correlation C code (quickprop update).

    Example:
        >>> import jax.numpy as jnp, jaxopt_lectures as jol
        >>> tx = jol.quickprop(0.1, safeguard=False)
        >>> x, state = jnp.array([3.0]), tx.init(jnp.zeros(1))
        >>> for _ in range(2):   # f(x) = (x − 1)², gradient 2(x − 1)
        ...     u, state = tx.update(2 * (x - 1), state)
        ...     x = x + u
        >>> print(x)   # a gradient step, then the secant step lands on the minimizer
        [1.]
    """
    return _descend(scale_by_quickprop(learning_rate, max_growth=max_growth, safeguard=safeguard))


# --------------------------------------------------------------------------------------------
# Rprop (docs/spec/rprop.md)


class ScaleByRpropState(NamedTuple):
    count: jax.Array  # int32 scalar: updates done so far (t − 1)
    step: optax.Updates  # Δ_i(t−1), the per-weight step size; Δ_0 at first
    prev_grad: optax.Updates  # g_i(t−1); set to 0 after a sign change (except "rprop-")
    prev_update: optax.Updates  # the previous direction (gradient sign), for weight-backtracking
    prev_value: jax.Array  # E(t−1), float32 scalar, +inf before the first update


@checked
def scale_by_rprop(
    learning_rate: optax.ScalarOrSchedule = 0.1,
    *,
    eta_minus: float = 0.5,
    eta_plus: float = 1.2,
    min_step: float = 1e-6,
    max_step: float = 50.0,
    variant: str = "irprop-",
) -> optax.GradientTransformationExtraArgs:
    r"""The Rprop direction $+\operatorname{sign}(g)\,\Delta$ (gradient sign, rate inside). Maths: see :func:`rprop`.

    Example:
        >>> import jax.numpy as jnp, jaxopt_lectures as jol
        >>> tx = jol.scale_by_rprop(0.1)
        >>> u, state = tx.update(jnp.array([3.0, -1e-3]), tx.init(jnp.zeros(2)))
        >>> print(u, state.step)
        [ 0.1 -0.1] [0.1 0.1]
    """
    check_range("eta_minus", eta_minus, 0.0, 1.0, low_open=True, high_open=True)
    check_range("eta_plus", eta_plus, 1.0, low_open=True)
    check_range("max_step", max_step, 0.0, low_open=True)
    check_range("min_step", min_step, 0.0, max_step, low_open=True)  # min_step > max_step names min_step
    if not callable(learning_rate):
        check_range("learning_rate", learning_rate, min_step, max_step)
    check_choice("variant", variant, VARIANTS)
    backtracks, forgets = variant in ("rprop+", "irprop+"), variant != "rprop-"

    def init(params: optax.Params) -> ScaleByRpropState:
        zeros = optax.tree.zeros_like(params)
        return ScaleByRpropState(jnp.zeros([], jnp.int32), optax.tree.full_like(params, value_at(learning_rate, 0)),
                                 zeros, zeros, jnp.array(jnp.inf, jnp.float32))

    def update(updates, state, params=None, *, value=None, **extra_args):
        del params, extra_args
        if variant == "irprop+" and value is None:
            raise TypeError("rprop(variant='irprop+') needs value=<loss at the current params> in update()")
        E = state.prev_value if value is None else jnp.asarray(value, jnp.float32)
        worse = E > state.prev_value if variant == "irprop+" else True  # rprop+ always undoes

        def per_weight(g_in, g_prev, step_prev, d_prev):
            g = g_in.astype(g_prev.dtype)
            c = jnp.sign(g) * jnp.sign(g_prev)  # not g * g_prev: it underflows in float32
            step = jnp.where(c > 0, jnp.minimum(eta_plus * step_prev, max_step),
                             jnp.where(c < 0, jnp.maximum(eta_minus * step_prev, min_step), step_prev))
            d = jnp.sign(g) * step
            if backtracks:  # undo the last move (rprop+, or irprop+ if the loss went up), else skip
                d = jnp.where(c < 0, jnp.where(worse, -d_prev, 0), d)
            elif forgets:  # irprop-: skip this step, use the shrunk step next time
                d = jnp.where(c < 0, 0, d)
            if not backtracks:  # u(t−1) is unused: still read it, so its donated buffer takes u(t) in place
                d = _after(d_prev, d)
            g_kept = _after(d, jnp.where(c < 0, 0, g) if forgets else g)  # g(t−1) is read above
            return d.astype(g_in.dtype), g_kept, step.astype(step_prev.dtype), d.astype(d_prev.dtype)

        u, g_kept, step, d = tree_map_unzip(per_weight, updates, state.prev_grad, state.step, state.prev_update)
        return u, ScaleByRpropState(optax.safe_increment(state.count), step, g_kept, d, E)

    return optax.GradientTransformationExtraArgs(init, update)


@checked
def rprop(
    learning_rate: optax.ScalarOrSchedule = 0.1,
    *,
    eta_minus: float = 0.5,
    eta_plus: float = 1.2,
    min_step: float = 1e-6,
    max_step: float = 50.0,
    variant: str = "irprop-",
) -> optax.GradientTransformationExtraArgs:
    r"""Rprop: per-weight step sizes adapted from the signs of successive gradients.

    Start from $\Delta_i(0) = \Delta_0$ (``learning_rate``), $g_i(0) = 0$; with
    $c_i = \operatorname{sign} g_i(t-1) \cdot \operatorname{sign} g_i(t)$ and $u$ the update:
    $$
    \Delta_i(t) = \begin{cases} \min(\eta^+ \Delta_i(t-1),\ \Delta_{\max}) & c_i > 0 \\
      \max(\eta^- \Delta_i(t-1),\ \Delta_{\min}) & c_i < 0 \\ \Delta_i(t-1) & c_i = 0 \end{cases}
    \qquad u_i(t) = -\operatorname{sign}(g_i(t))\,\Delta_i(t).
    $$
    Where $c_i < 0$: ``"rprop-"`` steps anyway, ``"irprop-"`` skips ($u_i = 0$), ``"rprop+"`` undoes
    the last step ($u_i = -u_i(t-1)$), ``"irprop+"`` undoes it if $E(t) > E(t-1)$, else skips; all but
    ``"rprop-"`` then store $g_i(t) := 0$, so the next step takes the $c_i = 0$ branch. The first
    update is a full step $-\Delta_0 \operatorname{sign}(g)$ whatever $|g|$ is. ``"irprop+"`` reads the
    loss $E(t)$ from ``update(..., value=loss)`` and raises ``TypeError`` without it; ``"rprop+"``
    accepts ``value=`` but does not need it.

    Non-finite gradients: an infinite entry is just a large gradient (only its sign is used). A NaN
    entry gives a NaN update at that weight, keeps its step size, and is forgotten at the next step
    ($c_i$ is NaN there, which takes the $c_i = 0$ branch).

    Lecture:
        [001] §7.5 "Rprop" gives the step-size rule and $-\eta \operatorname{sign}(g)$: ``"rprop-"``.
        docs/spec/rprop.md. ``torch.optim.Rprop`` is ``"irprop-"``; ``optax.rprop`` returns the previous
        call's iRprop− step (its first update is zero; docs/spec/pitfalls.md#pitfall-1).

    Args:
        learning_rate: initial step $\Delta_0$ in [min_step, max_step]; a schedule is read at count 0.
        eta_minus: decrease factor $\eta^- \in (0, 1)$; 0.5 in the 1993 paper.
        eta_plus: increase factor $\eta^+ > 1$; 1.2 in the 1993 paper.
        min_step: $\Delta_{\min} > 0$.
        max_step: $\Delta_{\max} \ge \Delta_{\min}$; the paper caps steps at 50.
        variant: ``"rprop+"``, ``"rprop-"``, ``"irprop+"`` (pass ``value=`` to ``update``) or ``"irprop-"``.

    Raises:
        ValueError: a Python-number argument out of its range, or an unknown ``variant``.

    References:
        Riedmiller & Braun, A direct adaptive method for faster backpropagation learning: the RPROP
        algorithm, IEEE ICNN 1993. Igel & Hüsken, Improving the Rprop learning algorithm, NC 2000;
        Empirical evaluation of the improved Rprop learning algorithms, Neurocomputing 50, 2003.

    Example:
        >>> import jax.numpy as jnp, jaxopt_lectures as jol
        >>> tx, params = jol.rprop(0.1), jnp.array([1.0, -2.0])
        >>> u, state = tx.update(jnp.array([3.0, -1e-3]), tx.init(params), params)
        >>> print(u)  # a full step of Δ0 at once, whatever |g| is
        [-0.1  0.1]
    """
    return _descend(scale_by_rprop(learning_rate, eta_minus=eta_minus, eta_plus=eta_plus,
                                   min_step=min_step, max_step=max_step, variant=variant))
