"""Adam with and without bias correction, its AMSGrad and Nadam options, and AdamW; docs/spec/adam.md,
docs/spec/adamw.md.

[000] and [002] ("full form") bias-correct the moments; [001], [002] ("almost") and [003] do not.
[000] and [003] put ε inside the square root (``eps=0.0, eps_root=ε``), [001] and [002] outside.
AdamW decouples the weight decay from the moments; coupled L2 is ``chain(add_l2(λ), adam(η))``.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from jaxopt_lectures._math import divide_or_zero, root
from jaxopt_lectures._tree import tree_map_unzip
from jaxopt_lectures._validate import check_learning_rate, check_range, checked
from jaxopt_lectures.regularization import Mask, add_l2


class ScaleByAdamState(NamedTuple):
    count: jax.Array  # int32 scalar: updates done so far (t − 1)
    mu: optax.Updates  # first moment m_t, starts at 0
    nu: optax.Updates  # second moment v_t, starts at 0
    nu_max: optax.Updates | None = None  # AMSGrad: running max of v̂_t; None without amsgrad


def _check_adam_args(b1: float, b2: float, eps: float) -> None:
    check_range("b1", b1, 0.0, 1.0, high_open=True)
    check_range("b2", b2, 0.0, 1.0, high_open=True)
    check_range("eps", eps, 0.0)


@checked
def scale_by_adam(
    *,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    eps_root: float = 0.0,
    bias_correction: bool = True,
    amsgrad: bool = False,
    nesterov: bool = False,
) -> optax.GradientTransformationExtraArgs:
    r"""The Adam direction $\hat m_t/(\sqrt{\hat v_t + \epsilon_{root}} + \epsilon)$, before the rate.

    The full method with its maths, options and lectures is :func:`adam` ([000] "Adam (2014)",
    [002] "Adam (full form)"; Kingma & Ba 2015). docs/spec/adam.md.

    Example:
        >>> import jax.numpy as jnp, jaxopt_lectures as jol
        >>> tx = jol.scale_by_adam(eps=0.0)
        >>> u, s = tx.update(jnp.array([0.5, -2.0]), tx.init(jnp.zeros(2)))
        >>> print(u, s.count)  # m̂ = g, v̂ = g²: sign(g) on the first step
        [ 1. -1.] 1
    """
    _check_adam_args(b1, b2, eps)
    check_range("eps_root", eps_root, 0.0)

    def init(params: optax.Params) -> ScaleByAdamState:
        zeros = lambda: optax.tree.zeros_like(params)
        return ScaleByAdamState(jnp.zeros([], jnp.int32), zeros(), zeros(), zeros() if amsgrad else None)

    def update(updates, state, params=None, **extra_args):
        del params, extra_args
        count = optax.safe_increment(state.count)
        # 1 − β^t with t = count (weakly typed: float64 under x64, as in optax)
        bc1, bc2 = (1 - b1**count, 1 - b2**count) if bias_correction else (1.0, 1.0)
        bc1_next = 1 - b1 ** (count + 1) if bias_correction else 1.0  # Nadam's look-ahead correction

        def per_leaf(g, mu_prev, nu_prev, nu_max_prev=None):
            g_ = g.astype(mu_prev.dtype)
            c1, c2, c1_next = (jnp.asarray(c, mu_prev.dtype) for c in (bc1, bc2, bc1_next))
            mu = b1 * mu_prev + (1 - b1) * g_
            nu = b2 * nu_prev + (1 - b2) * jnp.square(g_)
            m_hat = b1 * mu / c1_next + (1 - b1) * g_ / c1 if nesterov else mu / c1
            v_hat = nu / c2
            if nu_max_prev is not None:  # AMSGrad: the denominator never decreases
                v_hat = jnp.maximum(nu_max_prev, v_hat)
            d = divide_or_zero(m_hat, root(v_hat, eps, eps_root)).astype(g.dtype)
            mu, nu = mu.astype(mu_prev.dtype), nu.astype(nu_prev.dtype)  # traced b1, b2 may be float32
            return (d, mu, nu) if nu_max_prev is None else (d, mu, nu, v_hat.astype(nu_prev.dtype))

        if amsgrad:
            d, mu, nu, nu_max = tree_map_unzip(per_leaf, updates, state.mu, state.nu, state.nu_max)
        else:
            (d, mu, nu), nu_max = tree_map_unzip(per_leaf, updates, state.mu, state.nu), None
        return d, ScaleByAdamState(count, mu, nu, nu_max)

    return optax.GradientTransformationExtraArgs(init, update)


@checked
def adam(
    learning_rate: optax.ScalarOrSchedule,
    *,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    eps_root: float = 0.0,
    bias_correction: bool = True,
    amsgrad: bool = False,
    nesterov: bool = False,
) -> optax.GradientTransformationExtraArgs:
    r"""Adam: momentum on the gradient, RMSProp on its square, both bias-corrected.

    With $t$ = count + 1 and zero-initialised moments:
    $$ m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2, $$
    $$ \hat m_t = \frac{m_t}{1-\beta_1^t}, \quad \hat v_t = \frac{v_t}{1-\beta_2^t}, \qquad
       \Delta_t = -\eta_t \frac{\hat m_t}{\sqrt{\hat v_t + \epsilon_{root}} + \epsilon}. $$
    Bias correction ([000]): $m_t = (1-\beta_1)\sum_i \beta_1^{t-i} g_i$ has weights summing to
    $1-\beta_1^t$, so dividing makes them a convex combination and a constant gradient gives
    $\hat m_t = g$ from the first step (first step $\approx -\eta\,\mathrm{sign}(g)$).
    ``bias_correction=False`` is the lecture's "almost Adam" ($\hat m = m$, $\hat v = v$), whose
    first step is $\eta(1-\beta_1)/\sqrt{1-\beta_2} \approx 3.162\eta$ per coordinate.

    Seed mapping: [000] ``adam(lr, eps=0.0, eps_root=1e-8)``; [001] and [002] "almost"
    ``adam(lr, eps=1e-7, bias_correction=False)``; [002] full ``adam(lr, eps=1e-7)``;
    [003] ``adam(lr, eps=0.0, eps_root=ε, bias_correction=False)``.

    Options beyond the lectures: ``amsgrad=True`` (Reddi et al.) divides by
    $\max(\hat v_1, \dots, \hat v_t)$, the running maximum of the *corrected* estimate as in
    ``optax.amsgrad`` (torch takes the maximum of the uncorrected $v$ and corrects afterwards);
    ``nesterov=True`` is Nadam in optax's form,
    $\hat m_t = \beta_1 m_t/(1-\beta_1^{t+1}) + (1-\beta_1) g_t/(1-\beta_1^t)$.

    Lecture:
        [000] "Adam (2014)" and "Adam Bias Correction"; [001] §7.4 Adam; [002] "Adam (almost)" and
        "Adam (full form)"; [003] "Fix #3". docs/spec/adam.md. Same as ``optax.adam`` with the same arguments.

    Args:
        learning_rate: $\eta \ge 0$, float, jax scalar or schedule ([002]: 1e-3 or 5e-4).
        b1: $\beta_1 \in [0, 1)$.
        b2: $\beta_2 \in [0, 1)$ ($\beta_2 = 1$ would make $1-\beta_2^t = 0$).
        eps: $\epsilon \ge 0$ outside the root.
        eps_root: $\epsilon_{root} \ge 0$ inside the root, added to the corrected $\hat v_t$.
        bias_correction: divide the moments by $1-\beta^t$.
        amsgrad: use the running maximum of $\hat v_t$.
        nesterov: Nadam's look-ahead first moment.

    Raises:
        ValueError: an argument out of its range.

    References:
        Kingma & Ba, Adam: a method for stochastic optimization, ICLR 2015. Reddi, Kale & Kumar,
        On the convergence of Adam and beyond, ICLR 2018. Dozat, Incorporating Nesterov momentum
        into Adam, ICLR workshop 2016.

    Example:
        >>> import jax.numpy as jnp, jaxopt_lectures as jol
        >>> g = jnp.array([0.3, -20.0])
        >>> full, almost = jol.adam(0.01), jol.adam(0.01, bias_correction=False)
        >>> print(full.update(g, full.init(g))[0], almost.update(g, almost.init(g))[0])
        [-0.01  0.01] [-0.03162  0.03162]
    """
    check_learning_rate(learning_rate)
    return optax.chain(
        scale_by_adam(b1=b1, b2=b2, eps=eps, eps_root=eps_root, bias_correction=bias_correction,
                      amsgrad=amsgrad, nesterov=nesterov),
        optax.scale_by_learning_rate(learning_rate),
    )


@checked
def scale_by_adamw(
    *, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8, weight_decay: float = 1e-4, mask: Mask = None
) -> optax.GradientTransformationExtraArgs:
    r"""The AdamW direction $\hat m_t/(\sqrt{\hat v_t}+\epsilon) + \lambda\theta_t$, before the rate.

    ``chain(scale_by_adam(...), add_l2(weight_decay, mask=mask))``: the decay is added *after*
    the moments, so the preconditioner never sees it. The full method is :func:`adamw` ([000]
    regularization slide, [002] "λR(W)"; Loshchilov & Hutter 2019). docs/spec/adamw.md.

    Example:
        >>> import jax.numpy as jnp, jaxopt_lectures as jol
        >>> tx, theta = jol.scale_by_adamw(eps=0.0, weight_decay=0.5), jnp.array([4.0])
        >>> u, _ = tx.update(jnp.array([-3.0]), tx.init(theta), theta)
        >>> print(u)  # sign(g) + λθ = −1 + 2
        [1.]
    """
    _check_adam_args(b1, b2, eps)
    check_range("weight_decay", weight_decay, 0.0)
    return optax.chain(scale_by_adam(b1=b1, b2=b2, eps=eps), add_l2(weight_decay, mask=mask))


@checked
def adamw(
    learning_rate: optax.ScalarOrSchedule,
    *,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 1e-4,
    mask: Mask = None,
) -> optax.GradientTransformationExtraArgs:
    r"""AdamW: Adam with decoupled weight decay.

    $$ \Delta_t = -\eta_t\Big(\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon} + \lambda\,\theta_t\Big) $$
    with $\hat m_t, \hat v_t$ the bias-corrected moments of :func:`adam` and $\lambda$ =
    ``weight_decay`` applied only where ``mask`` is True. The decay uses the params before the step
    and is multiplied by $\eta_t$ (optax and torch convention; Loshchilov & Hutter's separate
    schedule multiplier coincides when $\eta_t = \alpha\cdot\text{multiplier}_t$). With a constant
    rate it is ``chain(adam(η), decoupled_weight_decay(η·λ))``.

    Coupled L2, ``chain(add_l2(λ), adam(η))`` ("L2 in the loss", torch's ``Adam(weight_decay=λ)``),
    feeds $g + \lambda\theta$ into the moments, so its decay is divided by $\sqrt{\hat v_t}$ and is
    weak for parameters with large gradients. For SGD the two coincide; for Adam they differ.

    Lecture:
        [000] regularization slide; [002] "λR(W)". docs/spec/adamw.md. Same as ``optax.adamw`` (whose defaults
        these are; torch's default ``weight_decay`` is 0.01).

    Args:
        learning_rate: $\eta \ge 0$, float, jax scalar or schedule.
        b1, b2, eps: as in :func:`adam`.
        weight_decay: $\lambda \ge 0$.
        mask: a bool pytree matching the params (or a prefix of them), or a callable
            ``params -> such a tree``; decay only where True (as in ``optax.masked``).

    Raises:
        ValueError: an argument out of its range.

    References:
        Loshchilov & Hutter, Decoupled weight decay regularization, ICLR 2019.

    Example:
        >>> import jax.numpy as jnp, jaxopt_lectures as jol
        >>> params = {"w": jnp.array([10.0]), "b": jnp.array([10.0])}
        >>> tx = jol.adamw(0.1, weight_decay=0.01, mask={"w": True, "b": False})
        >>> u, _ = tx.update({"w": jnp.array([1.0]), "b": jnp.array([1.0])}, tx.init(params), params)
        >>> print(u["w"], u["b"])  # −η(1 + λθ) on w, −η on b
        [-0.11] [-0.1]
    """
    check_learning_rate(learning_rate)
    return optax.chain(scale_by_adamw(b1=b1, b2=b2, eps=eps, weight_decay=weight_decay, mask=mask),
                       optax.scale_by_learning_rate(learning_rate))
