"""The fused fast path (jaxopt_lectures/fused.py): same numbers as the plain optimizers, in one pass.

The registry rows ``fused/*`` (tests/registry/fused.py) run the contract and reference tests on
``jol.fuse``; here: equality with the unfused jitted step on a mixed-dtype tree, the flat-params
workflow, donation, and the compiled HLO (one in-place loop, no whole-buffer copy).
"""

from __future__ import annotations

import re

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxopt_lectures as jol
from tests.tolerances import assert_trees_close

CHUNK = 7
OPTIMIZERS = {
    "sgd": lambda: jol.sgd(0.1),
    "momentum": lambda: jol.momentum(0.05, beta=0.8, nesterov=True),
    "adam": lambda: jol.adam(1e-2, b1=0.8, b2=0.95),
    "rmsprop": lambda: jol.rmsprop(1e-2, decay=0.8, momentum=0.5),
    "rprop": lambda: jol.rprop(0.01),
    "quickprop": lambda: jol.quickprop(0.05),
}


def mixed_tree(seed: int) -> dict:
    """Leaves of several shapes (a scalar among them) in two dtypes, 60 float32 + 6 bfloat16 numbers."""
    rng = np.random.default_rng(seed)
    f32 = lambda *s: jnp.asarray(rng.normal(size=s), jnp.float32)
    return {"w": f32(5, 11), "b": f32(4), "s": f32(), "h": jnp.asarray(rng.normal(size=(2, 3)), jnp.bfloat16)}


def plain_run(tx, params, grads_list):
    step = jax.jit(lambda p, s, g: (lambda u, s: (optax.apply_updates(p, u), s))(*tx.update(g, s, p)))
    state = tx.init(params)
    for g in grads_list:
        params, state = step(params, state, g)
    return params


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_fused_step_on_flat_params_equals_the_plain_step_on_the_tree(name):
    tx = OPTIMIZERS[name]()
    params = mixed_tree(0)
    grads_list = [mixed_tree(k) for k in range(1, 5)]
    flat, unravel = jol.ravel_by_dtype(params)
    state = jol.fuse(tx, chunk_size=CHUNK).init(flat)
    step = jax.jit(jol.fused_step(tx, chunk_size=CHUNK), donate_argnums=(0, 2))
    for g in grads_list:
        flat, state = step(flat, jol.ravel_by_dtype(g)[0], state)
    assert_trees_close(unravel(flat), plain_run(tx, params, grads_list))


@pytest.mark.parametrize("chunk_size, own_leaf_size", [(None, None), (1, None), (CHUNK, None), (10_000, None),
                                                       (None, 8), (CHUNK, 8), (None, 0)])
def test_fuse_gives_the_updates_of_the_plain_transform_for_any_chunk_size(chunk_size, own_leaf_size):
    """own_leaf_size=8: "w" (55 numbers) keeps its own state, the rest share the flat buffers; 0: all own."""
    tx, params = OPTIMIZERS["adam"](), mixed_tree(0)
    fused = jol.fuse(tx, chunk_size=chunk_size, own_leaf_size=own_leaf_size)
    s_plain, s_fused = tx.init(params), fused.init(params)
    for k in range(1, 4):
        g = mixed_tree(k)
        want, s_plain = jax.jit(tx.update)(g, s_plain, params)
        got, s_fused = jax.jit(fused.update)(g, s_fused, params)
        assert_trees_close(got, want)  # bfloat16 leaves: one ulp apart on a GPU
        chex.assert_trees_all_equal_dtypes(got, g)
    if own_leaf_size is None:
        mu = s_fused.inner["float32"][0].mu  # adam = chain(scale_by_adam, scale_by_learning_rate)
        assert mu.shape == (5 * 11 + 4 + 1,), "one flat first-moment buffer for all float32 leaves"
    elif own_leaf_size == 8:  # leaves in jax.tree.leaves order: b, h, s, w
        assert s_fused.inner["float32"][0].mu.shape == (4 + 1,) and s_fused.inner["bfloat16"][0].mu.shape == (6,)
        assert [m.shape for m in s_fused.inner["own"][0].mu] == [(5, 11)] and set(s_fused.offsets) == {
            "leaf0", "leaf1", "leaf2"}
    else:
        assert set(s_fused.inner) == {"own"} and s_fused.offsets == {}


@pytest.mark.parametrize("name", ["adam", "rprop"])
def test_fused_step_with_own_leaves_equals_the_plain_step(name):
    tx, params = OPTIMIZERS[name](), mixed_tree(0)
    grads_list = [mixed_tree(k) for k in range(1, 4)]
    state = jol.fuse(tx, own_leaf_size=8).init(params)
    step = jax.jit(jol.fused_step(tx), donate_argnums=(2,))
    got = params
    for g in grads_list:
        got, state = step(got, g, state)
    assert_trees_close(got, plain_run(tx, params, grads_list))


