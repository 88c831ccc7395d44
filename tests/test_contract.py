"""Generic contract tests (docs/spec/api.md conventions), run over every row of the registry.

A new optimizer gets all of these by adding one row to tests/registry/; never a test here.
"""

from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import numpy as np
import optax
import chex
import pytest

import jaxopt_lectures as jol
from tests import harness
from tests.registry import ROWS

by_id = dict(ids=lambda row: row.id)
DTYPES = [jnp.float32, jnp.bfloat16, jnp.float64]


def extra_args(row, params):
    """The update kwargs the driver passes: value (a loss), grad, value_fn (sum of squares)."""
    value_fn = lambda p: sum(jnp.sum(jnp.asarray(x, jnp.float32) ** 2) for x in jax.tree.leaves(p))
    return {"value": value_fn(params), "value_fn": value_fn}


def one_step(tx, row, params, grads, state):
    return tx.update(grads, state, params, **extra_args(row, params))


@pytest.mark.parametrize("row", ROWS, **by_id)
def test_is_an_optax_gradient_transformation_with_extra_args(row):
    assert isinstance(row.build(), optax.GradientTransformationExtraArgs)


@pytest.mark.parametrize("row", ROWS, **by_id)
def test_jit_compiles_once_over_several_steps(row):
    tx, traces = row.build(), []
    params, grads = harness.tree_pair(seed=1)

    @jax.jit
    def step(grads, state, params):
        traces.append(1)  # runs at trace time only
        updates, state = one_step(tx, row, params, grads, state)
        return optax.apply_updates(params, updates), state

    state = tx.init(params)
    for k in range(4):
        params, state = step(jax.tree.map(lambda g: g * (k + 1), grads), state, params)
    assert len(traces) == 1


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: jnp.dtype(d).name)
@pytest.mark.parametrize("row", ROWS, **by_id)
def test_state_and_update_dtypes_are_stable_under_jit(row, dtype):
    with jax.enable_x64(dtype == jnp.float64):
        tx = row.build()
        params, grads = harness.tree_pair(seed=0, dtype=dtype)
        step = jax.jit(lambda g, s, p: one_step(tx, row, p, g, s))
        s0 = tx.init(params)
        updates, s1 = step(grads, s0, params)
        updates, s2 = step(grads, s1, optax.apply_updates(params, updates))
        chex.assert_trees_all_equal_structs(s0, s1, s2)
        chex.assert_trees_all_equal_dtypes(s0, s1, s2)
        chex.assert_trees_all_equal_shapes(s0, s1, s2)
        chex.assert_trees_all_equal_dtypes(updates, grads)
        chex.assert_trees_all_equal_shapes(updates, grads)
        assert all(bool(jnp.all(jnp.isfinite(u))) for u in jax.tree.leaves(updates))


@pytest.mark.parametrize("row", ROWS, **by_id)
def test_update_is_safe_under_lax_cond(row):
    tx = row.build()
    params, grads = harness.tree_pair(seed=2)
    state = tx.init(params)

    @jax.jit
    def maybe_step(pred, grads, state):
        skip = lambda: (jax.tree.map(jnp.zeros_like, grads), state)
        return jax.lax.cond(pred, lambda: one_step(tx, row, params, grads, state), skip)

    taken, _ = maybe_step(True, grads, state)
    direct, _ = one_step(tx, row, params, grads, state)
    chex.assert_trees_all_close(taken, direct, rtol=1e-6)
    skipped, same_state = maybe_step(False, grads, state)
    chex.assert_trees_all_equal(same_state, state)


@pytest.mark.parametrize("row", ROWS, **by_id)
def test_init_from_shape_dtype_structs(row):
    tx = row.build()
    params, _ = harness.tree_pair()
    abstract = jax.tree.map(lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype), params)
    from_shapes = jax.eval_shape(tx.init, abstract)
    concrete = tx.init(params)
    chex.assert_trees_all_equal_structs(from_shapes, concrete)
    chex.assert_trees_all_equal_shapes_and_dtypes(from_shapes, concrete)
    direct = tx.init(abstract)  # also directly, without eval_shape
    chex.assert_trees_all_equal_shapes_and_dtypes(direct, concrete)


