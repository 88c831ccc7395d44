"""Non-finite gradients and extreme finite ones, over every registry row (docs/interop.md policy).

Policy: the optimizers do not filter their inputs. A NaN/inf gradient gives NaN/inf updates and
(for the methods the policy table marks) a poisoned state; ``optax.apply_if_finite`` is the
wrapper that skips such steps. Finite inputs never create NaN/inf: zero gradients, identical
consecutive gradients (Quickprop's secant denominator, Rprop's sign product) and magnitudes
1e-30 ... 1e30 in float32 give finite updates and a state without NaN; the state may overflow
to inf only above the gradient magnitude that the policy table in docs/interop.md gives for the
method (squared-gradient accumulators: 1e19), and the table's every line is checked.
"""

from __future__ import annotations

import re
from pathlib import Path

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from tests import harness
from tests.registry import ROWS
from tests.rows import method as alias, one_per_method_fast
from tests.harness import one_step

DOC = Path(__file__).resolve().parents[1] / "docs" / "interop.md"
MAGNITUDES = (1e-30, 1e-20, 1e-10, 1.0, 1e10, 1e20, 1e30)


def poisoned(grads: dict, bad: float) -> dict:
    """``grads`` with one element of leaf "b" replaced by ``bad`` (NaN or inf)."""
    return {**grads, "b": grads["b"].at[0, 1].set(bad)}


def has(tree, test) -> bool:
    return any(bool(jnp.any(test(x))) for x in jax.tree.leaves(tree) if jnp.issubdtype(x.dtype, jnp.inexact))


@pytest.mark.parametrize("row", one_per_method_fast(ROWS))
def test_apply_if_finite_skips_non_finite_steps_then_gives_up(row):
    """Two skipped steps (state untouched, counters advance), then the third is applied anyway."""
    tx = row.build()
    wrapped = optax.apply_if_finite(tx, max_consecutive_errors=2)
    params, g = harness.tree_pair(seed=11)
    step = jax.jit(lambda g, s: one_step(wrapped, params, g, s))
    state = wrapped.init(params)
    updates, state = step(g, state)
    want_updates, want_inner = one_step(tx, params, g, tx.init(params))
    chex.assert_trees_all_close(updates, want_updates, rtol=1e-6)
    chex.assert_trees_all_close(state.inner_state, want_inner, rtol=1e-6)
    for k, bad in enumerate((jnp.nan, jnp.inf), start=1):
        updates, new = step(poisoned(g, bad), state)
        assert all(not jnp.any(u) for u in jax.tree.leaves(updates)), "a non-finite step must be skipped"
        chex.assert_trees_all_equal(new.inner_state, state.inner_state)
        assert (int(new.notfinite_count), int(new.total_notfinite), bool(new.last_finite)) == (k, k, False)
        state = new
    updates, given_up = step(poisoned(g, -jnp.inf), state)  # 3 > max_consecutive_errors: applied
    direct = one_step(tx, params, poisoned(g, -jnp.inf), state.inner_state)
    chex.assert_trees_all_close((updates, given_up.inner_state), direct, rtol=1e-6)  # NaN/inf where direct has them
    _, recovered = step(g, given_up)
    assert (int(recovered.notfinite_count), int(recovered.total_notfinite), bool(recovered.last_finite)) == (0, 3, True)


def scenarios() -> dict[str, list[float]]:
    """Per-step multipliers of one random gradient: zeros, repeats, sign flips, every magnitude."""
    out = {"zeros": [0.0] * 4, "identical": [1.0] * 4, "zero-after-nonzero": [1.0, 0.0, 1.0, 1.0]}
    for m in MAGNITUDES:
        out[f"{m:g}"] = [m, m, -m, m]  # identical, then a sign flip, then back
    out["1e30-then-1e-30"] = [1e30, 1e-30, 0.0, -1e30]
    out["1e-30-then-1e30"] = [1e-30, 1e-30, 1e30, 1e30]
    return out


def run_scenarios(row) -> tuple[np.ndarray, tuple, tuple, tuple]:
    """Cached by row id: see :func:`_run_scenarios`."""
    if row.id not in _SCENARIO_RUNS:
        _SCENARIO_RUNS[row.id] = _run_scenarios(row)
    return _SCENARIO_RUNS[row.id]


_SCENARIO_RUNS: dict[str, tuple] = {}