def test_own_leaves_are_not_copied_into_the_flat_buffer():
    """A leaf of own_leaf_size elements or more is updated in place like optax's; only the small ones are concatenated."""
    big = jol.fused.OWN_LEAF_SIZE
    params = {"big": jnp.ones(big), "b1": jnp.ones(3), "b2": jnp.ones(5)}
    tx = jol.fuse(jol.adam(1e-3))
    state = tx.init(params)
    assert state.inner["float32"][0].mu.shape == (8,) and state.inner["own"][0].mu[0].shape == (big,)
    step = lambda p, s, g: (lambda u, s: (optax.apply_updates(p, u), s))(*tx.update(g, s, p))
    hlo = jax.jit(step, donate_argnums=(0, 1)).lower(params, state, params).compile().as_text()
    assert re.search(r"= f32\[8\]\{0\} concatenate\(", hlo)
    assert not re.search(rf"f32\[{big + 8}\]", hlo) and not re.search(rf"= f32\[{big}\]\{{0\}} (copy|concatenate)\(", hlo)


def test_a_transform_without_per_parameter_state_is_not_flattened():
    """SGD has nothing to gather: fuse(sgd) keeps every leaf as it is (a flat buffer would only add copies)."""
    params = mixed_tree(0)
    tx = jol.fuse(jol.sgd(0.1))
    state = tx.init(params)
    assert state.offsets == {} and set(state.inner) == {"own"}
    hlo = jax.jit(tx.update).lower(params, state, params).compile().as_text()
    assert " concatenate(" not in hlo and " dynamic-slice(" not in hlo


def test_own_leaf_size_is_validated():
    with pytest.raises(ValueError, match=r"^own_leaf_size=-1 must be an int >= 0"):
        jol.fuse(jol.sgd(0.1), own_leaf_size=-1)
    with pytest.raises(TypeError, match=r"^own_leaf_size=2.5 must be an int"):
        jol.fuse(jol.sgd(0.1), own_leaf_size=2.5)


def test_ravel_by_dtype_groups_leaves_by_dtype_and_unravel_restores_them():
    params = mixed_tree(0)
    flat, unravel = jol.ravel_by_dtype(params)
    assert {k: (v.shape, v.dtype) for k, v in flat.items()} == {
        "bfloat16": ((6,), jnp.bfloat16), "float32": ((60,), jnp.float32)}
    chex.assert_trees_all_equal(unravel(flat), params)


def test_gradient_through_unravel_is_flat_and_training_matches_the_tree():
    """Keep params flat, unravel inside the loss: the step runs on one buffer per dtype."""
    params = {"w": jnp.linspace(-1.0, 1.0, 12).reshape(3, 4), "b": jnp.ones(4)}
    x = jnp.linspace(0.0, 1.0, 6).reshape(2, 3)
    loss = lambda p: jnp.sum(jnp.tanh(x @ p["w"] + p["b"]) ** 2)
    tx = jol.adam(0.05)
    flat, unravel = jol.ravel_by_dtype(params)
    state, step = jol.fuse(tx, chunk_size=5).init(flat), jax.jit(jol.fused_step(tx, chunk_size=5))
    tree, tree_state = params, tx.init(params)
    for _ in range(5):
        g = jax.grad(lambda f: loss(unravel(f)))(flat)
        assert set(g) == {"float32"} and g["float32"].shape == (16,)
        flat, state = step(flat, g, state)
        u, tree_state = tx.update(jax.grad(loss)(tree), tree_state, tree)
        tree = optax.apply_updates(tree, u)
    chex.assert_trees_all_close(unravel(flat), tree, rtol=1e-5, atol=1e-6)


def test_fused_state_can_be_donated_even_where_the_plain_init_shares_buffers():
    flat, _ = jol.ravel_by_dtype({"w": jnp.ones(10)})
    tx = jol.quickprop(0.05)  # its plain init may hand the same zeros to two state fields
    state = jol.fuse(tx).init(flat)
    step = jax.jit(jol.fused_step(tx), donate_argnums=(0, 2))
    flat, state = step(flat, {"float32": jnp.ones(10)}, state)
    assert bool(jnp.all(jnp.isfinite(flat["float32"])))


def _full_size_ops(hlo: str, n: int, op: str) -> int:
    return len(re.findall(rf"= f32\[{n}\]\{{0\}} {op}\(", hlo))


@pytest.mark.cpu_only
def test_adam_step_is_one_in_place_loop_without_whole_buffer_copies():
    """The compiled fused step walks the buffers once (a while loop over chunks), copying none of them."""
    n, chunk = 1 << 14, 1 << 10
    tx = jol.adam(1e-3)
    flat = {"float32": jnp.ones(n)}
    state = jol.fuse(tx, chunk_size=chunk).init(flat)
    hlo = jax.jit(jol.fused_step(tx, chunk_size=chunk), donate_argnums=(0, 2)).lower(flat, flat, state).compile().as_text()
    assert hlo.count(" while(") == 1
    assert _full_size_ops(hlo, n, "copy") == 0
    # the plain step makes one full-size loop per output (m, v, θ): the reason for the fused path
    p = {"w": jnp.ones(n)}
    plain = jax.jit(lambda p, s, g: (lambda u, s: (optax.apply_updates(p, u), s))(*tx.update(g, s, p)),
                    donate_argnums=(0, 1)).lower(p, tx.init(p), p).compile().as_text()
    assert _full_size_ops(plain, n, "fusion") >= 2


