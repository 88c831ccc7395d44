"""proximal(learning_rate, l1=, l2=) (docs/spec/regularization.md): jaxopt reference, sparsity, and the transform
contract."""

from __future__ import annotations

import chex
import jax
import jax.numpy as jnp
import jaxopt
import numpy as np
import optax
import pytest

import jaxopt_lectures as jol
from jaxopt_lectures import losses
from tests import harness


def sparse_regression(seed=0, n=60, d=12):
    """Least squares ½·mean((Xw − y)²) with 3 of d true weights non-zero; returns (f, L, w_true)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    w_true = np.zeros(d)
    w_true[[1, 4, 7]] = [2.0, -3.0, 1.5]
    y = X @ w_true + 0.1 * rng.normal(size=n)
    X32, y32 = jnp.asarray(X, jnp.float32), jnp.asarray(y, jnp.float32)
    f = lambda w: 0.5 * jnp.mean((X32 @ w - y32) ** 2)
    L = float(np.linalg.eigvalsh(X.T @ X / n).max())
    return f, L, w_true


def jaxopt_iterates(f, x0, eta, l1, l2, steps):
    """jaxopt.ProximalGradient with a fixed step and no acceleration (ISTA), stepped by hand."""
    if l2 == 0:
        prox, hyper = jaxopt.prox.prox_lasso, l1
    else:  # jaxopt's penalty is a·(‖y‖₁ + (γ/2)‖y‖²): γ = l2 / l1 (docs/spec/regularization.md)
        prox, hyper = jaxopt.prox.prox_elastic_net, (l1, l2 / l1)
    solver = jaxopt.ProximalGradient(fun=f, prox=prox, stepsize=eta, acceleration=False, maxiter=steps)
    x, state, out = x0, solver.init_state(x0, hyperparams_prox=hyper), [x0]
    for _ in range(steps):
        x, state = solver.update(x, state, hyperparams_prox=hyper)
        out.append(x)
    return np.asarray(jnp.stack(out))


@pytest.mark.parametrize("l1, l2", [(0.1, 0.0), (0.1, 0.5), (0.05, 2.0)])
def test_sgd_then_proximal_is_jaxopt_proximal_gradient(l1, l2):
    f, L, _ = sparse_regression()
    eta, steps = 0.5 / L, 200
    x0 = jnp.zeros(12, jnp.float32)
    _, trace = jol.minimize(f, x0, optax.chain(jol.sgd(eta), jol.proximal(eta, l1=l1, l2=l2)), steps)
    want = jaxopt_iterates(f, x0, eta, l1, l2, steps)
    np.testing.assert_allclose(np.asarray(trace.params), want, rtol=1e-5, atol=1e-6)  # docs/spec/references.md: 3.3e-7


@pytest.mark.parametrize("l1, l2", [(0.3, 0.0), (0.3, 1.5), (0.0, 1.5)])
def test_one_proximal_step_is_jaxopt_prox_of_the_proposed_point(l1, l2):
    params, grads = harness.tree_pair(seed=9)
    eta = 0.4
    tx = jol.proximal(eta, l1=l1, l2=l2)
    u, _ = tx.update(grads, tx.init(params), params)
    got = optax.apply_updates(params, u)
    z = optax.apply_updates(params, grads)
    if l1 == 0:
        want = jaxopt.prox.prox_ridge(z, l2, scaling=eta)  # (l2reg/2)‖y‖² despite its docstring (docs/spec/pitfalls.md#pitfall-9)
    elif l2 == 0:
        want = jaxopt.prox.prox_lasso(z, l1, scaling=eta)
    else:
        want = jaxopt.prox.prox_elastic_net(z, (l1, l2 / l1), scaling=eta)
    chex.assert_trees_all_close(got, want, rtol=1e-6, atol=1e-7)


def test_elastic_net_of_002_is_l1_lambda_and_l2_two_lambda_beta():
    """[002]'s λΣ(βW² + |W|): the prox of η times it, computed by scipy-free brute force on a grid."""
    lam, beta, eta, z = 0.5, 0.3, 0.2, jnp.array([1.7, -0.05, -0.9])
    tx = jol.proximal(eta, l1=lam, l2=2 * lam * beta)
    u, _ = tx.update(jnp.zeros(3), tx.init(z), z)
    got = np.asarray(z + u)
    grid = np.linspace(-3, 3, 600001)
    for zi, gi in zip(np.asarray(z, np.float64), got):
        objective = 0.5 * (grid - zi) ** 2 + eta * lam * (beta * grid**2 + np.abs(grid))
        assert gi == pytest.approx(grid[np.argmin(objective)], abs=2e-5)


def test_proximal_gives_exact_zeros_where_subgradient_l1_does_not():
    f, L, w_true = sparse_regression(seed=1)
    eta, l1, steps = 0.5 / L, 0.2, 1000
    x0 = jnp.asarray(np.random.default_rng(2).normal(size=12), jnp.float32)
    w_prox, _ = jol.minimize(f, x0, optax.chain(jol.sgd(eta), jol.proximal(eta, l1=l1)), steps)
    w_sub, _ = jol.minimize(lambda w: f(w) + l1 * losses.l1_penalty(w), x0, jol.sgd(eta), steps)
    zero = w_true == 0
    assert np.all(np.asarray(w_prox)[zero] == 0.0)  # exact zeros: ISTA soft-thresholds them
    assert np.all(np.asarray(w_prox)[~zero] != 0.0)
    assert np.count_nonzero(np.asarray(w_sub) == 0.0) == 0  # the subgradient step hovers around 0
    assert np.abs(np.asarray(w_sub)[zero]).max() < 0.1  # ... close to, but never at, zero