def _run_scenarios(row) -> tuple[np.ndarray, tuple, tuple, tuple]:
    """All scenarios at once (vmap over scenarios of a scan over steps) at fixed float32 params.

    Returns the multipliers (S, T) and the updates and states with leading axes (S, T).
    """
    tx = row.build()
    params, g = harness.tree_pair(seed=12)
    multipliers = np.asarray(list(scenarios().values()), np.float32)
    values = jnp.asarray([10.0, 9.0, 9.5, 8.0], jnp.float32)  # once up: Rprop+ backtracking, plateaus
    value_fn = lambda p: 0.5 * sum(jnp.sum(x**2) for x in jax.tree.leaves(p))

    def scenario(ms):
        def step(state, inputs):
            m, value = inputs
            grads = jax.tree.map(lambda x: m * x, g)
            updates, state = tx.update(grads, state, params, value=value, value_fn=value_fn)
            return state, (updates, state)

        return jax.lax.scan(step, tx.init(params), (ms, values))[1]

    updates, states = jax.jit(jax.vmap(scenario))(jnp.asarray(multipliers))
    return multipliers, updates, states, tx.init(params)


def where(tree, test, initial=None) -> np.ndarray:
    """(S, T) bool: some float entry of scenario s at step t satisfies ``test`` (and did not at init)."""
    initial = jax.tree.map(lambda x: jnp.zeros_like(x[0, 0]), tree) if initial is None else initial
    hits = [np.asarray(test(x) & ~test(x0)).reshape(x.shape[:2] + (-1,)).any(-1)
            for x, x0 in zip(jax.tree.leaves(tree), jax.tree.leaves(initial))
            if jnp.issubdtype(x.dtype, jnp.inexact)]
    return np.any(hits, axis=0) if hits else np.zeros((len(scenarios()), 4), bool)


def policy_table() -> dict[str, list[str]]:
    """The rows of the docs' non-finite policy table: method -> its other cells."""
    section = DOC.read_text().split("## Non-finite gradients", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \|(.*)\|\s*$", section, flags=re.M)
    return {name: [c.strip() for c in cells.split("|")] for name, cells in rows}


def overflow_limit(row) -> float:
    """The documented float32 gradient magnitude above which the state may hold inf (1e30: never)."""
    cell = policy_table().get(alias(row), ["", "never"])[1]
    return 1e30 if cell == "never" else float(cell.removeprefix("above "))


@pytest.mark.parametrize("row", one_per_method_fast(ROWS))
def test_finite_inputs_never_create_nan_or_inf(row):
    multipliers, updates, states, initial = run_scenarios(row)
    largest = 3 * np.maximum.accumulate(np.abs(multipliers), axis=1)  # the normal draws are below 3
    failures = {
        "updates not finite": where(updates, lambda x: ~jnp.isfinite(x)),
        "NaN in the state": where(states, jnp.isnan),
        "inf in the state": where(states, jnp.isinf, initial) & (largest <= overflow_limit(row)),
    }
    names = list(scenarios())
    found = [f"{what}: {names[s]} step {t}" for what, bad in failures.items() for s, t in zip(*np.nonzero(bad))]
    assert not found, found


def poisons_the_state(row) -> bool:
    """After one NaN gradient element and three finite steps, is any state entry still NaN?"""
    tx = row.build()
    params, g = harness.tree_pair(seed=13)
    step = jax.jit(lambda g, s: one_step(tx, params, g, s))
    state = tx.init(params)
    for grads in (poisoned(g, jnp.nan), g, g, g):
        _, state = step(grads, state)
    return has(state, jnp.isnan)


@pytest.mark.parametrize("row", one_per_method_fast(ROWS))
def test_the_documented_policy_table_states_what_the_optimizer_does(row):
    table = policy_table()
    assert alias(row) in table, f"add `{alias(row)}` to the table under '## Non-finite gradients' in {DOC.name}"
    poisons = table[alias(row)][0]
    assert poisons == ("yes" if poisons_the_state(row) else "no"), f"{row.id}: the table says {poisons!r}"


@pytest.mark.parametrize("method", sorted({alias(r) for r in ROWS if overflow_limit(r) < 1e30}))
def test_a_documented_state_overflow_does_happen(method):
    """Some row of the method overflows at 1e30 (else the table's limit is too pessimistic)."""
    def overflows(row) -> bool:
        multipliers, _, states, initial = run_scenarios(row)
        return bool(where(states, jnp.isinf, initial)[np.abs(multipliers).max(axis=1) >= 1e30].any())
    assert any(overflows(row) for row in ROWS if alias(row) == method)


def test_every_method_in_the_policy_table_is_in_the_registry():
    assert set(policy_table()) <= {alias(row) for row in ROWS}
