"""Facts about gradient descent, momentum and Nesterov that the lectures state (docs/spec/gradient-descent.md,
docs/spec/momentum.md, docs/spec/nesterov.md)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxopt_lectures as jol
from tests import harness
from tests.reference import momentum as ref


def _updates(tx, steps=60, seed=1):
    grads, values, params0 = harness.gradient_stream(steps=steps, seed=seed)
    return harness.run_updates(tx, grads, values, params0)


def test_trace_and_velocity_coincide_under_a_constant_rate():
    np.testing.assert_allclose(_updates(jol.momentum(0.05, 0.9, form="trace")),
                               _updates(jol.momentum(0.05, 0.9, form="velocity")), rtol=1e-5, atol=1e-6)


def test_trace_and_velocity_differ_under_a_decaying_rate():
    schedule = lambda c: 0.1 * 0.97**c
    trace = _updates(jol.momentum(schedule, 0.9, form="trace"))
    velocity = _updates(jol.momentum(schedule, 0.9, form="velocity"))
    assert np.abs(trace - velocity).max() > 0.1 * np.abs(velocity).max()  # docs/spec/momentum.md measured 150%


@pytest.mark.parametrize("nesterov", [False, True])
def test_ema_form_is_the_trace_form_with_rate_times_one_minus_beta(nesterov):
    schedule, beta = harness.cosine(0.1, 40), 0.8
    ema = _updates(jol.momentum(schedule, beta, nesterov=nesterov, form="ema"))
    trace = _updates(jol.momentum(lambda c: schedule(c) * (1 - beta), beta, nesterov=nesterov, form="trace"))
    np.testing.assert_allclose(ema, trace, rtol=1e-5, atol=1e-7)


def test_ema_first_step_has_no_bias_correction():
    tx = jol.momentum(0.5, beta=0.9, form="ema")
    u, _ = tx.update(jnp.array([2.0]), tx.init(jnp.zeros(1)))
    assert float(u[0]) == pytest.approx(-0.5 * 0.1 * 2.0)


@pytest.mark.parametrize("nesterov", [False, True])
def test_trace_form_matches_torch_sgd_in_float64(nesterov):
    grads, values, params0 = harness.gradient_stream(steps=100, seed=2)
    with jax.enable_x64(True):
        ours = harness.run_updates(jol.momentum(0.05, 0.8, nesterov=nesterov), grads, values, params0, dtype=jnp.float64)
    torch = ref.torch_sgd(grads, values, params0, learning_rate=0.05, beta=0.8, nesterov=nesterov)
    np.testing.assert_allclose(ours, torch, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("form", ["trace", "velocity"])
def test_nesterov_params_are_the_lookahead_points_of_the_lecture_algorithm(form):
    """[000]'s algorithm keeps x_t; the transformation produces x̃_t = x_t + βv_t (docs/spec/nesterov.md)."""
    rng = np.random.default_rng(0)
    q = np.linalg.qr(rng.normal(size=(5, 5)))[0]
    A = q @ np.diag([0.5, 1, 2, 4, 8]) @ q.T
    x0 = rng.normal(size=5) * 3
    xs, vs = ref.lookahead_nesterov(lambda x: A @ x, x0, learning_rate=0.05, beta=0.9, steps=100)
    _, trace = jol.minimize(lambda x: 0.5 * x @ jnp.asarray(A, jnp.float32) @ x, jnp.asarray(x0, jnp.float32),
                            jol.nesterov(0.05, 0.9, form=form), 100)
    np.testing.assert_allclose(np.asarray(trace.params), xs + 0.9 * vs, atol=5e-6 * np.abs(xs).max())
    assert np.abs(np.asarray(trace.params) - xs).max() > 1e-2  # x_t itself is a different sequence


def test_nesterov_iterate_recovers_the_lecture_iterate():
    A = jnp.diag(jnp.array([1.0, 10.0]))
    x0 = jnp.array([1.0, -1.0])
    xs, vs = ref.lookahead_nesterov(lambda x: np.asarray(A) @ x, np.asarray(x0), learning_rate=0.05, beta=0.7, steps=10)
    tx = jol.nesterov(0.05, 0.7, form="velocity")
    x, state = x0, tx.init(x0)
    for _ in range(10):
        u, state = tx.update(A @ x, state)
        x = optax.apply_updates(x, u)
    np.testing.assert_allclose(jol.nesterov_iterate(x, state, beta=0.7), xs[-1], rtol=1e-5)
    with pytest.raises(ValueError, match="state"):
        jol.nesterov_iterate(x, jol.momentum(0.1).init(x0), beta=0.7)


def test_nesterov_alias_is_momentum_with_nesterov_true():
    a = _updates(jol.nesterov(0.03, 0.6, form="ema"))
    b = _updates(jol.momentum(0.03, 0.6, nesterov=True, form="ema"))
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("ratio, expect", [(0.5, "monotone"), (1.0, "exact"), (1.5, "alternating"), (2.5, "diverges")])
def test_gradient_descent_on_a_quadratic_follows_the_closed_form(ratio, expect):
    """θ_t = (1 − αλ)^t θ_0 per eigen-direction ([003] closed form; docs/spec/gradient-descent.md#theory-2)."""
    lam = jnp.array([1.0, 2.0])
    alpha = ratio / 2.0  # αλ_max = ratio
    x0 = jnp.array([1.0, 1.0])
    _, trace = jol.minimize(lambda x: 0.5 * jnp.sum(lam * x**2), x0, jol.sgd(alpha), 12)
    t = np.arange(13)[:, None]
    closed = (1 - alpha * np.asarray(lam)) ** t * np.asarray(x0)
    np.testing.assert_allclose(np.asarray(trace.params), closed, rtol=1e-5, atol=1e-6)
    last = np.asarray(trace.params)[:, 1]
    if expect == "exact":
        assert last[1] == 0.0
    elif expect == "monotone":
        assert np.all(np.diff(last) < 0) and np.all(last > 0)
    elif expect == "alternating":
        assert np.all(np.sign(last[1:]) == -np.sign(last[:-1])) and abs(last[-1]) < abs(last[0])
    else:
        assert abs(last[-1]) > 100 * abs(last[0])