def test_zero_penalties_are_the_identity():
    params, grads = harness.tree_pair(seed=3)
    tx = jol.proximal(0.1)
    u, _ = tx.update(grads, tx.init(params), params)
    chex.assert_trees_all_equal(u, grads)


def test_a_schedule_is_read_at_the_transforms_own_count():
    schedule = lambda c: 0.5 / (1.0 + c)
    tx, theta = jol.proximal(schedule, l1=1.0), jnp.array([2.0])
    state, out = tx.init(theta), []
    for _ in range(3):
        u, state = tx.update(jnp.zeros(1), state, theta)
        out.append(float(u[0]))
    np.testing.assert_allclose(out, [-0.5, -0.25, -0.5 / 3], rtol=1e-6)  # shrink by η_t·l1
    assert int(state.count) == 3


def test_update_without_params_raises_type_error():
    tx = jol.proximal(0.1, l1=1.0)
    with pytest.raises(TypeError, match="params"):
        tx.update(jnp.ones(2), tx.init(jnp.ones(2)))


@pytest.mark.parametrize("kwargs, name", [({"learning_rate": 0.0}, "learning_rate"),
                                          ({"learning_rate": -0.1}, "learning_rate"),
                                          ({"l1": -1.0}, "l1"), ({"l2": -0.5}, "l2")])
def test_invalid_hyperparameter_raises_value_error_naming_it(kwargs, name):
    args = {"learning_rate": 0.1} | kwargs
    lr = args.pop("learning_rate")
    with pytest.raises(ValueError, match=rf"^{name}={kwargs[name]!r} must be "):
        jol.proximal(lr, **args)


# ------------------------------------------------- the transform contract (docs/spec/api.md), as for registry rows

TX = lambda: optax.chain(jol.sgd(0.1), jol.proximal(0.1, l1=0.3, l2=0.2))


def test_is_an_extra_args_transformation_that_accepts_unknown_kwargs():
    tx = jol.proximal(0.1, l1=0.3)
    assert isinstance(tx, optax.GradientTransformationExtraArgs)
    params, grads = harness.tree_pair(seed=4)
    plain, _ = tx.update(grads, tx.init(params), params)
    got, _ = tx.update(grads, tx.init(params), params, value=1.0, value_fn=jnp.sum, key=jax.random.key(0))
    chex.assert_trees_all_close(got, plain)


def test_jit_compiles_once_over_several_steps():
    tx, traces = TX(), []
    params, grads = harness.tree_pair(seed=1)

    @jax.jit
    def step(grads, state, params):
        traces.append(1)
        u, state = tx.update(grads, state, params)
        return optax.apply_updates(params, u), state

    state = tx.init(params)
    for k in range(4):
        params, state = step(jax.tree.map(lambda g: g * (k + 1), grads), state, params)
    assert len(traces) == 1


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.bfloat16, jnp.float64], ids=lambda d: jnp.dtype(d).name)
def test_state_and_update_dtypes_are_stable(dtype):
    with jax.enable_x64(dtype == jnp.float64):
        tx = TX()
        params, grads = harness.tree_pair(seed=0, dtype=dtype)
        step = jax.jit(tx.update)
        s0 = tx.init(params)
        u, s1 = step(grads, s0, params)
        u, s2 = step(grads, s1, optax.apply_updates(params, u))
        chex.assert_trees_all_equal_shapes_and_dtypes(s0, s1, s2)
        chex.assert_trees_all_equal_shapes_and_dtypes(u, grads)


def test_safe_under_lax_cond_and_init_from_shape_dtype_structs():
    tx = TX()
    params, grads = harness.tree_pair(seed=2)
    state = tx.init(params)
    cond = jax.jit(lambda pred: jax.lax.cond(pred, lambda: tx.update(grads, state, params),
                                             lambda: (jax.tree.map(jnp.zeros_like, grads), state)))
    # the update prox(z) − θ cancels: jit vs eager differ by an ulp of θ (6e-8), hence the atol
    chex.assert_trees_all_close(cond(True)[0], tx.update(grads, state, params)[0], rtol=1e-6, atol=1e-7)
    chex.assert_trees_all_equal(cond(False)[1], state)
    abstract = jax.tree.map(lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype), params)
    chex.assert_trees_all_equal_shapes_and_dtypes(jax.eval_shape(tx.init, abstract), state)


def test_vmap_over_learning_rates_equals_a_loop():
    f, L, _ = sparse_regression()
    rates = jnp.asarray([0.2, 0.5, 0.9]) / L
    run = lambda eta: jol.minimize(f, jnp.zeros(12), optax.chain(jol.sgd(eta), jol.proximal(eta, l1=0.1)), 50)[0]
    batched = jax.vmap(run)(rates)
    for i, eta in enumerate(rates):
        np.testing.assert_allclose(np.asarray(batched[i]), np.asarray(run(float(eta))), rtol=1e-6, atol=1e-7)
