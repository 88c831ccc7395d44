r"""Schedules built from another schedule: linear warm-up, the batch-size scaling rule, per-epoch rates;
docs/spec/schedules.md.

[002] "Linear warmup" and "batch size ×N ⇒ initial learning rate ×N" (Goyal et al.), [000]
"warmup". Epoch-based schedules (the seeds index the rate by epoch: [002] "×0.1 at epochs 30, 60,
90") become per-step schedules with :func:`per_epoch`.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import optax

from jaxopt_lectures._validate import check_learning_rate, check_range
from jaxopt_lectures.schedules._common import Schedule, _float_count, _floor_div
from jaxopt_lectures.schedules.decay import constant_schedule


def linear_warmup(schedule: optax.ScalarOrSchedule, warmup_steps: float, init_value: float = 0.0) -> Schedule:
    r"""Linear warm-up in front of any schedule.

    $t < w$: $\eta_t = \eta_{\text{init}} + (\eta^{s}(0) - \eta_{\text{init}})\,t/w$; $t \ge w$:
    $\eta_t = \eta^{s}(t - w)$: the wrapped schedule starts *after* the warm-up (its horizon is
    shifted by $w$; ``optax.warmup_cosine_decay_schedule``'s ``decay_steps`` instead includes the
    warm-up). With the default ``init_value=0`` the first update (count 0) is a no-op, as in
    optax's warm-up schedules. The wrapped schedule is evaluated at $\max(t - w, 0)$, so it never
    sees a negative count.

    Lecture: [002] "Linear warmup" (from 0 over ~5000 iterations, with large batches); [000]
    "warmup". docs/spec/schedules.md. Same as ``optax.join_schedules([optax.linear_schedule(init, s(0), w), s], [w])``.
    Robbins–Monro: a finite prefix changes neither sum; the wrapped schedule decides.

    Args:
        schedule: any ``count -> rate`` (or a number, i.e. a constant rate).
        warmup_steps: $w \ge 0$ ($0$ returns the wrapped schedule's values).
        init_value: $\eta_{\text{init}} \ge 0$, the rate at count 0.

    Raises:
        ValueError: ``warmup_steps < 0``, negative ``init_value`` or a negative constant ``schedule``.

    References:
        Goyal et al., Accurate, large minibatch SGD: training ImageNet in 1 hour, 2017.

    Example:
        >>> import jaxopt_lectures as jol
        >>> s = jol.linear_warmup(jol.cosine_decay(1.0, decay_steps=100), warmup_steps=10)
        >>> print(s(0), s(5), s(10), s(60))
        0.0 0.5 1.0 0.5
    """
    check_learning_rate(schedule, "schedule")
    check_range("warmup_steps", warmup_steps, 0.0)
    check_range("init_value", init_value, 0.0)
    inner = schedule if callable(schedule) else constant_schedule(schedule)

    def warmed(count: Any) -> jax.Array:
        t = _float_count(count)
        w = jnp.asarray(warmup_steps, t.dtype)
        after = inner(jnp.maximum(t - w, 0))
        peak = inner(jnp.zeros_like(t))
        ramp = init_value + (peak - init_value) * t / jnp.where(w > 0, w, 1)
        return jnp.where(t < w, ramp, after)

    return warmed


def batch_size_scaled(learning_rate: optax.ScalarOrSchedule, batch_size: float, base_batch_size: float) -> Schedule:
    r"""Linear scaling rule: $\eta_t = \eta(t)\, B / B_0$ (always returns a schedule).

    Multiplying the batch size by $N$ divides the gradient noise variance by $N$; the rule of
    thumb multiplies the rate by $N$ too (usually with :func:`linear_warmup` for large $B$).

    Lecture: [002] "batch size ×N ⇒ initial learning rate ×N" rule of thumb; [001] $\sigma/\sqrt{B}$.
    docs/spec/schedules.md, docs/spec/experiments.md E10. Closed form.
    Robbins–Monro: a constant factor changes neither sum; ``learning_rate`` decides.

    Args:
        learning_rate: $\eta \ge 0$, a number or a schedule.
        batch_size: $B \ge 1$.
        base_batch_size: $B_0 \ge 1$, the batch size ``learning_rate`` was tuned for.

    Raises:
        ValueError: a batch size below 1 or a negative ``learning_rate``.

    References:
        Goyal et al., Accurate, large minibatch SGD: training ImageNet in 1 hour, 2017.

    Example:
        >>> import jaxopt_lectures as jol
        >>> print(jol.batch_size_scaled(0.1, batch_size=256, base_batch_size=32)(0))
        0.8
    """
    check_learning_rate(learning_rate)
    check_range("batch_size", batch_size, 1.0)
    check_range("base_batch_size", base_batch_size, 1.0)
    inner = learning_rate if callable(learning_rate) else constant_schedule(learning_rate)

    def schedule(count: Any) -> jax.Array:
        return inner(count) * (batch_size / base_batch_size)

    return schedule


def per_epoch(schedule: Schedule, steps_per_epoch: int) -> Schedule:
    r"""Turn a per-epoch schedule into a per-step one: $\eta_t = \eta^{\text{epoch}}(\lfloor t / n \rfloor)$.

    The seeds often index the rate by epoch ([002] "×0.1 at epochs 30, 60, 90"; [000] allows decaying
    per minibatch or per group of epochs); optimizers count updates. Every update of epoch
    $e$ (counts $e n, \dots, e n + n - 1$) uses the rate of epoch $e$.

    Lecture: [000] "Gradient Descent Variants"; [002] step decay by epoch. docs/spec/schedules.md.

    Args:
        schedule: a ``count -> rate`` function of the 0-based epoch.
        steps_per_epoch: $n \ge 1$, updates per epoch (``ceil(N / B)`` minibatches).

    Raises:
        ValueError: ``steps_per_epoch < 1``.

    References:
        He, Zhang, Ren & Sun, Deep residual learning for image recognition, CVPR 2016 (rates per epoch).

    Example:
        >>> import jaxopt_lectures as jol
        >>> s = jol.per_epoch(jol.step_decay(1.0, [30]), steps_per_epoch=100)
        >>> print(s(2999), s(3000))
        1.0 0.1
    """
    check_range("steps_per_epoch", steps_per_epoch, 1.0)

    def stepped(count: Any) -> jax.Array:
        return schedule(_floor_div(count, steps_per_epoch))

    return stepped
