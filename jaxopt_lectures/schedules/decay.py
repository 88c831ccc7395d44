r"""Decaying learning-rate schedules of [000], [001] and [002]: constant, step, exponential, 1/t,
inverse square root (and the Transformer's), polynomial, linear and cosine decay; docs/spec/schedules.md.

Each factory returns a pure function ``count -> rate`` of the 0-based update count; the
formulas the papers write with a 1-based step (Vaswani's ``step_num``, $1/\sqrt{t}$) are evaluated
at $s = \mathrm{count} + 1$. Their Robbins–Monro properties are tabulated in
:mod:`jaxopt_lectures.schedules`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from jaxopt_lectures._validate import check_range, is_python_number
from jaxopt_lectures.schedules._common import Schedule, _float_count, _floor_div


def constant_schedule(value: float) -> Schedule:
    r"""No decay: $\eta_t = \eta$.

    Lecture: [001] "no decay" in the list of learning-rate decays. docs/spec/schedules.md. Same as
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
    check_range("value", value, 0.0)

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
    docs/spec/schedules.md. Same as ``optax.piecewise_constant_schedule(η0, {b: factor for b in boundaries})``
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
    check_range("init_value", init_value, 0.0)
    check_range("factor", factor, 0.0, low_open=True)
    _check_boundaries(boundaries)
    b = jnp.asarray(boundaries)

    def schedule(count: Any) -> jax.Array:
        c = jnp.asarray(count)
        t = _float_count(c)
        at = c if jnp.issubdtype(c.dtype, jnp.integer) else t  # integer counts compare exactly with the boundaries
        passed = jnp.sum(at[..., None] >= b.astype(at.dtype), axis=-1) if b.size else jnp.zeros(t.shape, jnp.int32)
        return init_value * jnp.power(jnp.asarray(factor, t.dtype), passed)

    return schedule


def exponential_decay(init_value: float, decay_rate: float, decay_steps: float = 1,
                      staircase: bool = False) -> Schedule:
    r"""Exponential decay: $\eta_t = \eta_0\, r^{t/k}$ ($r^{\lfloor t/k \rfloor}$ if ``staircase``).

    Note the argument order: the *rate* $r$ comes second, unlike
    ``optax.exponential_decay(init_value, transition_steps, decay_rate)``; pass keywords when
    porting. Unlike optax (which silently returns a constant schedule), ``decay_rate <= 0`` and
    ``decay_steps < 1`` raise.

    Lecture: [000] "exponential decay" $\alpha_0 c^t$; [001] list. docs/spec/schedules.md. Same as
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
    check_range("init_value", init_value, 0.0)
    check_range("decay_rate", decay_rate, 0.0, low_open=True)
    check_range("decay_steps", decay_steps, 1.0)

    # log r in float64 when r is a Python number: float32(0.997)**1200 is off by 2e-5, exp(t·log r) by 2e-7
    log_r = math.log(decay_rate) if is_python_number(decay_rate) else jnp.log(decay_rate)

    def schedule(count: Any) -> jax.Array:
        t = _float_count(count)
        p = _floor_div(count, decay_steps).astype(t.dtype) if staircase else t / decay_steps
        return init_value * jnp.exp(p * log_r)

    return schedule


def inverse_time_decay(init_value: float, decay_rate: float, decay_steps: float = 1) -> Schedule:
    r"""1/t decay: $\eta_t = \eta_0 / (1 + r\, t / k)$.

    Lecture: [001] "1/t decay $\eta_0/(1+kt)$" (here $k$ of the slide is ``decay_rate/decay_steps``).
    docs/spec/schedules.md, docs/spec/gradient-descent.md#theory-6. No optax equivalent; same formula as Keras
    ``InverseTimeDecay`` (non-staircase).
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
    check_range("init_value", init_value, 0.0)
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
    square root); [001] list; [002] "Inverse sqrt" (Vaswani et al.). docs/spec/schedules.md.
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
    check_range("init_value", init_value, 0.0)
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

    Lecture: [000] "polynomial decay". docs/spec/schedules.md. Same as
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
    check_range("init_value", init_value, 0.0)
    check_range("end_value", end_value, 0.0)
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
    (BERT). docs/spec/schedules.md. Same as ``optax.linear_schedule(η0, η_T, transition_steps=T)``.
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
    docs/spec/schedules.md. Same as ``optax.cosine_decay_schedule(η0, T, alpha=a)``; for $t \le T$ as
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
    check_range("init_value", init_value, 0.0)
    check_range("decay_steps", decay_steps, 1.0)
    check_range("alpha", alpha, 0.0, 1.0)

    def schedule(count: Any) -> jax.Array:
        t = _float_count(count)
        fraction = jnp.clip(t, 0, decay_steps) / decay_steps
        return init_value - init_value * (1 - alpha) * 0.5 * (1 - jnp.cos(jnp.pi * fraction))

    return schedule


def transformer_schedule(d_model: float, warmup_steps: float) -> Schedule:
    r"""The Transformer ("Noam") schedule: $\eta_t = d^{-1/2}\min(s^{-1/2},\, s\,w^{-3/2})$, $s = t + 1$.

    Vaswani et al. count ``step_num`` from 1, hence $s = \mathrm{count} + 1$; the peak
    $(d\,w)^{-1/2}$ is reached at count $w - 1$ (6.99e-4 for $d = 512$, $w = 4000$).
    Equals :func:`inverse_sqrt_decay` ``(η0, w)`` divided by $\eta_0\sqrt{d\,w}$.

    Lecture: [000] inverse square root decay in machine translation; [002] cites Vaswani et al.
    docs/spec/schedules.md. Closed form (no optax/torch equivalent).
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
