"""Coupled L2 (``add_l2``) versus decoupled weight decay (``decoupled_weight_decay``, ``adamw``); docs/spec/adamw.md,
docs/spec/regularization.md.

(The proximal step has its own tests in test_proximal.py.)
"""

from __future__ import annotations

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxopt_lectures as jol
from tests import harness
from tests.reference import adaptive as ref

STREAM = harness.gradient_stream(steps=100, seed=5)
LAM, ETA = 0.1, 0.02
MASK_TREE = {"a": True, "b": False, "c": True}
MASK_FN = lambda params: {k: k != "b" for k in params}  # the same mask as a callable
ADAM_TOL = 3e-5  # docs/spec/conventions.md#reference-check-protocol


def _updates(tx, dtype=jnp.float32):
    return harness.run_updates(tx, *STREAM, dtype=dtype)


def _assert_matches(ours, expected, rtol):
    np.testing.assert_allclose(ours, expected, rtol=rtol, atol=rtol * np.abs(expected).max())


def _vector(params):
    return jnp.concatenate([params[k].reshape(-1) for k in harness.SHAPES])


def _trajectory(tx, grad_fn, steps=100):
    """Params after each step of ``tx`` on ``grad_fn`` from the test pytree (float32)."""
    params = harness.tree_of(STREAM[2])

    def step(carry, _):
        params, state = carry
        updates, state = tx.update(grad_fn(params), state, params)
        params = optax.apply_updates(params, updates)
        return (params, state), _vector(params)

    return np.asarray(jax.lax.scan(step, (params, tx.init(params)), None, length=steps)[1], np.float64)


def _loss(params):  # a smooth non-quadratic loss on the test pytree
    x = _vector(params)
    return jnp.sum(jnp.log(jnp.cosh(x - 0.5))) + 0.1 * jnp.sum(x[:-1] * x[1:])


def _l2(params):
    return sum(jnp.sum(p**2) for p in jax.tree.leaves(params))


@pytest.mark.parametrize("mask", [None, MASK_TREE, MASK_FN], ids=["no-mask", "tree", "callable"])
def test_add_l2_equals_optax_add_decayed_weights(mask):
    ours = _updates(optax.chain(jol.add_l2(LAM, mask=mask), jol.sgd(ETA)))
    theirs = _updates(optax.chain(optax.add_decayed_weights(LAM, mask), optax.sgd(ETA)))
    np.testing.assert_array_equal(ours, theirs)


def test_adam_after_add_l2_is_adam_on_the_loss_plus_half_lambda_norm_squared():
    coupled = _trajectory(optax.chain(jol.add_l2(LAM), jol.adam(ETA)), jax.grad(_loss))
    in_loss = _trajectory(jol.adam(ETA), jax.grad(lambda p: _loss(p) + LAM / 2 * _l2(p)))
    np.testing.assert_allclose(coupled, in_loss, rtol=1e-5, atol=1e-5)


def test_adam_after_add_l2_equals_torch_adam_with_weight_decay_in_float64():
    with jax.enable_x64(True):
        ours = _updates(optax.chain(jol.add_l2(LAM), jol.adam(ETA)), dtype=jnp.float64)
    torch = ref.torch_updates("Adam", STREAM[0], STREAM[2], lr=ETA, weight_decay=LAM)
    _assert_matches(ours, torch, rtol=1e-11)


def test_coupled_l2_and_adamw_differ_for_adam():
    """The decay's effect on the trajectory differs by more than itself (docs/spec/adamw.md measured 180%)."""
    plain = _trajectory(jol.adam(ETA), jax.grad(_loss))
    coupled = _trajectory(optax.chain(jol.add_l2(LAM), jol.adam(ETA)), jax.grad(_loss))
    decoupled = _trajectory(jol.adamw(ETA, weight_decay=LAM), jax.grad(_loss))
    assert np.abs(coupled - decoupled).max() > np.abs(decoupled - plain).max() > 1e-2


def test_coupled_l2_and_decoupled_decay_coincide_for_sgd():
    coupled = _updates(optax.chain(jol.add_l2(LAM), jol.sgd(ETA)))
    decoupled = _updates(optax.chain(jol.sgd(ETA), jol.decoupled_weight_decay(ETA * LAM)))
    _assert_matches(coupled, decoupled, rtol=1e-6)


