r"""Cyclic schedules: cosine annealing with warm restarts (SGDR) and the triangular cyclical rate;
docs/spec/schedules.md.

[001] "cosine annealing / SGDR", [002] cites SGDR, [000] "cyclic restarts" and cyclic schedules in
passing. Both are periodic, so neither satisfies Robbins–Monro's $\sum\eta_t^2 < \infty$:
restarts are for escaping, not for converging.
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from jaxopt_lectures._validate import check_range
from jaxopt_lectures.schedules._common import Schedule, _float_count, _floor_div, _is_whole


def _sgdr_cycle(count: Any, period: Any, period_mult: Any) -> tuple[jax.Array, jax.Array]:
    """(steps since the last restart, length of the current cycle) for cycles P, P·m, P·m², …

    The cycle index comes from the closed form i = ⌊log(1 + t(m−1)/P)/log m⌋ (⌊t/P⌋ for m = 1)
    and is then corrected against the restart counts R_i = P(m^i − 1)/(m − 1), so that every restart
    count lands in the new cycle. For an integer count and whole P and m the restart counts are integers
    and the comparison is exact on every backend (up to R_i < 2^31); otherwise it is made in floats.
    """
    c = jnp.asarray(count)
    t = _float_count(c)
    P, m = jnp.asarray(period, t.dtype), jnp.asarray(period_mult, t.dtype)
    geometric = m > 1
    safe_m = jnp.where(geometric, m, 2)  # m = 1 lanes must not divide by log 1 = 0
    guess = jnp.where(geometric, jnp.log1p(jnp.maximum(t, 0) * (safe_m - 1) / P) / jnp.log(safe_m), t / P)
    i = jnp.maximum(jnp.floor(guess), 0).astype(jnp.int32)

    if jnp.issubdtype(c.dtype, jnp.integer) and _is_whole(period) and _is_whole(period_mult):
        P_int, m_int, at = int(period), int(period_mult), c

        def restart(i: jax.Array) -> jax.Array:
            return P_int * (m_int**i - 1) // (m_int - 1) if m_int > 1 else P_int * i
    else:
        at = t

        whole = _is_whole(period) and _is_whole(period_mult)  # then every R_i is an integer: round off 1/(m − 1)

        def restart(i: jax.Array) -> jax.Array:
            r = jnp.where(geometric, P * (jnp.power(safe_m, i) - 1) / (safe_m - 1), P * i.astype(t.dtype))
            return jnp.round(r) if whole else r

    i = i + (restart(i + 1) <= at).astype(jnp.int32) - (restart(i) > at).astype(jnp.int32)
    return t - jnp.asarray(restart(i)).astype(t.dtype), P * jnp.power(m, i)


def sgdr(init_value: float, period: float, *, period_mult: float = 1, min_value: float = 0.0) -> Schedule:
    r"""Cosine annealing with warm restarts (SGDR).

    Cycle $i = 0, 1, \dots$ has length $T_i = P\,m^i$ and starts at count $R_i = P(m^i - 1)/(m - 1)$
    ($R_i = iP$ for $m = 1$); with $t_c = t - R_i$ the steps since the last restart,
    $\eta_t = \eta_{\min} + \tfrac12(\eta_0 - \eta_{\min})(1 + \cos(\pi t_c / T_i))$. Every restart
    count gives exactly $\eta_0$ (the cycle index is corrected against exact restart counts, and
    the formula is evaluated as $\eta_0 - \tfrac12(\eta_0-\eta_{\min})(1 - \cos)$).

    Lecture: [001] "cosine annealing / SGDR"; [002] cites SGDR; [000] "cyclic restarts". docs/spec/schedules.md.
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
    check_range("init_value", init_value, 0.0)
    check_range("period", period, 1.0)
    check_range("period_mult", period_mult, 1.0)
    check_range("min_value", min_value, 0.0, init_value)

    def schedule(count: Any) -> jax.Array:
        t_c, T_i = _sgdr_cycle(count, period, period_mult)
        return init_value - 0.5 * (init_value - min_value) * (1 - jnp.cos(jnp.pi * t_c / T_i))

    return schedule


def cyclic_triangular(min_value: float, max_value: float, half_period: float) -> Schedule:
    r"""Triangular cyclical learning rate (Smith 2017).

    $c = \lfloor 1 + t/(2h) \rfloor$, $x = |t/h - 2c + 1|$,
    $\eta_t = \eta_{\min} + (\eta_{\max} - \eta_{\min})\max(0, 1 - x)$: starts at ``min_value`` at
    count 0, peaks at count $h$, back at the minimum at count $2h$.

    Lecture: [000] mentions cyclic schedules in passing. docs/spec/schedules.md. Same as
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
    check_range("min_value", min_value, 0.0)
    check_range("max_value", max_value, min_value, math.inf, high_open=True)
    check_range("half_period", half_period, 1.0)

    def schedule(count: Any) -> jax.Array:
        t = _float_count(count)
        cycle = 1 + _floor_div(count, 2 * half_period).astype(t.dtype)
        x = jnp.abs((t - 2 * half_period * (cycle - 1)) / half_period - 1)  # |t/h − 2c + 1|, from t mod 2h
        return min_value + (max_value - min_value) * jnp.maximum(0, 1 - x)

    return schedule
