"""Facts about the test problems (docs/spec/gradient-descent.md#theory-2, docs/spec/problems.md), checked against
scipy in float64."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.optimize

import jaxopt_lectures as jol
from jaxopt_lectures import problems

SURFACES = [problems.rosenbrock, problems.beale, problems.booth, problems.himmelblau, problems.matyas,
            problems.three_hump_camel]
by_name = dict(ids=lambda p: p.name)


_DERIVATIVES: dict[int, tuple] = {}  # id(problem) -> (problem, kept alive so ids stay unique; jitted triple)


def f64(problem, x):
    """(value, gradient, Hessian) of a problem at x in float64 NumPy."""
    if id(problem) not in _DERIVATIVES:
        triple = jax.jit(lambda z: (problem(z), jax.grad(problem)(z), jax.hessian(problem)(z)))
        _DERIVATIVES[id(problem)] = (problem, triple)
    with jax.enable_x64(True):
        value, grad, hess = _DERIVATIVES[id(problem)][1](jnp.asarray(np.asarray(x, np.float64)))
        return float(value), np.asarray(grad), np.asarray(hess)


def scipy_minimum(problem, x):
    """scipy BFGS (gtol 1e-12, docs/spec/references.md) from x, on the float64 function and gradient."""
    value_grad = lambda z: f64(problem, z)[:2]  # (the Hessian comes free with the jitted triple)
    return scipy.optimize.minimize(value_grad, np.asarray(x, np.float64), jac=True, method="BFGS",
                                   options={"gtol": 1e-12}).x


@pytest.mark.parametrize("problem", SURFACES, **by_name)
def test_every_minimizer_has_the_minimum_value_and_a_vanishing_gradient(problem):
    assert problem.minimizers
    for m in problem.minimizers:
        value, grad, hess = f64(problem, m)
        assert value == pytest.approx(problem.min_value, abs=1e-10)
        # stored points are float32 (1e-7 relative): the gradient is at most ‖H‖·|δx|
        assert np.linalg.norm(grad) <= 1e-6 * max(1.0, np.abs(hess).max())
        assert np.all(np.linalg.eigvalsh(hess) > 0)


@pytest.mark.parametrize("problem", SURFACES, **by_name)
def test_minimizers_agree_with_scipy_bfgs_to_1e_6(problem):
    for m in problem.minimizers:
        np.testing.assert_allclose(scipy_minimum(problem, m), np.asarray(m, np.float64), atol=1e-6)


def test_camel_local_minima_and_saddles_are_what_the_attributes_say():
    camel = problems.three_hump_camel
    for m in camel.local_minima:
        np.testing.assert_allclose(scipy_minimum(camel, m), np.asarray(m, np.float64), atol=1e-6)
        value, _, hess = f64(camel, m)
        assert value == pytest.approx(0.29863844, abs=1e-7) and value > camel.min_value
        assert np.all(np.linalg.eigvalsh(hess) > 0)
    for s in camel.critical_points:
        value, grad, hess = f64(camel, s)
        assert value == pytest.approx(0.87736156, abs=1e-7) and np.linalg.norm(grad) < 1e-5
        assert np.prod(np.linalg.eigvalsh(hess)) < 0  # a saddle: eigenvalues of both signs


def test_himmelblau_has_a_local_maximum_of_181_6165():
    (x,) = problems.himmelblau.critical_points
    value, grad, hess = f64(problems.himmelblau, x)
    assert value == pytest.approx(181.6165, abs=1e-4) and np.linalg.norm(grad) < 1e-4
    assert np.all(np.linalg.eigvalsh(hess) < 0)


def test_saddle_has_no_minimizer_and_a_critical_point_with_mixed_curvature():
    saddle = problems.saddle
    assert saddle.minimizers == () and saddle.min_value == -np.inf
    value, grad, hess = f64(saddle, saddle.critical_points[0])
    assert value == 0.0 and np.all(grad == 0)
    np.testing.assert_array_equal(hess, np.diag([2.0, -2.0]))


def test_first_order_methods_escape_the_saddle_but_not_from_exactly_on_the_axis():
    _, trace = jol.minimize(problems.saddle, problems.saddle.x0, jol.sgd(0.01), 500)
    assert np.abs(np.asarray(trace.params)[:, 1]).max() > 1  # docs/spec/problems.md: after 349 steps
    x, _ = jol.minimize(problems.saddle, jnp.array([1.0, 0.0]), jol.sgd(0.01), 500)
    np.testing.assert_allclose(np.asarray(x), [0.0, 0.0], atol=1e-4)


def test_beale_is_constant_on_the_line_x_equals_zero_with_a_critical_point_at_0_1():
    ys = jnp.linspace(-4.0, 4.0, 9)
    values = jax.vmap(problems.beale)(jnp.stack([jnp.zeros(9), ys], 1))
    np.testing.assert_allclose(np.asarray(values), 14.203125, rtol=1e-6)
    _, grad, _ = f64(problems.beale, problems.beale.critical_points[0])
    assert np.linalg.norm(grad) == 0.0


@pytest.mark.parametrize("problem, eigenvalues, rtol", [  # rtol: the digits docs/spec/problems.md quotes
    (problems.booth, [2.0, 18.0], 1e-12), (problems.matyas, [0.04, 1.0], 1e-12),
    (problems.rosenbrock, [0.3994, 1001.6], 2e-4), (problems.beale, [0.30, 49.0], 1e-2)],
    ids=["booth", "matyas", "rosenbrock", "beale"])
def test_hessian_eigenvalues_at_the_minimum(problem, eigenvalues, rtol):
    _, _, hess = f64(problem, problem.minimizers[0])
    np.testing.assert_allclose(np.linalg.eigvalsh(hess), eigenvalues, rtol=rtol)


@pytest.mark.parametrize("dim", [2, 3, 6])
def test_rosenbrock_is_scipy_rosen_in_every_dimension(dim):
    f = problems.make_rosenbrock(dim=dim)
    points = np.random.default_rng(dim).normal(size=(5, dim))
    for x in points:
        value, grad, hess = f64(f, x)
        assert value == pytest.approx(scipy.optimize.rosen(x), rel=1e-12)
        np.testing.assert_allclose(grad, scipy.optimize.rosen_der(x), rtol=1e-12)
        np.testing.assert_allclose(hess, scipy.optimize.rosen_hess(x), rtol=1e-12, atol=1e-12)
    assert f64(f, f.minimizers[0])[0] == 0.0


def test_rosenbrock_starts_at_24_2_and_a_b_move_the_minimum():
    assert float(problems.rosenbrock(problems.rosenbrock.x0)) == pytest.approx(24.2)
    f = problems.make_rosenbrock(a=2.0, b=10.0)
    value, grad, _ = f64(f, f.minimizers[0])
    assert value == 0.0 and np.all(grad == 0)


@pytest.mark.parametrize("problem", [*SURFACES, problems.saddle, problems.ill_conditioned(10.0)], **by_name)
def test_vmap_over_a_grid_equals_pointwise_evaluation(problem):
    (x_lo, x_hi), (y_lo, y_hi) = problem.bounds
    X, Y = np.meshgrid(np.linspace(x_lo, x_hi, 7), np.linspace(y_lo, y_hi, 5))
    grid = jnp.asarray(np.stack([X.ravel(), Y.ravel()], 1), jnp.float32)
    batched = np.asarray(jax.vmap(problem)(grid))
    np.testing.assert_allclose(batched, [float(problem(p)) for p in grid], rtol=1e-6)


# ---------------------------------------------------------------- quadratics ([003],
# docs/spec/gradient-descent.md#theory-2)

def _spd(n=4, seed=0):
    m = np.random.default_rng(seed).normal(size=(n, n))
    return m @ m.T + n * np.eye(n)


def test_quadratic_minimizer_is_A_inverse_b_with_value_minus_half_b_A_inverse_b():
    A, b = _spd(), np.arange(1.0, 5.0)
    q = problems.quadratic(A, b)
    x_star = np.linalg.solve(A, b)
    np.testing.assert_allclose(np.asarray(q.minimizers[0]), x_star, rtol=1e-6)
    assert q.min_value == pytest.approx(-0.5 * b @ x_star, rel=1e-12)
    assert f64(q, x_star)[0] == pytest.approx(q.min_value, rel=1e-12)
    np.testing.assert_allclose(q.eigenvectors @ np.diag(q.eigenvalues) @ q.eigenvectors.T, A, atol=1e-12)


def test_indefinite_or_inconsistent_quadratics_have_no_minimizer():
    indefinite = problems.quadratic(np.diag([1.0, -1.0]))
    assert indefinite.minimizers == () and indefinite.min_value == -np.inf
    singular_outside = problems.quadratic(np.diag([1.0, 0.0]), np.array([1.0, 1.0]))  # linear along the kernel
    assert singular_outside.minimizers == () and singular_outside.min_value == -np.inf
    singular_inside = problems.quadratic(np.diag([2.0, 0.0]), np.array([1.0, 0.0]))
    np.testing.assert_allclose(np.asarray(singular_inside.minimizers[0]), [0.5, 0.0])
    assert singular_inside.min_value == pytest.approx(-0.25)


@pytest.mark.parametrize("A, b, match", [
    (np.ones((2, 3)), None, "must be square"),
    (np.ones(3), None, "must be square"),
    (np.array([[1.0, 2.0], [0.0, 1.0]]), None, "symmetric"),
    (np.eye(2), np.ones(3), r"b.shape=\(3,\) must be \(2,\)"),
])
def test_bad_quadratic_input_raises_value_error(A, b, match):
    with pytest.raises(ValueError, match=match):
        problems.quadratic(A, b)


ALPHA_LAMBDA = [0.5, 1.0, 1.5, 2.0, 2.5]  # monotone, one step, alternating, constant amplitude, divergent


def _regimes_quadratic():
    """A = Q diag(0.5, 1, 1.5, 2, 2.5) Qᵀ with α = 1: one eigen-direction per regime (E2)."""
    Q = np.linalg.qr(np.random.default_rng(3).normal(size=(5, 5)))[0]
    return problems.quadratic(Q @ np.diag(ALPHA_LAMBDA) @ Q.T, np.linspace(-1.0, 1.0, 5))


def test_closed_form_iterate_matches_the_sgd_trajectory_in_float32():
    q, steps = _regimes_quadratic(), 20
    x0 = jnp.asarray(np.random.default_rng(4).normal(size=5), jnp.float32)
    _, trace = jol.minimize(q, x0, jol.sgd(1.0), steps)
    closed = np.asarray(q.gd_iterate(x0, 1.0, jnp.arange(steps + 1)))
    scale = np.abs(closed).max(axis=1, keepdims=True)  # the divergent direction grows like 1.5^t
    np.testing.assert_allclose(np.asarray(trace.params) / scale, closed / scale, atol=2e-5)


def test_closed_form_iterate_is_exact_gd_in_float64():
    q, steps = _regimes_quadratic(), 30
    with jax.enable_x64(True):
        x0 = jnp.asarray(np.random.default_rng(4).normal(size=5))
        _, trace = jol.minimize(q, x0, jol.sgd(1.0), steps)
        closed = np.asarray(q.gd_iterate(x0, 1.0, jnp.arange(steps + 1)))
        params = np.asarray(trace.params)
    np.testing.assert_allclose(params, closed, rtol=1e-12, atol=1e-12 * np.abs(closed).max())


@pytest.mark.parametrize("alpha_lambda", ALPHA_LAMBDA)
def test_each_eigen_coordinate_is_multiplied_by_one_minus_alpha_lambda(alpha_lambda):
    q = problems.quadratic(np.diag([alpha_lambda]))
    _, trace = jol.minimize(q, jnp.array([1.0]), jol.sgd(1.0), 6)
    r = 1 - alpha_lambda
    np.testing.assert_allclose(np.asarray(trace.params)[:, 0], r ** np.arange(7), atol=1e-6)


def test_stable_range_best_step_and_rates():
    q = problems.ill_conditioned(kappa=10.0, dim=4, seed=1)
    kappa, lam_max = q.condition_number, q.eigenvalues[-1]
    assert kappa == pytest.approx(10.0) and q.stable_range == pytest.approx((0.0, 2 / lam_max))
    assert q.best_step == pytest.approx(2 / 11) and q.best_rate == pytest.approx(9 / 11)
    assert float(q.rate(q.best_step)) == pytest.approx(q.best_rate, rel=1e-6)
    assert float(q.rate(1 / lam_max)) == pytest.approx(1 - 1 / kappa, rel=1e-6)
    for other in (0.9 * q.best_step, 1.1 * q.best_step):
        assert float(q.rate(other)) > q.best_rate
    x0 = q.x0
    inside = jol.minimize(q, x0, jol.sgd(0.98 * 2 / float(lam_max)), 400)[1].loss
    outside = jol.minimize(q, x0, jol.sgd(1.02 * 2 / float(lam_max)), 400)[1].loss
    assert float(inside[-1]) < 1e-3 * float(inside[0]) and float(outside[-1]) > 1e3 * float(outside[0])


def test_ill_conditioned_spectrum_and_rotation():
    q = problems.ill_conditioned(kappa=100.0, dim=5, seed=7)
    np.testing.assert_allclose(q.eigenvalues, np.linspace(1, 100, 5), rtol=1e-10)
    assert not np.allclose(q.A, np.diag(np.diag(q.A)))  # rotated: not axis-aligned
    assert q.minimizers[0].shape == (5,) and q.min_value == 0.0
    np.testing.assert_allclose(problems.ill_conditioned(100.0, dim=3, rotate=False).A, np.diag([1, 50.5, 100]))


def test_ill_conditioned_with_an_angle_is_the_harness_quadratic():
    from tests import harness

    f, x0 = harness.quadratic_2d(kappa=50.0, angle_deg=30.0)
    q = problems.ill_conditioned(kappa=50.0, angle_deg=30.0)
    points = jnp.asarray(np.random.default_rng(0).normal(size=(6, 2)), jnp.float32)
    np.testing.assert_allclose(np.asarray(jax.vmap(q)(points)), np.asarray(jax.vmap(f)(points)), rtol=1e-5)


@pytest.mark.parametrize("kwargs, name", [({"kappa": 0.5}, "kappa"), ({"dim": 0}, "dim"),
                                          ({"dim": 3, "angle_deg": 30.0}, "angle_deg")])
def test_ill_conditioned_rejects_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name}="):
        problems.ill_conditioned(**kwargs)


def test_logistic_regression_bound_is_the_hessian_at_zero_and_bounds_it_elsewhere():
    """L = λmax(XᵀX)/(4N) + λ: equal to the w-block Hessian's top eigenvalue at w = b = 0 (σ'(0) = 1/4), above it elsewhere."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 5)), (rng.random(40) > 0.5).astype(float)
    with jax.enable_x64(True):
        loss, p0, L = jol.problems.logistic_regression(X, y, l2=0.3, dtype=jnp.float64)
        top = lambda p: float(np.linalg.eigvalsh(np.asarray(jax.hessian(lambda w: loss({**p, "w": w}))(p["w"]))).max())
        assert top(p0) == pytest.approx(L, rel=1e-12)
        for seed in range(3):
            w = jnp.asarray(np.random.default_rng(seed).normal(size=5))
            assert top({"w": w, "b": jnp.asarray(0.5)}) < L
        assert float(loss(p0)) == pytest.approx(np.log(2.0), rel=1e-12)


@pytest.mark.parametrize("args, match", [((np.ones((3, 2)), np.ones(2)), "X must be"), ((np.ones(3), np.ones(3)), "X must be")])
def test_logistic_regression_rejects_mismatched_data(args, match):
    with pytest.raises(ValueError, match=match):
        jol.problems.logistic_regression(*args)
    with pytest.raises(ValueError, match="^l2="):
        jol.problems.logistic_regression(np.ones((3, 2)), np.ones(3), l2=-1.0)
