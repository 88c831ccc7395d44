"""Hyperparameters of every public factory: invalid Python values raise a ValueError naming them;
``inject_hyperparams`` with bfloat16 params keeps float32 hyperparameters (b2=0.999 stays < 1).

Valid base arguments come from the registry (optimizer rows, and the schedule rows of
tests/registry/schedules.py); the factories without rows get theirs from ``BASE`` here, and their
invalid cases from ``INVALID``. A new public function with a numeric argument fails
``test_every_public_factory_has_invalid_cases`` until it has a row with ``invalid=`` or an entry here.
"""

from __future__ import annotations

import inspect
import math
import numbers

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxopt_lectures as jol
from jaxopt_lectures.interop import inject_hyperparams
from tests import harness
from tests.registry import MODULES, ROWS
from tests.rows import one_per_method_fast

# public functions that are not hyperparameter factories (drivers, helpers on data)
NOT_FACTORIES = {"minimize", "fit", "hvp", "ravel_by_dtype"}
# valid arguments of the factories that have no registry row
BASE = {
    "add_l2": {"weight": 0.1},
    "decoupled_weight_decay": {"rate": 0.01},
    "proximal": {"learning_rate": 0.1, "l1": 0.01, "l2": 0.01},
    "fused_step": {"tx": optax.sgd(0.1)},
    "fuse": {"tx": optax.sgd(0.1)},
    "nesterov_iterate": {"params": jnp.zeros(1), "state": jol.nesterov(0.1, form="velocity").init(jnp.zeros(1))},
    "per_epoch": {"schedule": lambda c: 0.1, "steps_per_epoch": 10},
}
# invalid cases of the factories whose rows do not list them (scale_by twins, regularizers, ...)
INVALID = {
    "scale_by_momentum": [({"beta": 1.0}, "beta"), ({"beta": -0.1}, "beta"), ({"form": "heavy"}, "form")],
    "scale_by_nesterov": [({"beta": 1.5}, "beta"), ({"form": "x"}, "form")],
    "nesterov_iterate": [({"beta": 1.0}, "beta")],
    "scale_by_adagrad": [({"eps": -1e-8}, "eps"), ({"initial_accumulator": -1.0}, "initial_accumulator")],
    "scale_by_rmsprop": [({"decay": 1.5}, "decay"), ({"eps": -1.0}, "eps")],
    "scale_by_adadelta": [({"rho": 1.5}, "rho"), ({"eps": -1.0}, "eps"), ({"form": "x"}, "form")],
    "scale_by_adam": [({"b1": 1.0}, "b1"), ({"b2": -0.1}, "b2"), ({"eps": -1.0}, "eps")],
    "scale_by_adamw": [({"b1": -0.5}, "b1"), ({"weight_decay": -1.0}, "weight_decay")],
    "scale_by_rprop": [({"eta_plus": 0.9}, "eta_plus"), ({"eta_minus": 1.0}, "eta_minus"), ({"variant": "x"}, "variant")],
    "scale_by_delta_delta": [({"meta_learning_rate": -1.0}, "meta_learning_rate")],
    "scale_by_delta_bar_delta": [({"phi": 1.5}, "phi"), ({"kappa": -1.0}, "kappa")],
    "scale_by_quickprop": [({"max_growth": -1.0}, "max_growth")],
    "scale_by_newton": [({"damping": -1.0}, "damping"), ({"indefinite": "x"}, "indefinite")],
    "scale_by_newton_cg": [({"damping": -1.0}, "damping")],
    "scale_by_lbfgs": [({"memory_size": 0}, "memory_size")],
    "add_l2": [({"weight": -0.1}, "weight")],
    "decoupled_weight_decay": [({"rate": -0.1}, "rate")],
    "proximal": [({"learning_rate": -0.1}, "learning_rate"), ({"l1": -0.1}, "l1"), ({"l2": -1.0}, "l2")],
    "armijo_linesearch": [({"decrease_factor": 1.0}, "decrease_factor"), ({"max_linesearch_steps": -1}, "max_linesearch_steps")],
    "wolfe_linesearch": [({"curv_rtol": 1.5}, "curv_rtol"), ({"max_linesearch_steps": -1}, "max_linesearch_steps")],
    "fuse": [({"chunk_size": 0}, "chunk_size")],
    "fused_step": [({"chunk_size": 0}, "chunk_size")],
}


def public_functions() -> dict:
    return {n: getattr(jol, n) for n in jol.__all__ if inspect.isfunction(getattr(jol, n)) and n not in NOT_FACTORIES}


def registry_entries() -> list:
    """Every registry entry with make/kwargs/invalid: optimizer rows and the other row lists (schedules)."""
    extra = [x for m in MODULES for v in vars(m).values() if isinstance(v, list)
             for x in v if all(hasattr(x, a) for a in ("make", "kwargs", "invalid")) and x not in ROWS]
    return [*ROWS, *extra]


def base_kwargs(name: str) -> dict | None:
    """Valid arguments of a public function: its registry entry's, its alias's (for scale_by_X), or BASE."""
    params = inspect.signature(public_functions()[name]).parameters
    candidates = [e.kwargs for e in registry_entries() if e.make.__name__ in (name, name.removeprefix("scale_by_"))]
    for kwargs in [*candidates, BASE.get(name, {})]:
        base = {k: v for k, v in kwargs.items() if k in params}
        required = {k for k, p in params.items() if p.default is p.empty and p.kind != p.VAR_KEYWORD}
        if required <= set(base):
            return base
    return None


def numeric_arguments(name: str) -> list[str]:
    """Arguments whose default (or base value) is a Python int/float: the validated hyperparameters."""
    params = inspect.signature(public_functions()[name]).parameters
    base = base_kwargs(name) or {}
    value = lambda k, p: base.get(k, p.default)
    return [k for k, p in params.items()
            if isinstance(value(k, p), numbers.Real) and not isinstance(value(k, p), bool)]


