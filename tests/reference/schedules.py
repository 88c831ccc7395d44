"""References for the schedules: torch.optim.lr_scheduler in float64, and a plateau transform fed a scripted loss.

The oracles of tests/test_schedules.py and tests/registry/schedules.py (docs/spec/schedules.md); the
schedules experiment overplots the same references. torch is imported inside the functions (the test extra).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax


def torch_rates(scheduler: str, lr: float, n: int, **kwargs: Any) -> np.ndarray:
    """The rates a ``torch.optim.lr_scheduler.<scheduler>`` gives at epochs 0…n−1 (float64)."""
    import torch

    param = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([param], lr=lr)
    sched = getattr(torch.optim.lr_scheduler, scheduler)(opt, **kwargs)
    rates = []
    for _ in range(n):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return np.asarray(rates, np.float64)


def torch_plateau_rates(losses: np.ndarray, lr: float = 1.0, **kwargs: Any) -> np.ndarray:
    """torch ``ReduceLROnPlateau``: the rate in force after ``step(loss_t)`` for each t."""
    import torch

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", threshold_mode="rel", eps=0.0, **kwargs)
    rates = []
    for loss in losses:
        sched.step(float(loss))
        rates.append(opt.param_groups[0]["lr"])
    return np.asarray(rates, np.float64)


def plateau_scales(tx: optax.GradientTransformationExtraArgs, losses: Any) -> np.ndarray:
    """The factor a plateau transform applies at each call, fed the scripted ``losses`` as ``value=``."""

    @jax.jit
    def scan(losses):
        def step(state, loss):
            u, state = tx.update(jnp.ones(()), state, value=loss)
            return state, u

        return jax.lax.scan(step, tx.init(jnp.zeros(())), losses)[1]

    return np.asarray(scan(jnp.asarray(losses, jnp.float32)), np.float64)


def scripted_loss(n: int) -> np.ndarray:
    """A validation-loss curve: fast decrease, then a noisy plateau (deterministic)."""
    t = np.arange(n)
    return (0.3 + 0.7 * np.exp(-t / 30) + 0.02 * np.sin(0.9 * t)).astype(np.float32)