@pytest.mark.parametrize("row", ROWS, **by_id)
def test_in_chain_after_clip_by_global_norm_equals_clipping_first(row):
    params, grads = harness.tree_pair(seed=3)
    grads = jax.tree.map(lambda g: 10 * g, grads)
    chained = optax.chain(optax.clip_by_global_norm(1.0), row.build())
    clipped, _ = optax.clip_by_global_norm(1.0).update(grads, optax.EmptyState())
    tx = row.build()
    got, _ = one_step(chained, row, params, grads, chained.init(params))
    want, _ = one_step(tx, row, params, clipped, tx.init(params))
    chex.assert_trees_all_close(got, want, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("row", ROWS, **by_id)
def test_unknown_extra_kwargs_are_accepted(row):
    tx = row.build()
    params, grads = harness.tree_pair(seed=4)
    plain, _ = one_step(tx, row, params, grads, tx.init(params))
    extra = extra_args(row, params) | {"grad": grads, "not_an_argument": "ignored", "key": jax.random.key(0)}
    got, _ = tx.update(grads, tx.init(params), params, **extra)
    chex.assert_trees_all_close(got, plain)


@pytest.mark.parametrize("row", [r for r in ROWS if r.needs], **by_id)
def test_missing_required_extra_arg_is_named(row):
    tx = row.build()
    params, grads = harness.tree_pair()
    for name in row.needs:
        kwargs = {k: v for k, v in extra_args(row, params).items() if k != name}
        with pytest.raises((TypeError, ValueError), match=name):
            tx.update(grads, tx.init(params), params, **kwargs)


def run_steps(tx, row, params, grads_list):
    """The updates of plain steps (each at the moved params) and the final params."""
    state, out = tx.init(params), []
    for g in grads_list:
        u, state = one_step(tx, row, params, g, state)
        params = optax.apply_updates(params, u)
        out.append(u)
    return out, params


@pytest.mark.parametrize("row", [r for r in ROWS if r.rate_arg], **by_id)
def test_inject_hyperparams_can_change_the_learning_rate(row):
    """Injected rate r for 3 steps then 2r equals the plain optimizer under that piecewise schedule."""
    r = row.kwargs[row.rate_arg]
    r0 = r if not callable(r) else r(0)
    static = tuple(k for k, v in row.kwargs.items() if isinstance(v, (str, bool)) or v is None)
    injected = optax.inject_hyperparams(row.make, static_args=static)(**{**row.kwargs, row.rate_arg: r0})
    piecewise = row.build(**{row.rate_arg: lambda c: jnp.where(c < 3, r0, 2 * r0)})
    params, grads = harness.tree_pair(seed=5)
    grads_list = [jax.tree.map(lambda g: g * (1 + 0.3 * k), grads) for k in range(5)]
    state, got = injected.init(params), []
    p = params
    for k, g in enumerate(grads_list):
        if k == 3:
            state.hyperparams[row.rate_arg] = 2 * jnp.asarray(r0, jnp.float32)
        u, state = one_step(injected, row, p, g, state)
        p = optax.apply_updates(p, u)
        got.append(u)
    want, _ = run_steps(piecewise, row, params, grads_list)
    chex.assert_trees_all_close(got, want, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("row", [r for r in ROWS if r.rate_arg], **by_id)
def test_vmap_over_learning_rates_equals_a_loop(row):
    rates = jnp.asarray([0.5, 1.0, 1.5, 2.0]) * (row.kwargs[row.rate_arg] if not callable(row.kwargs[row.rate_arg]) else 0.05)
    params, grads = harness.tree_pair(seed=6)
    grads_list = [jax.tree.map(lambda g: g * (1 - 0.4 * k), grads) for k in range(3)]

    def run(lr):
        return run_steps(row.build(**{row.rate_arg: lr}), row, params, grads_list)[0][-1]

    batched = jax.vmap(run)(rates)
    for i, lr in enumerate(rates):
        chex.assert_trees_all_close(jax.tree.map(lambda x: x[i], batched), run(float(lr)), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("row", ROWS, **by_id)
def test_multi_steps_accumulates_like_one_big_batch_step(row):
    """optax.MultiSteps(tx, 2) on gradients g1, g2 equals tx on (g1 + g2)/2."""
    params, g1 = harness.tree_pair(seed=7)
    _, g2 = harness.tree_pair(seed=8)
    multi = optax.MultiSteps(row.build(), every_k_schedule=2)
    state = multi.init(params)
    skipped, state = one_step(multi, row, params, g1, state)
    assert all(not jnp.any(u) for u in jax.tree.leaves(skipped))
    got, _ = one_step(multi, row, params, g2, state)
    tx = row.build()
    mean = jax.tree.map(lambda a, b: (a + b) / 2, g1, g2)
    want, _ = one_step(tx, row, params, mean, tx.init(params))
    chex.assert_trees_all_close(got, want, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("row", ROWS, **by_id)
def test_converges_on_an_ill_conditioned_quadratic(row):
    f, x0 = harness.quadratic_2d(kappa=50.0)
    tx = row.build(**(row.solve or {}))
    x, trace = jol.minimize(f, x0, tx, row.solve_steps)
    assert float(trace.loss[-1]) <= 1e-6 * float(trace.loss[0]), f"f: {float(trace.loss[0])} -> {float(trace.loss[-1])}"


@pytest.mark.parametrize("row, bad, arg", [(r, b, a) for r in ROWS for b, a in r.invalid],
                         ids=lambda x: x.id if hasattr(x, "id") else None)
def test_invalid_hyperparameter_raises_value_error_naming_it(row, bad, arg):
    value = bad[arg]
    with pytest.raises(ValueError, match=rf"^{re.escape(arg)}={re.escape(repr(value))} must be ") as info:
        row.build(**bad)
    assert "must be" in str(info.value)
