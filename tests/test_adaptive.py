"""Facts about AdaGrad, RMSProp and AdaDelta that the lectures and docs/spec/adagrad.md, docs/spec/rmsprop.md,
docs/spec/adadelta.md state.

Registry rows (tests/registry/adaptive.py) compare every variant with optax or a NumPy loop;
here: the torch.optim float64 references, the optax-default comparisons, and the lecture facts.
"""

from __future__ import annotations

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxopt_lectures as jol
from tests import harness
from tests.reference import adaptive as ref

STREAM = harness.gradient_stream(steps=100, seed=3)


def _updates(tx, dtype=jnp.float32):
    return harness.run_updates(tx, *STREAM, dtype=dtype)


def _first_update(tx, g):
    g = jnp.asarray(g, jnp.float32)
    return np.asarray(tx.update(g, tx.init(jnp.zeros_like(g)))[0], np.float64)


def _assert_matches(ours, expected, rtol):
    np.testing.assert_allclose(ours, expected, rtol=rtol, atol=rtol * np.abs(expected).max())


def _torch_check(ours_tx, optimizer, **options):
    """Our optimizer in float64 against torch.optim.<optimizer>(**options) in float64."""
    with jax.enable_x64(True):
        ours = _updates(ours_tx, dtype=jnp.float64)
    torch = ref.torch_updates(optimizer, STREAM[0], STREAM[2], **options)
    _assert_matches(ours, torch, rtol=1e-11)


# ------------------------------------------------------------------ AdaGrad (docs/spec/adagrad.md)


def test_adagrad_with_optax_settings_equals_optax_adagrad():
    ours = _updates(jol.adagrad(0.05, eps=1e-7, initial_accumulator=0.1, eps_in_sqrt=True))
    _assert_matches(ours, _updates(optax.adagrad(0.05)), rtol=1e-5)


def test_adagrad_defaults_deliberately_differ_from_optax_defaults():
    ours, theirs = _updates(jol.adagrad(0.05)), _updates(optax.adagrad(0.05))
    assert np.abs(ours - theirs).max() > 0.3 * np.abs(theirs).max()  # docs/spec/adagrad.md measured 0.69


@pytest.mark.parametrize("initial_accumulator", [0.0, 0.3])
def test_adagrad_eps_outside_matches_torch_adagrad_in_float64(initial_accumulator):
    _torch_check(jol.adagrad(0.05, eps=1e-6, initial_accumulator=initial_accumulator), "Adagrad",
                 lr=0.05, eps=1e-6, initial_accumulator_value=initial_accumulator)


def test_adagrad_first_step_is_a_full_step_of_eta_per_coordinate():
    u = _first_update(jol.adagrad(0.1), [300.0, -2.0, 1e-3])
    np.testing.assert_allclose(u, [-0.1, 0.1, -0.1], rtol=1e-4)


def test_adagrad_step_under_a_constant_gradient_shrinks_like_one_over_sqrt_t():
    g, eta, steps = jnp.array([2.0, -0.5]), 0.1, 100
    tx = jol.adagrad(eta)
    state, sizes = tx.init(g), []
    for _ in range(steps):
        u, state = tx.update(g, state)
        sizes.append(np.abs(np.asarray(u)))
    t = np.arange(1, steps + 1)[:, None]
    np.testing.assert_allclose(np.array(sizes) * np.sqrt(t), eta, rtol=1e-5)  # |Δ_t| = η/√t → 0


@pytest.mark.parametrize("eps", [0.0, 1e-8])
@pytest.mark.parametrize("eps_in_sqrt", [False, True])
def test_adagrad_direction_is_zero_where_every_gradient_was_zero(eps, eps_in_sqrt):
    tx = jol.adagrad(0.1, eps=eps, eps_in_sqrt=eps_in_sqrt)
    state = tx.init(jnp.zeros(2))
    for g in ([0.0, 1.0], [0.0, 0.0]):
        u, state = tx.update(jnp.array(g), state)
        assert np.all(np.isfinite(u)) and u[0] == 0.0
    grad = jax.grad(lambda g: jnp.sum(tx.update(g, tx.init(g))[0]))(jnp.array([0.0, 2.0]))
    assert np.all(np.isfinite(grad))  # no NaN from the masked-out lane either


# ------------------------------------------------------------------ RMSProp (docs/spec/rmsprop.md)


@pytest.mark.parametrize("schedule", [False, True], ids=["constant", "cosine"])
@pytest.mark.parametrize("eps_in_sqrt, centered, momentum, nesterov",
                         [(*c, m, n) for c in itertools.product([False, True], repeat=2)
                          for m, n in [(None, False), (0.9, False), (0.9, True)]])
def test_rmsprop_matches_optax_rmsprop_in_every_combination(eps_in_sqrt, centered, momentum, nesterov, schedule):
    lr = harness.cosine(0.01, 80) if schedule else 0.01
    kwargs = dict(decay=0.85, eps=1e-5, eps_in_sqrt=eps_in_sqrt, centered=centered, momentum=momentum,
                  nesterov=nesterov)
    _assert_matches(_updates(jol.rmsprop(lr, **kwargs)), _updates(optax.rmsprop(lr, **kwargs)), rtol=1e-5)


