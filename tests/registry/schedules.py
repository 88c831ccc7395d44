"""Registry of the learning-rate schedules (docs/spec/schedules.md, docs/spec/references.md) and the plateau
transform's optimizer row.

``SCHEDULES`` is the table that tests/test_schedules.py runs over: each row names the factory, its
(non-default) kwargs, the float64 NumPy closed form written from docs/spec/schedules.md, the optax/torch
configurations that must give the same values, the hyperparameters to ``jax.vmap`` over, and the
invalid arguments. Schedules are not optimizers, so their public names are in ``EXEMPT``;
``reduce_on_plateau`` is a transform and gets an optimizer ``Row`` (sgd followed by it), so the
generic contract and reference tests cover it.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from typing import Any

import jax
import numpy as np
import optax

import jaxopt_lectures as jol
from tests.reference.schedules import torch_rates
from tests import harness
from tests.registry.row import Row

N_COUNTS = 1200  # counts 0…1199 (docs/spec/references.md asks for >= 1000, boundaries included)


@dataclasses.dataclass(frozen=True)
class ScheduleRow:
    """One schedule configuration and everything it is checked against."""

    id: str
    make: Callable[..., Callable[[Any], Any]]
    kwargs: Mapping[str, Any]
    closed_form: Callable[[np.ndarray], np.ndarray]  # float64 NumPy from the equations, of the 0-based count
    references: Mapping[str, Callable[[int], np.ndarray]] = dataclasses.field(default_factory=dict)  # name -> n -> values
    batch: Mapping[str, Any] = dataclasses.field(default_factory=dict)  # hyperparameter -> values to vmap over
    invalid: tuple[tuple[Mapping[str, Any], str], ...] = ()
    lecture: str = ""
    count_base: str = "0-based"  # "1-based" where the literature's formula uses s = count + 1

    def build(self, **overrides: Any) -> Callable[[Any], Any]:
        return self.make(**{**self.kwargs, **overrides})


# ---- float64 closed forms (docs/spec/schedules.md), t = 0-based count (float array) --------------------------

def np_step(t, init_value, boundaries, factor):
    return init_value * factor ** np.sum(np.asarray(t)[..., None] >= np.asarray(boundaries), axis=-1)


def np_exponential(t, init_value, decay_rate, decay_steps=1, staircase=False):
    p = np.asarray(t) / decay_steps
    return init_value * decay_rate ** (np.floor(p) if staircase else p)


def np_inverse_time(t, init_value, decay_rate, decay_steps=1):
    return init_value / (1 + decay_rate * np.asarray(t) / decay_steps)


def np_inverse_sqrt(t, init_value, warmup_steps=0):
    s = np.asarray(t, np.float64) + 1
    return init_value / np.sqrt(s) if warmup_steps == 0 else init_value * np.minimum(s / warmup_steps, np.sqrt(warmup_steps / s))


def np_polynomial(t, init_value, end_value, power, decay_steps):
    return (init_value - end_value) * (1 - np.minimum(t, decay_steps) / decay_steps) ** power + end_value


def np_cosine(t, init_value, decay_steps, alpha=0.0):
    return init_value * ((1 - alpha) * 0.5 * (1 + np.cos(np.pi * np.minimum(t, decay_steps) / decay_steps)) + alpha)


def np_sgdr(t, init_value, period, period_mult=1, min_value=0.0):
    """Walk the cycles in float64: subtract T_i while t is past the end of cycle i."""
    t = np.asarray(t, np.float64)
    t_c, T_i = t.copy(), np.full_like(t, float(period))
    while np.any(t_c >= T_i):
        past = t_c >= T_i
        t_c, T_i = np.where(past, t_c - T_i, t_c), np.where(past, T_i * period_mult, T_i)
    return min_value + 0.5 * (init_value - min_value) * (1 + np.cos(np.pi * t_c / T_i))


def np_warmup(t, inner, warmup_steps, init_value=0.0):
    t = np.asarray(t, np.float64)
    ramp = init_value + (inner(np.zeros_like(t)) - init_value) * t / max(warmup_steps, 1)
    return np.where(t < warmup_steps, ramp, inner(np.maximum(t - warmup_steps, 0)))


def np_cyclic(t, min_value, max_value, half_period):
    c = np.floor(1 + np.asarray(t) / (2 * half_period))
    x = np.abs(np.asarray(t) / half_period - 2 * c + 1)
    return min_value + (max_value - min_value) * np.maximum(0, 1 - x)


def np_transformer(t, d_model, warmup_steps):
    s = np.asarray(t, np.float64) + 1
    return d_model**-0.5 * np.minimum(s**-0.5, s * warmup_steps**-1.5)


# ---- library references ----------------------------------------------------------------------------

def via_optax(schedule: Callable[[Any], Any]) -> Callable[[int], np.ndarray]:
    """Values of an optax schedule at counts 0…n−1 (optax computes in float32)."""
    return lambda n: np.asarray(jax.vmap(schedule)(np.arange(n)), np.float64)


def via_torch(scheduler: str, lr: float, valid_below: int | None = None, **kwargs: Any) -> Callable[[int], np.ndarray]:
    """Values of a torch.optim.lr_scheduler (float64); NaN from ``valid_below`` on (outside its domain)."""

    def reference(n: int) -> np.ndarray:
        values = torch_rates(scheduler, lr, n, **kwargs)
        if valid_below is not None:
            values[valid_below:] = np.nan
        return values

    return reference


def _sgdr_cycles(init_value, period, period_mult, min_value, horizon=N_COUNTS):
    cycles, start = [], 0
    while start <= horizon:
        length = period * period_mult ** len(cycles)
        cycles.append(dict(init_value=init_value, peak_value=init_value, warmup_steps=0, decay_steps=length,
                           end_value=min_value))
        start += length
    return optax.sgdr_schedule(cycles)


def _row(id, make, kwargs, closed, **fields) -> ScheduleRow:
    return ScheduleRow(id, make, kwargs, functools.partial(closed, **kwargs) if closed else None, **fields)


STEP = dict(init_value=0.5, boundaries=[100, 250, 600], factor=0.3)
EXP = dict(init_value=0.2, decay_rate=0.5, decay_steps=300)
EXP1 = dict(init_value=0.1, decay_rate=0.997)
INV = dict(init_value=0.1, decay_rate=2.0, decay_steps=100)
POLY = dict(init_value=0.4, end_value=0.01, power=2.5, decay_steps=800)
POLY0 = dict(init_value=0.4, end_value=0.0, power=2.0, decay_steps=800)
LIN = dict(init_value=0.3, end_value=0.05, decay_steps=700)
COS = dict(init_value=0.2, decay_steps=900, alpha=0.1)
SGDR1 = dict(init_value=0.1, period=150, period_mult=1, min_value=0.005)
SGDR2 = dict(init_value=0.1, period=50, period_mult=2, min_value=0.005)
SGDR15 = dict(init_value=0.1, period=40, period_mult=1.5, min_value=0.0)
CYC = dict(min_value=0.01, max_value=0.1, half_period=125)
WARM_COS = dict(warmup_steps=100, init_value=0.0)
WARM_EXP = dict(warmup_steps=60, init_value=0.01)
INNER_COS = dict(init_value=0.2, decay_steps=800)
INNER_EXP = dict(init_value=0.1, decay_rate=0.3, decay_steps=500)
EPOCHS = dict(init_value=0.1, boundaries=[3, 6, 9], factor=0.1)
BAD_INIT = ({"init_value": -0.1}, "init_value")

SCHEDULES = [
    _row("constant_schedule", jol.constant_schedule, {"value": 0.03}, lambda t, value: np.full(np.shape(t), value),
         references={"optax.constant_schedule(v)": via_optax(optax.constant_schedule(0.03))},
         batch={"value": [0.01, 0.02, 0.5]}, invalid=(({"value": -1.0}, "value"),), lecture="[001] no decay"),
    _row("step_decay", jol.step_decay, STEP, np_step,
         references={"optax.piecewise_constant_schedule(η0, {b: factor})": via_optax(
                         optax.piecewise_constant_schedule(0.5, {100: 0.3, 250: 0.3, 600: 0.3})),
                     "torch MultiStepLR(milestones, gamma)": via_torch("MultiStepLR", 0.5, milestones=[100, 250, 600],
                                                                       gamma=0.3)},
         batch={"init_value": [0.1, 0.5, 1.0], "boundaries": np.array([[10, 20, 30], [100, 250, 600], [0, 1, 1000]]),
                "factor": [0.1, 0.3, 2.0]},
         invalid=(BAD_INIT, ({"boundaries": [100, 100]}, "boundaries"), ({"boundaries": [250, 100]}, "boundaries"),
                  ({"boundaries": [-5, 100]}, "boundaries"), ({"boundaries": [10.5, 20]}, "boundaries"),
                  ({"factor": 0.0}, "factor"), ({"factor": -0.1}, "factor")),
         lecture="[002] ×0.1 at epochs 30, 60, 90"),
    _row("per_epoch/step_decay", jol.per_epoch,
         {"schedule": jol.step_decay(**EPOCHS), "steps_per_epoch": 100},
         lambda t, **_: np_step(np.floor(np.asarray(t) / 100), **EPOCHS),
         references={"torch MultiStepLR stepped once per epoch": lambda n: np.repeat(
             torch_rates("MultiStepLR", 0.1, -(-n // 100), milestones=[3, 6, 9], gamma=0.1), 100)[:n]},
         batch={"steps_per_epoch": [10, 100, 37]}, invalid=(({"steps_per_epoch": 0}, "steps_per_epoch"),),
         lecture="[002] rate indexed by epoch; [000] decay per (group of) epochs"),
    _row("exponential_decay/continuous", jol.exponential_decay, EXP, np_exponential,
         references={"optax.exponential_decay(η0, transition_steps=k, decay_rate=r)": via_optax(
             optax.exponential_decay(0.2, transition_steps=300, decay_rate=0.5))},
         batch={"init_value": [0.1, 0.2, 0.3], "decay_rate": [0.5, 0.9, 0.1], "decay_steps": [300, 1, 50]},
         invalid=(BAD_INIT, ({"decay_rate": 0.0}, "decay_rate"), ({"decay_rate": -0.5}, "decay_rate"),
                  ({"decay_steps": 0}, "decay_steps"), ({"decay_steps": -300}, "decay_steps")),
         lecture="[000] α0·c^t; [001] exponential decay"),
    _row("exponential_decay/staircase", jol.exponential_decay, {**EXP, "staircase": True}, np_exponential,
         references={"optax.exponential_decay(..., staircase=True)": via_optax(
             optax.exponential_decay(0.2, transition_steps=300, decay_rate=0.5, staircase=True))},
         batch={"decay_rate": [0.5, 0.9, 0.1]}, lecture="[000] exponential decay per (group of) epochs"),
    _row("exponential_decay/per-step", jol.exponential_decay, EXP1, np_exponential,
         references={"torch ExponentialLR(gamma=r)": via_torch("ExponentialLR", 0.1, gamma=0.997)},  # optax: see tests
         lecture="[000] α0·c^t"),
    _row("inverse_time_decay", jol.inverse_time_decay, INV, np_inverse_time,
         batch={"init_value": [0.1, 1.0, 2.0], "decay_rate": [0.0, 2.0, 0.5]},
         invalid=(BAD_INIT, ({"decay_rate": -1.0}, "decay_rate"), ({"decay_steps": 0}, "decay_steps")),
         lecture="[001] 1/t decay η0/(1+kt)"),
    _row("inverse_sqrt_decay/no-warmup", jol.inverse_sqrt_decay, {"init_value": 0.3}, np_inverse_sqrt,
         batch={"init_value": [0.1, 0.3, 1.0]}, invalid=(BAD_INIT, ({"warmup_steps": -1}, "warmup_steps")),
         lecture="[000] α0/√t; [002] inverse sqrt", count_base="1-based"),
    _row("inverse_sqrt_decay/warmup", jol.inverse_sqrt_decay, {"init_value": 0.3, "warmup_steps": 50}, np_inverse_sqrt,
         batch={"init_value": [0.1, 0.3, 1.0], "warmup_steps": [50, 0, 7]},
         lecture="[002] inverse sqrt with warmup (Vaswani)", count_base="1-based"),
    _row("polynomial_decay", jol.polynomial_decay, POLY, np_polynomial,
         references={"optax.polynomial_schedule(η0, η_T, p, T)": via_optax(optax.polynomial_schedule(0.4, 0.01, 2.5, 800))},
         batch={"end_value": [0.0, 0.01, 0.1], "power": [0.5, 2.5, 1.0], "decay_steps": [800, 100, 1500]},
         invalid=(BAD_INIT, ({"end_value": -0.01}, "end_value"), ({"power": 0.0}, "power"),
                  ({"decay_steps": 0}, "decay_steps"), ({"decay_steps": -800}, "decay_steps")),
         lecture="[000] polynomial decay"),
    _row("polynomial_decay/to-zero", jol.polynomial_decay, POLY0, np_polynomial,
         references={"torch PolynomialLR(total_iters=T, power=p)": via_torch("PolynomialLR", 0.4, total_iters=800, power=2.0),
                     "optax.polynomial_schedule(η0, 0, p, T)": via_optax(optax.polynomial_schedule(0.4, 0.0, 2.0, 800))},
         lecture="[000] polynomial decay"),
    _row("linear_decay", jol.linear_decay, LIN, lambda t, **kw: np_polynomial(t, power=1.0, **kw),
         references={"optax.linear_schedule(η0, η_T, T)": via_optax(optax.linear_schedule(0.3, 0.05, 700))},
         batch={"init_value": [0.3, 1.0, 0.05], "end_value": [0.0, 0.05, 0.01], "decay_steps": [700, 10, 2000]},
         invalid=(BAD_INIT, ({"decay_steps": 0}, "decay_steps"), ({"end_value": -1.0}, "end_value")),
         lecture="[000] α0(1 − t/max_steps); [002] linear (BERT)"),
    _row("cosine_decay", jol.cosine_decay, COS, np_cosine,
         references={"optax.cosine_decay_schedule(η0, T, alpha)": via_optax(optax.cosine_decay_schedule(0.2, 900, alpha=0.1)),
                     "torch CosineAnnealingLR(T, eta_min=a·η0), t ≤ T": via_torch(
                         "CosineAnnealingLR", 0.2, valid_below=901, T_max=900, eta_min=0.02)},
         batch={"init_value": [0.1, 0.2, 1.0], "decay_steps": [900, 10, 5000], "alpha": [0.0, 0.1, 1.0]},
         invalid=(BAD_INIT, ({"decay_steps": 0}, "decay_steps"), ({"decay_steps": -10}, "decay_steps"),
                  ({"alpha": -0.1}, "alpha"), ({"alpha": 1.5}, "alpha")),
         lecture="[000] [001] [002] ½η0(1 + cos(πt/T))"),
    _row("sgdr/mult-1", jol.sgdr, SGDR1, np_sgdr,
         references={"torch CosineAnnealingWarmRestarts(T_0=P, T_mult=1, eta_min)": via_torch(
                         "CosineAnnealingWarmRestarts", 0.1, T_0=150, T_mult=1, eta_min=0.005),
                     "optax.sgdr_schedule([...per cycle...])": via_optax(_sgdr_cycles(0.1, 150, 1, 0.005))},
         batch={"init_value": [0.1, 0.5, 1.0], "period": [150, 7, 1000], "min_value": [0.0, 0.005, 0.05]},
         invalid=(BAD_INIT, ({"period": 0}, "period"), ({"period_mult": 0.5}, "period_mult"),
                  ({"min_value": -0.1}, "min_value"), ({"min_value": 0.2}, "min_value")),
         lecture="[001] SGDR; [002] cites SGDR"),
    _row("sgdr/mult-2", jol.sgdr, SGDR2, np_sgdr,
         references={"torch CosineAnnealingWarmRestarts(T_0=P, T_mult=2, eta_min)": via_torch(
                         "CosineAnnealingWarmRestarts", 0.1, T_0=50, T_mult=2, eta_min=0.005),
                     "optax.sgdr_schedule([...per cycle...])": via_optax(_sgdr_cycles(0.1, 50, 2, 0.005))},
         batch={"period": [50, 7, 100], "period_mult": [2, 1, 3]}, lecture="[001] SGDR with growing periods"),
    _row("sgdr/mult-1.5", jol.sgdr, SGDR15, np_sgdr,
         references={"optax.sgdr_schedule([...per cycle...])": via_optax(_sgdr_cycles(0.1, 40, 1.5, 0.0))},
         batch={"period_mult": [1.5, 1.0, 2.5]}, lecture="[001] SGDR (float multiplier: not in torch)"),
    _row("linear_warmup/cosine", jol.linear_warmup, {"schedule": jol.cosine_decay(**INNER_COS), **WARM_COS},
         lambda t, schedule, **kw: np_warmup(t, functools.partial(np_cosine, **INNER_COS), **kw),
         references={"optax.warmup_cosine_decay_schedule(init, η0, w, w + T)": via_optax(
             optax.warmup_cosine_decay_schedule(0.0, 0.2, 100, 900))},
         batch={"warmup_steps": [100, 0, 1500], "init_value": [0.0, 0.1, 0.3]},
         invalid=(({"warmup_steps": -1}, "warmup_steps"), ({"init_value": -0.1}, "init_value"),
                  ({"schedule": -0.1}, "schedule")),
         lecture="[002] linear warmup from 0"),
    _row("linear_warmup/exponential", jol.linear_warmup, {"schedule": jol.exponential_decay(**INNER_EXP), **WARM_EXP},
         lambda t, schedule, **kw: np_warmup(t, functools.partial(np_exponential, **INNER_EXP), **kw),
         references={"optax.join_schedules([linear_schedule(init, s(0), w), s], [w])": via_optax(optax.join_schedules(
             [optax.linear_schedule(0.01, 0.1, 60), optax.exponential_decay(0.1, 500, 0.3)], [60]))},
         lecture="[000] warmup before any decay"),
    _row("cyclic_triangular", jol.cyclic_triangular, CYC, np_cyclic,
         references={"torch CyclicLR(base_lr, max_lr, step_size_up=h, mode='triangular')": via_torch(
             "CyclicLR", 0.01, base_lr=0.01, max_lr=0.1, step_size_up=125, mode="triangular", cycle_momentum=False)},
         batch={"min_value": [0.0, 0.01, 0.05], "max_value": [0.1, 0.2, 0.05], "half_period": [125, 1, 10]},
         invalid=(({"min_value": -0.01}, "min_value"), ({"max_value": 0.001}, "max_value"),
                  ({"half_period": 0}, "half_period")),
         lecture="[000] cyclic (Smith 2017)"),
    _row("transformer_schedule", jol.transformer_schedule, {"d_model": 512, "warmup_steps": 400}, np_transformer,
         batch={"d_model": [512, 64, 1024], "warmup_steps": [400, 1, 4000]},
         invalid=(({"d_model": 0}, "d_model"), ({"warmup_steps": 0}, "warmup_steps"),
                  ({"warmup_steps": -4000}, "warmup_steps")),
         lecture="[000] machine translation; [002] Vaswani et al.", count_base="1-based"),
    _row("batch_size_scaled/constant", jol.batch_size_scaled,
         {"learning_rate": 0.05, "batch_size": 256, "base_batch_size": 32},
         lambda t, learning_rate, batch_size, base_batch_size: np.full(np.shape(t), learning_rate * batch_size / base_batch_size),
         batch={"learning_rate": [0.05, 0.1, 0.0], "batch_size": [256, 32, 1]},
         invalid=(({"learning_rate": -0.1}, "learning_rate"), ({"batch_size": 0}, "batch_size"),
                  ({"base_batch_size": 0}, "base_batch_size")),
         lecture="[002] batch ×N ⇒ rate ×N"),
    _row("batch_size_scaled/cosine", jol.batch_size_scaled,
         {"learning_rate": jol.cosine_decay(0.05, 1000), "batch_size": 128, "base_batch_size": 32},
         lambda t, learning_rate, batch_size, base_batch_size: 4 * np_cosine(t, 0.05, 1000),
         batch={"batch_size": [128, 32, 1024]}, lecture="[002] linear scaling rule with a decaying rate"),
]

assert len({row.id for row in SCHEDULES}) == len(SCHEDULES), "schedule ids must be unique"


# ---- reduce_on_plateau as an optimizer row: sgd followed by the plateau transform ------------------

def reduce_on_plateau(learning_rate, factor=0.1, patience=10, rtol=1e-4, atol=0.0, cooldown=0, accumulation_size=1,
                      min_scale=0.0):
    """``sgd(learning_rate)`` followed by ``jol.reduce_on_plateau`` (named so the coverage test finds it)."""
    return optax.chain(jol.sgd(learning_rate), jol.reduce_on_plateau(factor, patience, rtol, atol, cooldown,
                                                                     accumulation_size, min_scale))


def optax_plateau(learning_rate, **kwargs):
    return optax.chain(optax.sgd(learning_rate), optax.contrib.reduce_on_plateau(**kwargs))


PLATEAU = dict(learning_rate=0.05, factor=0.5, patience=2, rtol=1e-3, atol=0.01, cooldown=1, accumulation_size=2,
               min_scale=0.1)
BAD_PLATEAU = (({"factor": 1.0}, "factor"), ({"factor": 0.0}, "factor"), ({"patience": 0}, "patience"),
               ({"rtol": 1.5}, "rtol"), ({"rtol": -1e-4}, "rtol"), ({"atol": -0.1}, "atol"),
               ({"rtol": 0.0, "atol": 0.0}, "atol"), ({"cooldown": -1}, "cooldown"),
               ({"accumulation_size": 0}, "accumulation_size"), ({"min_scale": -0.1}, "min_scale"))

ROWS = [
    Row("reduce_on_plateau/sgd", reduce_on_plateau, PLATEAU, reference=harness.via_optax(optax_plateau),
        reference_name="optax.chain(optax.sgd(lr), optax.contrib.reduce_on_plateau(same arguments))",
        needs=("value",), invalid=BAD_PLATEAU, lecture="[001] decay at plateaus",
        solve={"learning_rate": 0.03, "atol": 0.0}),
]

EXEMPT = {"constant_schedule", "step_decay", "exponential_decay", "inverse_time_decay", "inverse_sqrt_decay",
          "polynomial_decay", "linear_decay", "cosine_decay", "sgdr", "linear_warmup", "cyclic_triangular",
          "transformer_schedule", "batch_size_scaled", "per_epoch", "ReduceOnPlateauState"}
