"""Adaptive per-coordinate step sizes: AdaGrad, RMSProp and AdaDelta; docs/spec/adagrad.md, docs/spec/rmsprop.md,
docs/spec/adadelta.md.

The lectures disagree on where ε goes ([000], [001]: inside the square root; [002]: outside), on
how RMSProp weights its average ([003] weights the *new* square by γ) and on AdaDelta's numerator
([001]'s slide). Each disagreement is an option; the defaults follow docs/spec/api.md, which for
AdaGrad and RMSProp deliberately differs from optax (eps outside the root, as in torch).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from jaxopt_lectures._math import divide_or_zero, eps_split, root
from jaxopt_lectures._tree import tree_map_unzip
from jaxopt_lectures._validate import check_choice, check_learning_rate, check_range, checked
from jaxopt_lectures.momentum import scale_by_momentum

ADADELTA_FORMS = ("zeiler", "jku")


# ---------------------------------------------------------------------------------------------
# AdaGrad
# ---------------------------------------------------------------------------------------------


class ScaleByAdagradState(NamedTuple):
    sum_of_squares: optax.Updates  # r_t = r_0 + Σ g_i², r_0 = initial_accumulator


@checked
def scale_by_adagrad(
    *, eps: float = 1e-8, initial_accumulator: float = 0.0, eps_in_sqrt: bool = False
) -> optax.GradientTransformationExtraArgs:
    r"""The AdaGrad direction $g_t/(\sqrt{r_t}+\epsilon)$ or $g_t/\sqrt{r_t+\epsilon}$, before the rate.

    $r_t = r_{t-1} + g_t^2$ with $r_0$ = ``initial_accumulator``; the direction is 0 where
    $r_t = 0$. The full method with its maths and lectures is :func:`adagrad` ([000] "AdaGrad
    (2011)", [002] AdaGrad code; Duchi, Hazan & Singer 2011). docs/spec/adagrad.md.

    Example:
        >>> import jax.numpy as jnp, jaxopt_lectures as jol
        >>> tx = jol.scale_by_adagrad(eps=0.0)
        >>> u, s = tx.update(jnp.array([3.0, 0.0]), tx.init(jnp.zeros(2)))
        >>> print(u, s.sum_of_squares)
        [1. 0.] [9. 0.]
    """
    check_range("eps", eps, 0.0)
    check_range("initial_accumulator", initial_accumulator, 0.0)

    def init(params: optax.Params) -> ScaleByAdagradState:
        return ScaleByAdagradState(optax.tree.full_like(params, initial_accumulator))

    def update(updates, state, params=None, **extra_args):
        del params, extra_args

        def per_leaf(g, r_prev):
            r = r_prev + jnp.square(g.astype(r_prev.dtype))
            d = divide_or_zero(g.astype(r.dtype), root(r, *eps_split(eps, eps_in_sqrt)))
            return d.astype(g.dtype), r

        d, r = tree_map_unzip(per_leaf, updates, state.sum_of_squares)
        return d, ScaleByAdagradState(r)

    return optax.GradientTransformationExtraArgs(init, update)


@checked
def adagrad(
    learning_rate: optax.ScalarOrSchedule,
    *,
    eps: float = 1e-8,
    initial_accumulator: float = 0.0,
    eps_in_sqrt: bool = False,
) -> optax.GradientTransformationExtraArgs:
    r"""AdaGrad: divide each coordinate by the root of its summed squared gradients.

    $$ r_t = r_{t-1} + g_t^2, \qquad
       \Delta_t = -\eta_t \frac{g_t}{\sqrt{r_t} + \epsilon}
       \quad\text{or, with } \texttt{eps\_in\_sqrt},\quad -\eta_t \frac{g_t}{\sqrt{r_t + \epsilon}} $$

    with $r_0$ = ``initial_accumulator`` and $\Delta_t = 0$ where $r_t = 0$ (a coordinate
    that has only seen zero gradients). With the defaults the first step is
    $\approx -\eta\,\mathrm{sign}(g_1)$ per coordinate, and under a constant gradient
    $r_t = t g^2$, so the step shrinks like $\eta/\sqrt t$ and eventually vanishes ([000], [002]).

    Defaults follow [002] and torch (ε = 1e-8 outside the root, $r_0 = 0$) and deliberately
    differ from ``optax.adagrad`` ($r_0 = 0.1$, ε = 1e-7 inside the root):
    ``adagrad(lr, eps=1e-7, initial_accumulator=0.1, eps_in_sqrt=True)`` is ``optax.adagrad(lr)``.

    Lecture:
        [000] "AdaGrad (2011)" (ε inside, 1e-8); [001] §7.4 AdaGrad (ε inside, code 1e-7);
        [002] AdaGrad code (ε outside, 1e-7). docs/spec/adagrad.md.

    Args:
        learning_rate: $\eta \ge 0$, float, jax scalar or schedule.
        eps: $\epsilon \ge 0$.
        initial_accumulator: $r_0 \ge 0$.
        eps_in_sqrt: put ε inside the square root ([000], [001], optax) instead of outside ([002], torch).

    Raises:
        ValueError: a negative ``learning_rate``, ``eps`` or ``initial_accumulator``.

    References:
        Duchi, Hazan & Singer, Adaptive subgradient methods for online learning and stochastic
        optimization, JMLR 2011.

    Example:
        >>> import jax.numpy as jnp, jaxopt_lectures as jol
        >>> tx = jol.adagrad(0.1)
        >>> g, state = jnp.array([4.0, -0.01]), tx.init(jnp.zeros(2))
        >>> u1, state = tx.update(g, state)
        >>> u2, state = tx.update(g, state)
        >>> print(u1, u2)  # −η·sign(g), then −η/√2·sign(g)
        [-0.1  0.1] [-0.0707107  0.0707106]
    """
    check_learning_rate(learning_rate)
    return optax.chain(
        scale_by_adagrad(eps=eps, initial_accumulator=initial_accumulator, eps_in_sqrt=eps_in_sqrt),
        optax.scale_by_learning_rate(learning_rate),
    )


# ---------------------------------------------------------------------------------------------
# RMSProp
# ---------------------------------------------------------------------------------------------


class ScaleByRmspropState(NamedTuple):
    nu: optax.Updates  # EMA of g², starts at initial_scale
    mu: optax.Updates | None  # EMA of g (centered only), starts at 0; None otherwise


@checked
def scale_by_rmsprop(
    *,
    decay: float = 0.9,
    eps: float = 1e-8,
    eps_in_sqrt: bool = False,
    centered: bool = False,
    initial_scale: float = 0.0,
) -> optax.GradientTransformationExtraArgs:
    r"""The RMSProp direction $g_t/(\sqrt{\nu_t}+\epsilon)$ (or centered), before the rate.

    $\nu_t = \rho\nu_{t-1} + (1-\rho)g_t^2$; centered: $\mu_t = \rho\mu_{t-1} + (1-\rho)g_t$ and
    $\nu_t - \mu_t^2$ replaces $\nu_t$ in the root. The full method is :func:`rmsprop` ([000]
    "RMSProp (2012)", [002] "Leaky AdaGrad"; Tieleman & Hinton 2012). docs/spec/rmsprop.md.

    Example:
        >>> import jax.numpy as jnp, jaxopt_lectures as jol
        >>> tx = jol.scale_by_rmsprop(decay=0.75, eps=0.0)
        >>> u, s = tx.update(jnp.array([2.0]), tx.init(jnp.zeros(1)))
        >>> print(u, s.nu)  # g/√((1−ρ)g²) = 1/√0.25
        [2.] [1.]
    """
    check_range("decay", decay, 0.0, 1.0, high_open=True)
    check_range("eps", eps, 0.0)
    check_range("initial_scale", initial_scale, 0.0)

    def init(params: optax.Params) -> ScaleByRmspropState:
        mu = optax.tree.zeros_like(params) if centered else None
        return ScaleByRmspropState(optax.tree.full_like(params, initial_scale), mu)

    def update(updates, state, params=None, **extra_args):
        del params, extra_args

        def per_leaf(g, nu_prev, mu_prev=None):
            g_ = g.astype(nu_prev.dtype)
            nu = (decay * nu_prev + (1 - decay) * jnp.square(g_)).astype(nu_prev.dtype)
            if mu_prev is None:
                return divide_or_zero(g_, root(nu, *eps_split(eps, eps_in_sqrt))).astype(g.dtype), nu
            mu = (decay * mu_prev + (1 - decay) * g_).astype(mu_prev.dtype)
            variance = jnp.maximum(nu - jnp.square(mu), 0)  # ≥ 0 exactly; clip float rounding
            return divide_or_zero(g_, root(variance, *eps_split(eps, eps_in_sqrt))).astype(g.dtype), nu, mu

        if centered:
            d, nu, mu = tree_map_unzip(per_leaf, updates, state.nu, state.mu)
        else:
            (d, nu), mu = tree_map_unzip(per_leaf, updates, state.nu), None
        return d, ScaleByRmspropState(nu, mu)

    return optax.GradientTransformationExtraArgs(init, update)


@checked
def rmsprop(
    learning_rate: optax.ScalarOrSchedule,
    *,
    decay: float = 0.9,
    eps: float = 1e-8,
    eps_in_sqrt: bool = False,
    centered: bool = False,
    momentum: float | None = None,
    nesterov: bool = False,
    initial_scale: float = 0.0,
) -> optax.GradientTransformationExtraArgs:
    r"""RMSProp ("leaky AdaGrad"): divide by the root of an exponential average of $g^2$.

    $$ \nu_t = \rho\,\nu_{t-1} + (1-\rho)\,g_t^2, \qquad
       s_t = -\eta_t \frac{g_t}{\sqrt{\nu_t} + \epsilon}
       \quad\Big(\texttt{eps\_in\_sqrt}: -\eta_t \frac{g_t}{\sqrt{\nu_t + \epsilon}}\Big) $$

    ``centered=True`` (Graves 2013) also tracks $\mu_t = \rho\mu_{t-1} + (1-\rho)g_t$ and uses
    $\nu_t - \mu_t^2$ in the root. Without momentum $\Delta_t = s_t$; with ``momentum`` $\beta_m$
    the trace is applied *after* the rate, as in optax: $b_t = \beta_m b_{t-1} + s_t$,
    $\Delta_t = b_t$ (``nesterov``: $\Delta_t = s_t + \beta_m b_t$). Under a constant rate this
    is torch's form; under a schedule it is the velocity form of :func:`momentum`.
    No bias correction: $\nu_1 = (1-\rho) g_1^2$, so the first step is
    $\approx \eta/\sqrt{1-\rho} \approx 3.16\eta$ per coordinate for $\rho = 0.9$ ([000]).

    Seed mapping: [000] ``rmsprop(lr, eps_in_sqrt=True)``; [001] ``eps=1e-7, eps_in_sqrt=True``;
    [002] ``eps=1e-7``; [003] writes $s \leftarrow (1-\gamma)s + \gamma g^2$, i.e. ``decay = 1 − γ``,
    with ε inside. The default ``eps_in_sqrt=False`` differs from optax's (True) and matches torch.

    Lecture:
        [000] "RMSProp (2012)"; [001] §7.4 RMSprop; [002] "Leaky AdaGrad"; [003] "Fix #2". docs/spec/rmsprop.md.

    Args:
        learning_rate: $\eta \ge 0$, float, jax scalar or schedule.
        decay: $\rho \in [0, 1)$ (β in [000], γ in [001], decay_rate in [002]).
        eps: $\epsilon \ge 0$.
        eps_in_sqrt: put ε inside the root.
        centered: divide by the root of the variance estimate $\nu_t - \mu_t^2$.
        momentum: ``None`` (no momentum) or $\beta_m \in [0, 1)$.
        nesterov: Nesterov momentum; requires ``momentum``.
        initial_scale: $\nu_0 \ge 0$ (optax's ``initial_scale``; the lectures start at 0).

    Raises:
        ValueError: an argument out of its range, or ``nesterov=True`` without ``momentum``.

    References:
        Tieleman & Hinton, Lecture 6.5 — RMSProp, COURSERA: Neural Networks for Machine Learning,
        2012. Graves, Generating sequences with recurrent neural networks, arXiv:1308.0850, 2013.

    Example:
        >>> import jax.numpy as jnp, jaxopt_lectures as jol
        >>> tx = jol.rmsprop(0.01)
        >>> u, _ = tx.update(jnp.array([5.0, -0.2]), tx.init(jnp.zeros(2)))
        >>> print(u)  # ≈ −η·sign(g)/√0.1 on the first step
        [-0.0316228  0.0316228]
    """
    check_learning_rate(learning_rate)
    if momentum is not None:
        check_range("momentum", momentum, 0.0, 1.0, high_open=True)
    elif nesterov:
        raise ValueError("nesterov=True must be used with a momentum (got momentum=None)")
    direction = scale_by_rmsprop(decay=decay, eps=eps, eps_in_sqrt=eps_in_sqrt, centered=centered,
                                 initial_scale=initial_scale)
    if momentum is None:
        return optax.chain(direction, optax.scale_by_learning_rate(learning_rate))
    return optax.chain(direction, optax.scale_by_learning_rate(learning_rate),
                       scale_by_momentum(momentum, nesterov=nesterov, form="trace"))


# ---------------------------------------------------------------------------------------------
# AdaDelta
# ---------------------------------------------------------------------------------------------


class ScaleByAdadeltaState(NamedTuple):
    e_g: optax.Updates  # E[g²]_t, running average of squared gradients
    e_x: optax.Updates  # E[Δx²]_t, running average of squared (pre-rate) steps


@checked
def scale_by_adadelta(
    *, rho: float = 0.95, eps: float = 1e-6, form: str = "zeiler"
) -> optax.GradientTransformationExtraArgs:
    r"""The AdaDelta step $s_t = \sqrt{E[\Delta x^2]_{t-1} + \epsilon}\, g_t / \sqrt{E[g^2]_t + \epsilon}$, before the rate.

    Gradient-signed; ``form="jku"`` uses the numerator $\sqrt{E[\Delta x^2]_{t-1}} + \epsilon$. See
    :func:`adadelta` ([001] "RMSprop, AdaDelta"; Zeiler 2012). docs/spec/adadelta.md.

    Example:
        >>> import jax.numpy as jnp, jaxopt_lectures as jol
        >>> tx = jol.scale_by_adadelta(rho=0.0, eps=1e-6)
        >>> u, s = tx.update(jnp.array([1.0]), tx.init(jnp.zeros(1)))
        >>> print(u)  # √ε/√(g² + ε)·g ≈ 1e-3
        [0.001]
    """
    check_range("rho", rho, 0.0, 1.0, high_open=True)
    check_range("eps", eps, 0.0, low_open=True)
    check_choice("form", form, ADADELTA_FORMS)

    def init(params: optax.Params) -> ScaleByAdadeltaState:
        return ScaleByAdadeltaState(optax.tree.zeros_like(params), optax.tree.zeros_like(params))

    def update(updates, state, params=None, **extra_args):
        del params, extra_args

        def per_leaf(g, e_g_prev, e_x_prev):
            g_ = g.astype(e_g_prev.dtype)
            e_g = (rho * e_g_prev + (1 - rho) * jnp.square(g_)).astype(e_g_prev.dtype)
            numerator = root(e_x_prev, *eps_split(eps, form == "zeiler"))  # √(E[Δx²] + ε) or √E[Δx²] + ε
            s = numerator / root(e_g, eps_root=eps) * g_
            e_x = rho * e_x_prev + (1 - rho) * jnp.square(s)
            return s.astype(g.dtype), e_g, e_x.astype(e_x_prev.dtype)

        s, e_g, e_x = tree_map_unzip(per_leaf, updates, state.e_g, state.e_x)
        return s, ScaleByAdadeltaState(e_g, e_x)

    return optax.GradientTransformationExtraArgs(init, update)


@checked
def adadelta(
    learning_rate: optax.ScalarOrSchedule = 1.0,
    *,
    rho: float = 0.95,
    eps: float = 1e-6,
    form: str = "zeiler",
) -> optax.GradientTransformationExtraArgs:
    r"""AdaDelta: RMSProp whose rate is the root of a running average of past squared steps.

    ``form="zeiler"`` (the paper):
    $$ E[g^2]_t = \rho E[g^2]_{t-1} + (1-\rho) g_t^2, \qquad
       s_t = \frac{\sqrt{E[\Delta x^2]_{t-1} + \epsilon}}{\sqrt{E[g^2]_t + \epsilon}}\, g_t, $$
    $$ E[\Delta x^2]_t = \rho E[\Delta x^2]_{t-1} + (1-\rho) s_t^2, \qquad \Delta_t = -\eta_t s_t. $$
    The accumulator stores the step *before* the rate (as optax and torch do), so $\eta = 1$ is
    Zeiler's unit-free method and other rates only rescale the applied step.

    ``form="jku"`` is the line of [001]'s slide, numerator $\sqrt{E[\Delta x^2]_{t-1}} + \epsilon$:
    since $E[\Delta x^2]_0 = 0$ its first step is $\epsilon/\sqrt{(1-\rho)}$ instead of
    $\sqrt\epsilon/\sqrt{1-\rho}$ (for $g^2 \gg \epsilon$), $1/\sqrt\epsilon = 1000\times$ smaller
    with ε = 1e-6, and it stays far slower.

    Never use ``optax.adadelta(learning_rate=None)`` (its default) as a stand-in: it never flips
    the sign and performs gradient *ascent* (docs/spec/pitfalls.md).

    Lecture:
        [001] "RMSprop, AdaDelta" slide. docs/spec/adadelta.md.

    Args:
        learning_rate: $\eta \ge 0$ (1.0 is the paper's method), float, jax scalar or schedule.
        rho: $\rho \in [0, 1)$; 0.95 in the paper (optax's default is 0.9).
        eps: $\epsilon > 0$ (with 0 the Zeiler numerator starts at 0 and never moves); 1e-6 in the paper.
        form: ``"zeiler"`` (default) or ``"jku"``.

    Raises:
        ValueError: an argument out of its range, or an unknown ``form``.

    References:
        Zeiler, ADADELTA: an adaptive learning rate method, arXiv:1212.5701, 2012.

    Example:
        >>> import jax.numpy as jnp, jaxopt_lectures as jol
        >>> tx = jol.adadelta()
        >>> u, _ = tx.update(jnp.array([1.0, -1.0]), tx.init(jnp.zeros(2)))
        >>> print(u)  # −√ε/√((1−ρ)g² + ε)·g ≈ −0.00447·sign(g)
        [-0.004472  0.004472]
    """
    check_learning_rate(learning_rate)
    return optax.chain(scale_by_adadelta(rho=rho, eps=eps, form=form),
                       optax.scale_by_learning_rate(learning_rate))