@pytest.mark.parametrize("mask", [None, MASK_TREE, MASK_FN], ids=["no-mask", "tree", "callable"])
def test_adamw_is_adam_then_decoupled_weight_decay_of_eta_times_lambda(mask):
    adamw = _updates(jol.adamw(ETA, weight_decay=LAM, mask=mask))
    chained = _updates(optax.chain(jol.adam(ETA), jol.decoupled_weight_decay(ETA * LAM, mask=mask)))
    _assert_matches(adamw, chained, rtol=1e-5)


def test_decoupled_weight_decay_takes_a_schedule():
    schedule = lambda c: 0.1 / (1.0 + c)
    tx, theta = jol.decoupled_weight_decay(schedule), jnp.array([2.0, -4.0])
    state = tx.init(theta)
    for t in range(3):
        u, state = tx.update(jnp.zeros(2), state, theta)
        np.testing.assert_allclose(u, -schedule(t) * theta, rtol=1e-6)


@pytest.mark.parametrize("make", [
    lambda mask: jol.add_l2(LAM, mask=mask),
    lambda mask: jol.decoupled_weight_decay(LAM, mask=mask),
    lambda mask: jol.adamw(ETA, weight_decay=LAM, mask=mask),
], ids=["add_l2", "decoupled_weight_decay", "adamw"])
@pytest.mark.parametrize("mask", [MASK_TREE, MASK_FN], ids=["tree", "callable"])
def test_masked_out_leaves_get_no_decay(make, mask):
    params, grads = harness.tree_pair(seed=9)
    step = lambda tx: tx.update(grads, tx.init(params), params)[0]
    masked, full, none = step(make(mask)), step(make(None)), step(make({k: False for k in params}))
    for k, selected in MASK_TREE.items():
        np.testing.assert_array_equal(masked[k], full[k] if selected else none[k])
        assert selected or not np.array_equal(full[k], none[k])  # the decay changes an unmasked leaf


def test_penalty_lambda_sum_of_squares_in_the_loss_is_add_l2_of_two_lambda():
    """[002] writes R(W) = ΣW² (no ½): adding λR to the loss is add_l2(2λ) (module docstring)."""
    in_loss = _trajectory(jol.sgd(ETA), jax.grad(lambda p: _loss(p) + LAM * _l2(p)))
    coupled = _trajectory(optax.chain(jol.add_l2(2 * LAM), jol.sgd(ETA)), jax.grad(_loss))
    np.testing.assert_allclose(coupled, in_loss, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("make, arg", [(jol.add_l2, "weight"), (jol.decoupled_weight_decay, "rate")])
def test_negative_weight_raises_value_error_naming_it_but_traced_values_pass(make, arg):
    with pytest.raises(ValueError, match=rf"^{arg}=-0.1 must be "):
        make(-0.1)
    theta = jnp.array([1.0, 2.0])
    u = jax.jit(lambda w: make(w).update(jnp.zeros(2), make(w).init(theta), theta)[0])(jnp.asarray(-0.1))
    assert np.all(np.isfinite(u))


@pytest.mark.parametrize("make", [
    lambda: jol.add_l2(LAM), lambda: jol.decoupled_weight_decay(LAM, mask=MASK_TREE),
    lambda: jol.adamw(ETA, weight_decay=LAM), lambda: jol.scale_by_adamw(weight_decay=LAM),
    lambda: jol.proximal(ETA, l1=LAM, l2=LAM),
], ids=["add_l2", "decoupled_weight_decay", "adamw", "scale_by_adamw", "proximal"])
def test_updates_keep_the_gradient_dtype_with_float32_params(make):
    """docs/spec/api.md: updates have the dtype of the incoming gradients, also when the decay term λθ is float32."""
    params, grads = harness.tree_pair(seed=3)
    grads = jax.tree.map(lambda g: g.astype(jnp.bfloat16), grads)
    tx = make()
    updates, state = jax.jit(tx.update)(grads, tx.init(params), params)
    chex.assert_trees_all_equal_dtypes(updates, grads)
    chex.assert_trees_all_equal_dtypes(state, tx.init(params))