def explicit_cases() -> dict[str, list]:
    out: dict[str, list] = {name: list(cases) for name, cases in INVALID.items()}
    for entry in registry_entries():
        out.setdefault(entry.make.__name__, []).extend(entry.invalid)
    return out


def test_every_public_factory_has_base_arguments_and_invalid_cases():
    cases = explicit_cases()
    missing_base = [n for n in public_functions() if base_kwargs(n) is None]
    missing_cases = [n for n in public_functions() if numeric_arguments(n) and not cases.get(n)]
    assert not missing_base, f"add valid arguments to BASE in {__name__}: {missing_base}"
    assert not missing_cases, f"add invalid cases (a row's invalid= or INVALID here): {missing_cases}"
    assert set(INVALID) | set(BASE) <= set(public_functions()), "stale entries in INVALID / BASE"


@pytest.mark.parametrize("name, bad, arg", [(n, b, a) for n, cases in INVALID.items() for b, a in cases],
                         ids=lambda x: x if isinstance(x, str) else None)
def test_invalid_value_raises_a_value_error_naming_the_argument(name, bad, arg):
    factory = getattr(jol, name)
    kwargs = {**base_kwargs(name), **bad}
    with pytest.raises(ValueError, match=rf"^{arg}={bad[arg]!r} must be "):
        factory(**kwargs)


@pytest.mark.parametrize("name, arg", [(n, a) for n in public_functions() for a in numeric_arguments(n)],
                         ids=lambda x: x)
def test_nan_is_rejected_naming_the_argument(name, arg):
    """NaN is never a valid hyperparameter; every numeric argument of every factory rejects it by name
    (a ValueError, or a TypeError where the argument is an integer count and a float is the wrong kind)."""
    with pytest.raises((ValueError, TypeError), match=rf"^{arg}=nan must be "):
        getattr(jol, name)(**{**base_kwargs(name), arg: math.nan})


# ---- inject_hyperparams with bfloat16 params ---------------------------------------------------


def injectable(row) -> tuple[dict, tuple]:
    """(the float hyperparameters to inject, the static argument names) of a row."""
    floats = {k: v for k, v in row.kwargs.items() if isinstance(v, float)}
    static = tuple(k for k in row.kwargs if k not in floats and not callable(row.kwargs[k]))  # ints stay static
    return floats, static


@pytest.mark.parametrize("row", one_per_method_fast(r for r in ROWS if injectable(r)[0]))
def test_injected_hyperparameters_stay_float32_with_bfloat16_params(row):
    floats, static = injectable(row)
    tx = inject_hyperparams(row.make, static_args=static)(**row.kwargs)
    params, grads = harness.tree_pair(seed=40, dtype=jnp.bfloat16)
    state = tx.init(params)
    for k, v in floats.items():
        assert state.hyperparams[k].dtype == jnp.float32 and state.hyperparams[k] == jnp.float32(v), k
    value_fn = lambda p: 0.5 * sum(jnp.sum(jnp.asarray(x, jnp.float32) ** 2) for x in jax.tree.leaves(p))

    def run(tx, params, grads_list):  # lax.scan rejects a state whose dtype changes
        def step(state, g):
            updates, state = tx.update(g, state, params, value=value_fn(params), value_fn=value_fn)
            return state, updates
        return jax.lax.scan(step, tx.init(params), grads_list)

    stream = jax.tree.map(lambda g: jnp.stack([g, -0.5 * g, g]), grads)
    state, updates = jax.jit(run, static_argnums=0)(tx, params, stream)
    chex.assert_trees_all_equal_dtypes(jax.tree.map(lambda u: u[0], updates), grads)
    chex.assert_trees_all_equal_dtypes(state.inner_state, tx.init(params).inner_state)
    # and it is the same optimizer: the plain factory on the same bfloat16 inputs, at bfloat16 precision
    _, want = jax.jit(run, static_argnums=0)(row.build(), params, stream)
    for got, ref in zip(jax.tree.leaves(updates), jax.tree.leaves(want)):
        got, ref = np.asarray(got, np.float32), np.asarray(ref, np.float32)
        scale = float(np.max(np.abs(ref))) if ref.size else 0.0
        np.testing.assert_allclose(got, ref, rtol=5e-2, atol=5e-2 * scale + 1e-6)


def test_adam_b2_0999_is_not_rounded_to_one_with_bfloat16_params():
    """optax's default stores b2 in the params' dtype (bfloat16: exactly 1.0); the helper keeps 0.999."""
    params = jnp.ones(4, jnp.bfloat16)
    # the pitfall the helper exists for: optax stores b2 in bfloat16, where 0.999 rounds to 1.0; the
    # factory then receives a concrete b2 = 1 and rejects it by name (under jit it would be traced)
    with pytest.raises(ValueError, match=r"^b2=1 must be in \[0.0, 1.0\)"):
        optax.inject_hyperparams(jol.adam)(learning_rate=1e-3, b2=0.999).init(params)
    tx = inject_hyperparams(jol.adam)(learning_rate=1e-3, b2=0.999)
    state = tx.init(params)
    assert state.hyperparams["b2"] == jnp.float32(0.999)
    _, state = tx.update(jnp.full(4, 2.0, jnp.bfloat16), state, params)
    nu = jax.tree.leaves(state.inner_state[0].nu)[0]
    assert nu.dtype == jnp.bfloat16
    np.testing.assert_allclose(np.asarray(nu, np.float32), (1 - 0.999) * 4.0, rtol=1e-2)  # (1 − b2) g², not 0