@pytest.mark.parametrize("centered, momentum", [(False, None), (True, None), (False, 0.8), (True, 0.8)])
def test_rmsprop_eps_outside_matches_torch_rmsprop_in_float64(centered, momentum):
    _torch_check(jol.rmsprop(0.01, decay=0.85, eps=1e-6, centered=centered, momentum=momentum), "RMSprop",
                 lr=0.01, alpha=0.85, eps=1e-6, centered=centered, momentum=momentum or 0.0)


def test_rmsprop_momentum_is_the_velocity_form_so_it_differs_from_torch_under_a_schedule():
    """optax/ours: b ← βb − η_t d; torch: b ← βb + d, Δ = −η_t b (docs/spec/rmsprop.md measured 430%)."""
    schedule = lambda c: 0.01 * 0.95**c
    grads = STREAM[0]
    d = np.asarray(_updates(jol.rmsprop(1.0, decay=0.85, eps=1e-6))) * -1.0  # the direction, rate 1
    b, torch_form = np.zeros(grads.shape[1]), []
    for t in range(len(grads)):
        b = 0.9 * b + d[t]
        torch_form.append(-schedule(t) * b)
    ours = _updates(jol.rmsprop(schedule, decay=0.85, eps=1e-6, momentum=0.9))
    assert np.abs(ours - np.array(torch_form)).max() > 0.1 * np.abs(ours).max()  # float noise: 1e-6


def test_rmsprop_first_step_is_about_3_16_eta_without_bias_correction():
    """[000]: the first estimate is (1−β)g² = 0.1g², so the step is η/√0.1 ≈ 3.16η per coordinate."""
    u = _first_update(jol.rmsprop(0.01), [5.0, -0.2, 40.0])
    np.testing.assert_allclose(u, np.array([-1, 1, -1]) * 0.01 / np.sqrt(0.1), rtol=1e-5)


def test_rmsprop_of_003_weights_the_new_square_by_gamma_so_decay_is_one_minus_gamma():
    """[003]: s ← (1−γ)s + γ g², θ ← θ − η g/√(s + ε); equals rmsprop(decay=1−γ, eps_in_sqrt=True)."""
    gamma, eta, eps = 0.2, 0.01, 1e-6
    s, expected = np.zeros(STREAM[0].shape[1]), []
    for g in STREAM[0]:
        s = (1 - gamma) * s + gamma * g**2
        expected.append(-eta * g / np.sqrt(s + eps))
    ours = _updates(jol.rmsprop(eta, decay=1 - gamma, eps=eps, eps_in_sqrt=True))
    _assert_matches(ours, np.array(expected), rtol=1e-5)


# ------------------------------------------------------------------ AdaDelta (docs/spec/adadelta.md)


@pytest.mark.parametrize("learning_rate", [1.0, 0.5])
def test_adadelta_matches_torch_adadelta_in_float64(learning_rate):
    _torch_check(jol.adadelta(learning_rate, rho=0.9, eps=1e-5), "Adadelta", lr=learning_rate, rho=0.9, eps=1e-5)


def test_adadelta_learning_rate_only_rescales_the_zeiler_step():
    """The accumulator stores the pre-rate step, so η ≠ 1 scales every update by η (docs/spec/adadelta.md)."""
    np.testing.assert_allclose(_updates(jol.adadelta(0.5)), 0.5 * _updates(jol.adadelta(1.0)), rtol=1e-6)


def test_optax_adadelta_with_its_default_learning_rate_none_ascends():
    """docs/spec/pitfalls.md#pitfall-2: optax.adadelta() never flips the sign; its updates are minus the Zeiler
    steps."""
    theirs = _updates(optax.adadelta(learning_rate=None, rho=0.95, eps=1e-6))
    _assert_matches(theirs, -_updates(jol.adadelta(1.0)), rtol=1e-5)
    f, x0 = lambda x: jnp.sum(x**2), jnp.array([1.0, 2.0, 3.0])
    _, up = jol.minimize(f, x0, optax.with_extra_args_support(optax.adadelta()), 200)
    _, down = jol.minimize(f, x0, jol.adadelta(), 200)
    assert float(up.loss[-1]) > float(up.loss[0]) > float(down.loss[-1])


def test_adadelta_slide_form_first_step_is_1000_times_smaller_than_zeiler():
    """[001]'s slide puts ε outside √E[Δx²]₀ = 0: first step ε/√(1−ρ) vs √ε/√(1−ρ), ratio 1/√ε."""
    g = [3.0, -0.5, 10.0]
    zeiler, jku = _first_update(jol.adadelta(), g), _first_update(jol.adadelta(form="jku"), g)
    np.testing.assert_allclose(zeiler / jku, 1 / np.sqrt(1e-6), rtol=1e-3)
    np.testing.assert_allclose(np.abs(zeiler), np.sqrt(1e-6) / np.sqrt(0.05), rtol=1e-3)


def test_adadelta_slide_form_is_still_far_slower_after_100_steps():
    """docs/spec/adadelta.md measured ~350× smaller steps after 100 steps."""
    zeiler, jku = _updates(jol.adadelta()), _updates(jol.adadelta(form="jku"))
    assert np.abs(zeiler[-1]).mean() > 100 * np.abs(jku[-1]).mean()
