"""The drivers (docs/spec/sgd.md, docs/spec/driver.md): minimize = a Python loop, thinning, extra-kwarg forwarding,
vmap sweeps, fit."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxopt_lectures as jol
from jaxopt_lectures import data, losses, problems


def python_loop(fun, params, tx, steps):
    """The reference of docs/spec/references.md: the same optimizer stepped in Python."""
    state, values, points = tx.init(params), [], []
    for _ in range(steps):
        value, grad = jax.value_and_grad(fun)(params)
        values.append(float(value))
        points.append(np.asarray(params))
        u, state = tx.update(grad, state, params, value=value, grad=grad, value_fn=fun)
        params = optax.apply_updates(params, u)
    return params, np.array(values + [float(fun(params))]), np.stack(points + [np.asarray(params)])


@pytest.mark.parametrize("tx", [jol.sgd(1e-3), jol.momentum(1e-3, 0.9)], ids=["sgd", "momentum"])
def test_minimize_equals_a_python_loop(tx):
    f = problems.rosenbrock
    x, trace = jol.minimize(f, f.x0, tx, 25)
    want_x, want_loss, want_path = python_loop(f, f.x0, tx, 25)
    np.testing.assert_allclose(np.asarray(x), np.asarray(want_x), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(trace.loss), want_loss, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(trace.params), want_path, rtol=1e-6)


def test_trace_records_both_endpoints_and_the_gradient_norm():
    f = problems.booth
    x, trace = jol.minimize(f, f.x0, jol.sgd(0.01), 10)
    assert trace.loss.shape == (11,) and trace.params.shape == (11, 2) and trace.grad_norm.shape == (11,)
    np.testing.assert_array_equal(np.asarray(trace.params[0]), np.asarray(f.x0))
    np.testing.assert_array_equal(np.asarray(trace.params[-1]), np.asarray(x))
    assert float(trace.grad_norm[0]) == pytest.approx(float(jnp.linalg.norm(jax.grad(f)(f.x0))), rel=1e-6)


@pytest.mark.parametrize("k", [1, 2, 5])
def test_record_every_k_keeps_every_kth_entry_of_the_full_trace(k):
    f = problems.rosenbrock
    x_full, full = jol.minimize(f, f.x0, jol.momentum(1e-3, 0.9), 20)
    x_thin, thin = jol.minimize(f, f.x0, jol.momentum(1e-3, 0.9), 20, record_every=k)
    np.testing.assert_allclose(np.asarray(x_thin), np.asarray(x_full), rtol=1e-6)  # same maths, other fusion
    np.testing.assert_allclose(np.asarray(thin.params), np.asarray(full.params)[::k], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(thin.loss), np.asarray(full.loss)[::k], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(thin.grad_norm), np.asarray(full.grad_norm)[::k], rtol=1e-6)


@pytest.mark.parametrize("kwargs, match", [({"num_steps": -1}, "num_steps"), ({"num_steps": 2.0}, "num_steps"),
                                           ({"record_every": 0}, "record_every"),
                                           ({"num_steps": 10, "record_every": 3}, "multiple")])
def test_bad_step_counts_raise_value_error(kwargs, match):
    """A count out of range is a ValueError; a float where an int count is expected, a TypeError."""
    args = {"num_steps": 6} | kwargs
    kind = TypeError if any(isinstance(v, float) for v in kwargs.values()) else ValueError
    with pytest.raises(kind, match=match):
        jol.minimize(jnp.sum, jnp.ones(2), jol.sgd(0.1), args.pop("num_steps"), **args)


def test_value_grad_and_value_fn_reach_the_optimizer():
    """A transform that steps −η·grad_kwarg·value/value_fn(params) is sgd(η) only if all three arrive."""

    def update(updates, state, params=None, *, value, grad, value_fn, **extra):
        ratio = value / value_fn(params)
        return jax.tree.map(lambda g, d: -0.1 * d * ratio + 0 * g, updates, grad), state

    spy = optax.GradientTransformationExtraArgs(lambda p: optax.EmptyState(), update)
    f = problems.matyas
    _, got = jol.minimize(f, f.x0, spy, 15)
    _, want = jol.minimize(f, f.x0, jol.sgd(0.1), 15)
    np.testing.assert_allclose(np.asarray(got.params), np.asarray(want.params), rtol=1e-6)


def test_value_and_grad_replacement_is_used():
    f = lambda x: jnp.sum(x**2)
    doubled = lambda x: (f(x), 2 * jax.grad(f)(x))
    x, _ = jol.minimize(f, jnp.array([1.0]), jol.sgd(0.1), 1, value_and_grad=doubled)
    assert float(x[0]) == pytest.approx(1 - 0.1 * 4.0)


@pytest.mark.parametrize("make", [jol.sgd, lambda lr: jol.momentum(lr, 0.9)], ids=["sgd", "momentum"])
def test_vmap_of_minimize_over_learning_rates_equals_a_python_loop(make):
    f = problems.ill_conditioned(kappa=20.0, dim=3)
    rates = jnp.asarray(np.geomspace(1e-3, 0.12, 6), jnp.float32)
    run = lambda lr: jol.minimize(f, f.x0, make(lr), 40)[1].loss
    batched = np.asarray(jax.vmap(run)(rates))
    looped = np.stack([np.asarray(run(float(lr))) for lr in rates])
    np.testing.assert_allclose(batched, looped, rtol=1e-6)  # docs/spec/driver.md


# --------------------------------------------------------------------------------------- fit

def blobs(n_per_class=40, seed=0):
    """Three well-separated Gaussian blobs in 2-D (linearly separable), standardised."""
    rng = np.random.default_rng(seed)
    centers = np.array([[0.0, 4.0], [4.0, -2.0], [-4.0, -2.0]])
    X = np.concatenate([c + 0.5 * rng.normal(size=(n_per_class, 2)) for c in centers])
    y = np.repeat(np.arange(3), n_per_class)
    return jnp.asarray(X / 3, jnp.float32), jnp.asarray(y)


def linear(params, X):
    return X @ params["W"] + params["b"]


def accuracy(params, X, y):
    return jnp.mean(jnp.argmax(linear(params, X), -1) == y)


@pytest.mark.parametrize("loss", [losses.softmax_cross_entropy, losses.multiclass_hinge], ids=["softmax", "hinge"])
def test_fit_reaches_100_percent_on_a_linearly_separable_set(loss):
    X, y = blobs()
    params = {"W": jnp.zeros((2, 3)), "b": jnp.zeros(3)}
    loss_fn = lambda p, batch: loss(linear(p, batch[0]), batch[1])
    p, history = jol.fit(loss_fn, params, jol.sgd(0.1), (X, y), 16, 20, jax.random.key(0),
                         eval_fn=lambda p: accuracy(p, X, y))
    assert float(history.eval[-1]) == 1.0 and float(accuracy(p, X, y)) == 1.0
    assert float(history.train_loss[-1]) < 0.5 * float(history.train_loss[0])


def test_fit_equals_a_python_loop_over_the_same_permutations():
    X, y = blobs(n_per_class=10)
    params = {"W": jnp.zeros((2, 3)), "b": jnp.zeros(3)}
    loss_fn = lambda p, batch: losses.softmax_cross_entropy(linear(p, batch[0]), batch[1])
    tx, key, B, epochs = jol.momentum(0.05, 0.9), jax.random.key(3), 8, 3
    p, history = jol.fit(loss_fn, params, tx, (X, y), B, epochs, key)
    state, want_p, batch_losses = tx.init(params), params, []

    @jax.jit
    def step(p, state, batch):
        value, grad = jax.value_and_grad(loss_fn)(p, batch)
        u, state = tx.update(grad, state, p)
        return optax.apply_updates(p, u), state, value

    for k in jax.random.split(key, epochs):
        idx, _ = data.epoch_batches(k, 30, B)
        for i in idx:
            want_p, state, value = step(want_p, state, (X[i], y[i]))
            batch_losses.append(float(value))
    assert history.batch_loss.shape == (3, 3)  # ⌊30/8⌋ = 3 updates per epoch (drop_last)
    np.testing.assert_allclose(np.asarray(history.batch_loss).ravel(), batch_losses, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(history.train_loss), np.asarray(history.batch_loss).mean(1), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(p["W"]), np.asarray(want_p["W"]), rtol=1e-5, atol=1e-6)


def test_fit_passes_the_batch_loss_as_value_fn_and_stacks_dict_metrics():
    X, y = blobs(n_per_class=8)
    seen = []

    def update(updates, state, params=None, *, value, value_fn, **extra):
        seen.append(1)
        return jax.tree.map(lambda g: -0.1 * g * value / value_fn(params), updates), state

    spy = optax.GradientTransformationExtraArgs(lambda p: optax.EmptyState(), update)
    params = {"W": jnp.zeros((2, 3)), "b": jnp.zeros(3)}
    loss_fn = lambda p, batch: losses.softmax_cross_entropy(linear(p, batch[0]), batch[1])
    got, h = jol.fit(loss_fn, params, spy, (X, y), 6, 2, jax.random.key(1),
                     eval_fn=lambda p: {"acc": accuracy(p, X, y), "loss": loss_fn(p, (X, y))})
    want, _ = jol.fit(loss_fn, params, jol.sgd(0.1), (X, y), 6, 2, jax.random.key(1))
    np.testing.assert_allclose(np.asarray(got["W"]), np.asarray(want["W"]), rtol=1e-6)
    assert h.eval["acc"].shape == (2,) and h.eval["loss"].shape == (2,)


def test_epochs_are_fresh_permutations_without_replacement():
    keys = jax.random.split(jax.random.key(0), 2)
    (a, mask_a), (b, _) = (data.epoch_batches(k, 12, 4) for k in keys)
    assert sorted(np.asarray(a).ravel().tolist()) == list(range(12)) and bool(mask_a.all())
    assert not np.array_equal(np.asarray(a), np.asarray(b))
    idx, mask = data.epoch_batches(keys[0], 10, 4, drop_last=False)
    assert idx.shape == (3, 4) and int(mask.sum()) == 10  # ⌈10/4⌉ batches, 2 padded entries
    assert sorted(np.asarray(idx)[np.asarray(mask)].tolist()) == list(range(10))


def test_fit_without_drop_last_makes_ceil_n_over_b_updates():
    X, y = blobs(n_per_class=10)
    loss_fn = lambda p, batch: losses.softmax_cross_entropy(linear(p, batch[0]), batch[1])
    params = {"W": jnp.zeros((2, 3)), "b": jnp.zeros(3)}
    _, h = jol.fit(loss_fn, params, jol.sgd(0.1), (X, y), 8, 2, jax.random.key(0), drop_last=False)
    assert h.batch_loss.shape == (2, 4)


@pytest.mark.parametrize("batch_size", [0, -4, 2.5, 100])
def test_fit_rejects_a_bad_batch_size(batch_size):
    X, y = blobs(n_per_class=10)
    with pytest.raises(TypeError if isinstance(batch_size, float) else ValueError, match=r"^batch_size="):
        jol.fit(lambda p, b: jnp.sum(p), jnp.zeros(1), jol.sgd(0.1), (X, y), batch_size, 1, jax.random.key(0))


def test_fit_rejects_data_with_different_leading_sizes_and_negative_epochs():
    X, y = blobs(n_per_class=10)
    with pytest.raises(ValueError, match="leading"):
        jol.fit(lambda p, b: jnp.sum(p), jnp.zeros(1), jol.sgd(0.1), (X, y[:-1]), 4, 1, jax.random.key(0))
    with pytest.raises(ValueError, match=r"^epochs="):
        jol.fit(lambda p, b: jnp.sum(p), jnp.zeros(1), jol.sgd(0.1), (X, y), 4, -1, jax.random.key(0))
