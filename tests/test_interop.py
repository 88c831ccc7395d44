"""The training stacks: docs/interop.md runs as written; flax, equinox and optax combinators per row."""

from __future__ import annotations

import re
from pathlib import Path

import chex
import jax
import jax.numpy as jnp
import optax
import pytest

from jaxopt_lectures.interop import apply_gradients
from tests import harness
from tests.registry import ROWS
from tests.rows import one_per_method_fast
from tests.harness import extra_args, one_step, run_steps

DOC = Path(__file__).resolve().parents[1] / "docs" / "interop.md"
BLOCKS = re.findall(r"^```python\n(.*?)^```", DOC.read_text(), flags=re.M | re.S)


def test_the_docs_page_has_code_and_the_readme_links_it():
    assert len(BLOCKS) >= 9
    assert "docs/interop.md" in (DOC.parents[1] / "README.md").read_text()


def test_docs_code_blocks_run_in_order():
    """Blocks run in order in one namespace, like a reader pasting them into one session.

    One test, not one per block: pytest-xdist may send parametrized tests to different workers.
    A failure's traceback names the block (``interop.md[block k]``).
    """
    namespace = {"__name__": "docs_interop"}
    for k, block in enumerate(BLOCKS):
        exec(compile(block, f"{DOC.name}[block {k}]", "exec"), namespace)


def recorder() -> optax.GradientTransformationExtraArgs:
    """A transform whose state is the last ``value=`` it was given (NaN before any)."""
    def update(updates, state, params=None, *, value=jnp.nan, **extra):
        return updates, jnp.asarray(value, jnp.float32)
    return optax.GradientTransformationExtraArgs(lambda params: jnp.float32(jnp.nan), update)


def test_train_state_apply_gradients_does_not_forward_value_but_the_helper_does():
    from flax.training.train_state import TrainState

    state = TrainState.create(apply_fn=None, params=jnp.ones(2), tx=optax.chain(recorder(), optax.sgd(0.1)))
    with pytest.raises(TypeError):  # flax treats value= as a dataclass field to replace
        state.apply_gradients(grads=jnp.ones(2), value=jnp.float32(3.0))
    new = apply_gradients(state, jnp.ones(2), value=jnp.float32(3.0))
    assert float(new.opt_state[0]) == 3.0 and int(new.step) == 1
    chex.assert_trees_all_close(new.params, jnp.full(2, 0.9))


def gradient_pair(seed: int) -> tuple[dict, list[dict]]:
    params, g1 = harness.tree_pair(seed=seed)
    _, g2 = harness.tree_pair(seed=seed + 1)
    return params, [g1, g2]


@pytest.mark.parametrize("row", one_per_method_fast(ROWS))
def test_train_state_helper_equals_the_plain_loop(row):
    from flax.training.train_state import TrainState

    params, grads = gradient_pair(20)
    state = TrainState.create(apply_fn=None, params=params, tx=row.build())
    for g in grads:
        state = apply_gradients(state, g, **extra_args(state.params))
    _, want = run_steps(row.build(), params, grads)
    chex.assert_trees_all_close(state.params, want, rtol=1e-6, atol=1e-7)


def tree_free(rows) -> list:
    """Rows whose hyperparameters are not pytrees tied to the harness's leaves (e.g. a mask dict)."""
    return [r for r in rows if not any(isinstance(v, (dict, list, tuple)) for v in r.kwargs.values())]


def local_objective(rows) -> list:
    """Rows that do not line-search ``value_fn`` (the objective of the whole model, not of one group)."""
    return [r for r in tree_free(rows) if "value_fn" not in r.needs]


@pytest.mark.parametrize("row", one_per_method_fast(local_objective(ROWS)))
def test_multi_transform_gives_each_group_its_own_optimizer(row):
    """The row's optimizer on leaves "a" and "b", momentum on "c": each as if run alone."""
    params, grads = gradient_pair(21)
    labels = {"a": "row", "b": "row", "c": "other"}
    other = optax.sgd(0.1, momentum=0.5)
    tx = optax.multi_transform({"row": row.build(), "other": other}, labels)
    got, _ = run_steps(tx, params, grads)
    part = lambda t: {k: t[k] for k in ("a", "b")}
    alone, _ = run_steps(row.build(), part(params), [part(g) for g in grads])
    chex.assert_trees_all_close([part(u) for u in got], alone, rtol=1e-6, atol=1e-7)
    plain, _ = run_steps(other, params["c"], [g["c"] for g in grads])
    chex.assert_trees_all_close([u["c"] for u in got], plain, rtol=1e-6)


@pytest.mark.parametrize("row", one_per_method_fast(tree_free(ROWS)))
def test_equinox_filtered_model_steps_like_its_array_leaves(row):
    """On eqx.filter(model, eqx.is_array) (None for the activation) the steps are those of the arrays."""
    import equinox as eqx

    model = eqx.nn.MLP(2, 1, width_size=3, depth=1, key=jax.random.key(0))
    params = eqx.filter(model, eqx.is_array)
    tx = row.build()
    state = tx.init(params)
    g = jax.tree.map(lambda p: jnp.cos(3 * p), params)
    updates, state = one_step(tx, params, g, state)
    updates, state = one_step(tx, eqx.apply_updates(params, updates), g, state)
    leaves = jax.tree.leaves(params)
    want, _ = run_steps(tx, leaves, [jax.tree.leaves(g)] * 2)
    chex.assert_trees_all_close(jax.tree.leaves(updates), want[1], rtol=1e-6, atol=1e-7)


def test_nnx_optimizer_updates_only_the_variables_wrt_selects():
    from flax import nnx

    class Scaled(nnx.Module):
        def __init__(self):
            self.w = nnx.Param(jnp.ones(2))
            self.scale = nnx.Variable(jnp.full(2, 2.0))  # not a Param: not optimized

    model = Scaled()
    optimizer = nnx.Optimizer(model, optax.chain(recorder(), optax.sgd(0.5)), wrt=nnx.Param)
    grads = nnx.grad(lambda m: jnp.sum(m.w * m.scale))(model)  # w.r.t. the nnx.Param variables
    optimizer.update(model, grads, value=jnp.float32(7.0))
    chex.assert_trees_all_close(model.w[...], jnp.zeros(2))  # 1 − 0.5·2
    chex.assert_trees_all_close(model.scale[...], jnp.full(2, 2.0))
    assert float(jax.tree.leaves(nnx.state(optimizer.opt_state))[0]) == 7.0  # value= reached tx.update