def test_chunk_size_below_one_is_named():
    with pytest.raises(ValueError, match=r"^chunk_size=0 must be "):
        jol.fuse(jol.sgd(0.1), chunk_size=0)
    with pytest.raises(ValueError, match=r"^chunk_size=-3 must be "):
        jol.fused_step(jol.sgd(0.1), chunk_size=-3)


def _fused_bodies_with(hlo: str, op: str) -> set[str]:
    """The distinct bodies of the fused computations that contain ``op``, names and metadata stripped."""
    bodies = re.findall(r"\n(%fused_computation[^\n]*\{\n.*?\n\})", hlo, flags=re.S)
    strip = lambda b: re.sub(r"%[\w.\-]+|, metadata=\{[^}]*\}", "%", b.split("\n", 1)[1])
    return {strip(b) for b in bodies if f" {op}(" in b}


def test_tree_step_splits_the_flat_updates_with_one_kernel_per_leaf_shape():
    """The leaves' start offsets are runtime values (FusedState.offsets), so the 16 same-shape leaves share one
    split kernel; static slices would make 16 kernels, each compiled by LLVM (the old 56 s on 1024 leaves)."""
    params = {f"p{i:02d}": jnp.ones((8, 3)) for i in range(16)} | {"b": jnp.ones(5)}
    tx = jol.fuse(jol.adam(1e-3))
    step = lambda p, s, g: (lambda u, s: (optax.apply_updates(p, u), s))(*tx.update(g, s, p))
    hlo = jax.jit(step, donate_argnums=(0, 1)).lower(params, tx.init(params), params).compile().as_text()
    assert " slice(" not in hlo
    assert len(_fused_bodies_with(hlo, "dynamic-slice")) == 2  # one per leaf shape: (8, 3) and (5,)


@pytest.mark.slow
def test_fuse_is_a_drop_in_in_optax_chain_flax_nnx_and_equinox():
    """Same params after three steps as the plain transform, used the way each library is used."""
    nnx, eqx = pytest.importorskip("flax.nnx"), pytest.importorskip("equinox")
    x = jnp.linspace(-1.0, 1.0, 12).reshape(4, 3)

    def nnx_run(make):
        model = nnx.Linear(3, 2, rngs=nnx.Rngs(0))
        opt = nnx.Optimizer(model, make(), wrt=nnx.Param)
        for _ in range(3):
            opt.update(model, nnx.grad(lambda m: jnp.sum(jnp.tanh(m(x)) ** 2))(model))
        return nnx.state(model, nnx.Param)

    def eqx_run(make):
        model = eqx.nn.MLP(3, 2, 4, 1, key=jax.random.key(0))
        tx = make()
        state = tx.init(eqx.filter(model, eqx.is_array))
        for _ in range(3):
            g = eqx.filter_grad(lambda m: jnp.sum(jax.vmap(m)(x) ** 2))(model)
            u, state = tx.update(g, state, eqx.filter(model, eqx.is_array))
            model = eqx.apply_updates(model, u)
        return eqx.filter(model, eqx.is_array)

    def chain_run(make):
        params = mixed_tree(0)
        return plain_run(optax.chain(optax.scale_by_trust_ratio(), make()), params, [mixed_tree(k) for k in (1, 2, 3)])

    for run in (nnx_run, eqx_run, chain_run):
        for inner in (lambda: jol.adam(1e-2), lambda: jol.momentum(0.05, beta=0.9)):
            for own in (None, 4):  # every leaf in the flat buffer; the leaves of 4+ numbers with their own state
                fused = lambda: jol.fuse(inner(), own_leaf_size=own)
                chex.assert_trees_all_close(run(fused), run(inner), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("make, named", [
    (lambda: optax.clip_by_global_norm(1.0), r"^fuse\(clip_by_global_norm\): .* \(reduce_sum at .*"),
    (lambda: optax.chain(optax.clip_by_global_norm(1.0), jol.adam(0.1)), r"^fuse\(chain\): .* \(reduce_sum at .*"),
    (lambda: jol.lbfgs(), r"^fuse\(\w+\): .* \(dot_general at .*lbfgs.py.*scale_by_lbfgs"),
], ids=["clip_by_global_norm", "chain", "lbfgs"])
def test_fuse_of_a_transform_that_mixes_coordinates_raises_naming_it(make, named):
    """Named by its factory and by the equation that mixes coordinates (a global norm, a dot product)."""
    params = mixed_tree(0)
    tx = jol.fuse(make())
    with pytest.raises(ValueError, match=named):
        value_fn = lambda p: sum(jnp.sum(x.astype(jnp.float32) ** 2) for x in jax.tree.leaves(p))
        tx.update(mixed_tree(1), tx.init(params), params, value=value_fn(params), value_fn=value_fn)


def test_fuse_of_a_masked_transform_raises():
    with pytest.raises(ValueError, match=r"^fuse\(adamw\): the wrapped transform is masked"):
        jol.fuse(jol.adamw(0.1, mask={"w": True, "b": False})).init({"w": jnp.ones(3), "b": jnp.ones(2)})
