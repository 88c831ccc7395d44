"""orbax-checkpoint save/restore of the optimizer state of every registry row, then resume.

All rows' states go into one checkpoint (one save, one restore: cheap for a long registry); each
row is its own test. The restore target is ``jax.eval_shape(tx.init, params)``, and resuming from
the restored state must be bit-identical to the uninterrupted run.
"""

from __future__ import annotations

import chex
import jax
import jax.numpy as jnp
import optax
import pytest

from tests import harness
from tests.registry import ROWS
from tests.harness import one_step

ocp = pytest.importorskip("orbax.checkpoint", reason="install the interop extra: pip install -e '.[interop]'")
BEFORE, AFTER = 3, 3  # steps before the checkpoint and after the restore


def gradients(k: int) -> dict:
    return harness.tree_pair(seed=30 + k)[1]


def stepper(row):
    tx = row.build()

    @jax.jit
    def step(params, state, grads):
        updates, state = one_step(tx, params, grads, state)
        return optax.apply_updates(params, updates), state

    return tx, step


def run(row, params, state, step, ks) -> tuple:
    for k in ks:
        params, state = step(params, state, gradients(k))
    return params, state


@pytest.fixture(scope="module")
def restored(tmp_path_factory) -> dict:
    """{row id: (params, state) after BEFORE steps, restored from disk against the abstract target}."""
    params0 = harness.tree_pair(seed=29)[0]
    saved, target = {}, {}
    for row in ROWS:
        tx, step = stepper(row)
        saved[row.id] = run(row, params0, tx.init(params0), step, range(BEFORE))
        target[row.id] = (jax.eval_shape(lambda: params0), jax.eval_shape(tx.init, params0))
    path = tmp_path_factory.mktemp("orbax") / "states"
    checkpointer = ocp.StandardCheckpointer()
    checkpointer.save(path, saved)
    checkpointer.wait_until_finished()
    return {"saved": saved, "restored": checkpointer.restore(path, target), "params0": params0}


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.id)
def test_restored_state_resumes_bit_identically(restored, row):
    saved, back = restored["saved"][row.id], restored["restored"][row.id]
    chex.assert_trees_all_equal_structs(back, saved)
    chex.assert_trees_all_equal_shapes_and_dtypes(back, saved)
    chex.assert_trees_all_equal(back, saved)
    tx, step = stepper(row)
    uninterrupted = run(row, restored["params0"], tx.init(restored["params0"]), step, range(BEFORE + AFTER))
    resumed = run(row, *back, step, range(BEFORE, BEFORE + AFTER))
    chex.assert_trees_all_equal(resumed, uninterrupted)
    assert any(jnp.any(a != b) for a, b in zip(jax.tree.leaves(resumed[0]), jax.tree.leaves(saved[0])))
