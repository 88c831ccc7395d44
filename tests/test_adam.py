"""Facts about Adam, "almost Adam", AMSGrad/Nadam and AdamW that the lectures and docs/spec/adam.md,
docs/spec/adamw.md state.

Registry rows (tests/registry/adaptive.py) compare every variant with optax or a NumPy loop;
here: torch.optim float64 references, the seed mappings, first-step facts and traced hyperparameters.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxopt_lectures as jol
from tests import harness
from tests.reference import adaptive as ref

STREAM = harness.gradient_stream(steps=100, seed=4)
ADAM_TOL = 3e-5  # docs/spec/conventions.md#reference-check-protocol


def _updates(tx, dtype=jnp.float32):
    return harness.run_updates(tx, *STREAM, dtype=dtype)


def _first_update(tx, g):
    g = jnp.asarray(g, jnp.float32)
    return np.asarray(tx.update(g, tx.init(jnp.zeros_like(g)), jnp.zeros_like(g))[0], np.float64)


def _assert_matches(ours, expected, rtol):
    np.testing.assert_allclose(ours, expected, rtol=rtol, atol=rtol * np.abs(expected).max())


def test_first_update_of_bias_corrected_adam_is_a_full_step_of_eta():
    np.testing.assert_allclose(_first_update(jol.adam(1e-3), [0.5, -20.0, 3e-3]), [-1e-3, 1e-3, -1e-3], rtol=1e-4)


def test_first_update_of_almost_adam_is_about_3_162_eta():
    """[002] "what happens at the first timestep": η(1−β₁)g/(√(1−β₂)|g| + ε) ≈ 3.162η."""
    u = _first_update(jol.adam(1e-3, bias_correction=False), [0.5, -20.0, 3e-2])
    np.testing.assert_allclose(np.abs(u), 1e-3 * 0.1 / np.sqrt(1e-3), rtol=1e-4)
    assert abs(u[0]) / 1e-3 == pytest.approx(3.162, abs=1e-3)


def test_bias_corrected_moments_of_a_constant_gradient_are_exact_from_the_first_step():
    """[000]: the weights of m_t sum to 1 − β₁ᵗ; dividing by it gives m̂ = g, v̂ = g² for constant g."""
    g, eps = jnp.array([0.7, -2.0]), 0.0
    tx, state = jol.scale_by_adam(b1=0.8, b2=0.95, eps=eps), None
    state = tx.init(g)
    for _ in range(30):
        d, state = tx.update(g, state)
        np.testing.assert_allclose(d, jnp.sign(g), rtol=2e-5)


def test_eps_root_is_added_to_the_corrected_second_moment():
    """Δ = −η m̂/(√(v̂ + ε_root) + ε): first step with g = 1, ε_root = 1, ε = 0 is −η/√2."""
    u = _first_update(jol.adam(1.0, eps=0.0, eps_root=1.0), [1.0])
    np.testing.assert_allclose(u, [-(2**-0.5)], rtol=ADAM_TOL)  # added to the uncorrected v: −1/√1001


SEED_LOOPS = {  # docs/spec/adam.md seed mapping: (seed, ε, ε inside the root, bias-corrected) -> our kwargs
    "000": ((1e-8, True, True), {"eps": 0.0, "eps_root": 1e-8}),
    "001": ((1e-7, False, False), {"eps": 1e-7, "bias_correction": False}),
    "002-almost": ((1e-7, False, False), {"eps": 1e-7, "bias_correction": False}),
    "002-full": ((1e-7, False, True), {"eps": 1e-7}),
    "003": ((1e-6, True, False), {"eps": 0.0, "eps_root": 1e-6, "bias_correction": False}),
}


@pytest.mark.parametrize("seed", SEED_LOOPS)
def test_each_seed_adam_is_one_configuration(seed):
    (eps, inside, corrected), kwargs = SEED_LOOPS[seed]
    expected = ref.seed_adam(STREAM[0], learning_rate=1e-3, eps=eps, eps_inside=inside, corrected=corrected)
    _assert_matches(_updates(jol.adam(1e-3, **kwargs)), expected, rtol=ADAM_TOL)


def test_almost_adam_is_optax_adam_under_a_rescaled_rate_when_eps_is_zero():
    """docs/spec/adam.md: almost-Adam(η) = optax.adam(η(1−β₁ᵗ)/√(1−β₂ᵗ), eps=0); not for ε > 0."""
    eta, b1, b2 = 1e-3, 0.9, 0.999
    rescaled = lambda c: eta * (1 - b1 ** (c + 1)) / jnp.sqrt(1 - b2 ** (c + 1))
    almost = _updates(jol.adam(eta, eps=0.0, bias_correction=False))
    _assert_matches(almost, _updates(optax.adam(rescaled, eps=0.0)), rtol=ADAM_TOL)
    with_eps = _updates(jol.adam(eta, eps=1e-2, bias_correction=False))
    assert np.abs(with_eps - _updates(optax.adam(rescaled, eps=1e-2))).max() > 1e-2 * np.abs(with_eps).max()


def _torch_check(ours_tx, optimizer, **options):
    with jax.enable_x64(True):
        ours = _updates(ours_tx, dtype=jnp.float64)
    _assert_matches(ours, ref.torch_updates(optimizer, STREAM[0], STREAM[2], **options), rtol=1e-11)


def test_adam_matches_torch_adam_in_float64():
    _torch_check(jol.adam(0.02, b1=0.8, b2=0.99, eps=1e-6), "Adam", lr=0.02, betas=(0.8, 0.99), eps=1e-6)


def test_adamw_matches_torch_adamw_in_float64():
    _torch_check(jol.adamw(0.02, b1=0.8, b2=0.99, eps=1e-6, weight_decay=0.1), "AdamW",
                 lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)


def test_amsgrad_keeps_the_max_of_the_corrected_estimate_unlike_torch():
    """optax.amsgrad (and ours) max the corrected v̂; torch maxes v and corrects after: they differ."""
    with jax.enable_x64(True):
        ours = _updates(jol.adam(0.02, b2=0.99, amsgrad=True), dtype=jnp.float64)
    torch = ref.torch_updates("Adam", STREAM[0], STREAM[2], lr=0.02, betas=(0.9, 0.99), amsgrad=True)
    assert np.abs(ours - torch).max() > 1e-3 * np.abs(torch).max()
    _assert_matches(_updates(jol.adam(0.02, b2=0.99, amsgrad=True)),
                    _updates(optax.amsgrad(0.02, b2=0.99)), rtol=ADAM_TOL)


def test_adamw_mask_callable_equals_mask_tree_and_optax():
    tree = {"a": True, "b": False, "c": True}
    as_tree = _updates(jol.adamw(0.02, weight_decay=0.1, mask=tree))
    as_callable = _updates(jol.adamw(0.02, weight_decay=0.1, mask=lambda p: {k: k != "b" for k in p}))
    np.testing.assert_array_equal(as_tree, as_callable)
    _assert_matches(as_callable, _updates(optax.adamw(0.02, weight_decay=0.1, mask=lambda p: tree)), rtol=ADAM_TOL)
    assert np.abs(as_tree - _updates(jol.adamw(0.02, weight_decay=0.1))).max() > 0  # the mask matters


def test_vmap_of_adam_over_8_learning_rates_equals_separate_runs():
    f, x0 = harness.quadratic_2d(kappa=10.0)
    rates = jnp.geomspace(1e-3, 1e-1, 8)
    run = lambda lr: jol.minimize(f, x0, jol.adam(lr, b1=0.8), 50)[1].loss
    batched = jax.vmap(run)(rates)
    for i, lr in enumerate(rates):
        np.testing.assert_allclose(batched[i], run(float(lr)), rtol=1e-5, atol=1e-7)
    assert len(set(np.round(np.asarray(batched[:, -1]), 8))) == 8  # eight different runs


def test_traced_hyperparameters_pass_unchecked():
    """inject_hyperparams turns b1, b2, eps into arrays: no validation, and the maths still holds."""
    tx = optax.inject_hyperparams(jol.adam)(learning_rate=0.02, b1=0.8, b2=0.99, eps=1e-6)
    _assert_matches(_updates(tx), _updates(jol.adam(0.02, b1=0.8, b2=0.99, eps=1e-6)), rtol=1e-6)
    jax.jit(lambda b2: jol.adam(1e-3, b2=b2).init(jnp.zeros(2)))(jnp.asarray(1.0))  # b2 = 1 is not checked
    with pytest.raises(ValueError, match=r"^b2=1.0 must be in \[0.0, 1.0\)"):
        jol.adam(1e-3, b2=1.0)


@pytest.mark.parametrize("make", [jol.adam, jol.adamw, jol.adagrad, jol.rmsprop], ids=lambda f: f.__name__)
@pytest.mark.parametrize("shape", [(), (5,)])
@pytest.mark.parametrize("eps", [1e-7, 1e-6])
def test_float16_zero_gradient_with_a_tiny_eps_gives_zero_not_nan_under_jit(make, shape, eps):
    """XLA may rewrite g/d as g·(1/d); 1/eps is inf in float16 (> 65504), and 0·inf = NaN (optax.adam does this)."""
    params = jnp.ones(shape, jnp.float16)
    tx = make(0.1, eps=eps)
    u, _ = jax.jit(lambda g, s: tx.update(g, s, params))(jnp.zeros_like(params), tx.init(params))
    assert u.dtype == jnp.float16
    expected = -0.1 * 1e-4 * params if make is jol.adamw else jnp.zeros_like(params)
    np.testing.assert_array_equal(np.asarray(u, np.float32), np.asarray(expected, np.float32))
