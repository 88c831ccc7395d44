"""Newton, Newton–CG, BFGS and L-BFGS: the lectures' facts and the references of docs/spec/newton.md,
docs/spec/bfgs.md, docs/spec/lbfgs.md, docs/spec/references.md."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import scipy.optimize

import jaxopt_lectures as jol
from jaxopt_lectures.second_order.lbfgs import two_loop
from tests import harness
from tests.reference import second_order as ref

try:  # jaxopt is a reference only (the interop/test extras); without it the comparisons with it are skipped
    import jaxopt
    from jaxopt._src.lbfgs import inv_hessian_product
except ImportError:  # pragma: no cover - depends on the environment
    jaxopt = inv_hessian_product = None
needs_jaxopt = pytest.mark.skipif(jaxopt is None, reason="jaxopt is not installed (a reference library only)")

saddle = lambda x: x[0] ** 2 - x[1] ** 2  # [002] saddle point example


def logistic_problem(l2, dtype=jnp.float64):
    """``jol.problems.logistic_regression`` on standardised breast-cancer data (scikit-learn, offline)."""
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    return jol.problems.logistic_regression((data.data - data.data.mean(0)) / data.data.std(0), data.target, l2,
                                            dtype=dtype)


def spd_quadratic(n=5, seed=0):
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    A = q @ np.diag(np.linspace(0.5, 40.0, n)) @ q.T
    b = rng.normal(size=n)
    return A, b, np.linalg.solve(A, b)


# ---------------------------------------------------------------- Newton ([002] second-order Taylor)

def test_one_undamped_newton_step_solves_an_spd_quadratic_exactly():
    with jax.enable_x64(True):
        A, b, x_star = spd_quadratic()
        f = lambda p: 0.5 * p["u"] @ jnp.asarray(A[:3, :3]) @ p["u"] + jnp.asarray(A[:3, 3:]).T @ p["u"] @ p["v"] \
            + 0.5 * p["v"] @ jnp.asarray(A[3:, 3:]) @ p["v"] - jnp.asarray(b[:3]) @ p["u"] - jnp.asarray(b[3:]) @ p["v"]
        p, trace = jol.minimize(f, {"u": jnp.ones(3), "v": jnp.ones(2)}, jol.newton(), 1)
        np.testing.assert_allclose(np.concatenate([p["u"], p["v"]]), x_star, rtol=1e-12)


def test_undamped_newton_lands_on_the_saddle_and_says_it_fell_back():
    tx, x = jol.newton(), jnp.array([1.0, 0.5])
    u, state = tx.update(jax.grad(saddle)(x), tx.init(x), x, value_fn=saddle)
    np.testing.assert_array_equal(np.asarray(x + u), 0.0)
    assert bool(state[0].fell_back) and float(state[0].shift) == 0.0  # exact step kept (indefinite="solve")


def test_damping_3_gives_descent_on_the_saddle():
    x, trace = jol.minimize(saddle, jnp.array([1.0, 0.5]), jol.newton(damping=3.0), 1)
    np.testing.assert_allclose(np.asarray(trace.loss), [0.75, -1.89], rtol=1e-6)


def test_levenberg_fallback_shifts_the_hessian_until_it_is_positive_definite():
    tx, x = jol.newton(indefinite="levenberg"), jnp.array([1.0, 0.5])
    g = jax.grad(saddle)(x)
    u, state = tx.update(g, tx.init(x), x, value_fn=saddle)
    assert bool(state[0].fell_back) and float(state[0].shift) > 2.0   # τ > |λ_min| = 2
    assert float(g @ u) < 0                                            # a descent direction


def test_newton_matches_the_numpy_iterates_on_rosenbrock():
    """Pure Newton from (−1.2, 1): f = 24.2, 4.73, 1412, 0.056, 0.31, 1.9e-11 (docs/spec/newton.md),
    rosen_der/rosen_hess."""
    with jax.enable_x64(True):
        x0 = jnp.array([-1.2, 1.0])
        _, trace = jol.minimize(jol.problems.rosenbrock, x0, jol.newton(), 6)
        want = ref.newton_iterates(scipy.optimize.rosen_der, scipy.optimize.rosen_hess, np.asarray(x0), 6)
        np.testing.assert_allclose(np.asarray(trace.params), want, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(np.asarray(trace.loss[:6]), [24.2, 4.73, 1412, 0.056, 0.31, 1.9e-11], rtol=0.03)


def test_damped_newton_matches_the_numpy_iterates():
    with jax.enable_x64(True):
        x0 = jnp.array([-1.2, 1.0])
        _, trace = jol.minimize(jol.problems.rosenbrock, x0, jol.newton(learning_rate=0.7, damping=5.0), 8)
        want = ref.newton_iterates(scipy.optimize.rosen_der, scipy.optimize.rosen_hess, np.asarray(x0), 8, 0.7, 5.0)
        np.testing.assert_allclose(np.asarray(trace.params), want, rtol=1e-10)


def test_hvp_is_the_hessian_times_the_vector():
    f = jol.problems.make_rosenbrock(dim=5)
    x, v = jnp.linspace(-1.0, 1.5, 5), jnp.arange(5.0)
    np.testing.assert_allclose(np.asarray(jol.hvp(f, x, v)), np.asarray(jax.hessian(f)(x) @ v), rtol=1e-5)


def test_newton_cg_with_exact_cg_is_the_newton_step():
    with jax.enable_x64(True):
        A, b, x_star = spd_quadratic(n=6)
        f = lambda x: 0.5 * x @ jnp.asarray(A) @ x - jnp.asarray(b) @ x
        x, _ = jol.minimize(f, jnp.zeros(6), jol.newton_cg(cg_rtol=1e-12), 1)
        np.testing.assert_allclose(np.asarray(x), x_star, rtol=1e-8)


def test_newton_cg_stops_on_negative_curvature_with_a_descent_direction():
    tx, x = jol.newton_cg(), jnp.array([0.0, 0.5])       # H = diag(2, −2), g = (0, −1): pᵀHp < 0 at once
    g = jax.grad(saddle)(x)
    u, state = tx.update(g, tx.init(x), x, value_fn=saddle)
    assert bool(state[0].negative_curvature) and float(g @ u) < 0


def test_newton_and_linesearch_states_say_what_happened():
    tx = jol.newton(linesearch=jol.armijo_linesearch())
    x = jol.problems.rosenbrock.x0
    _, state = tx.update(jax.grad(jol.problems.rosenbrock)(x), tx.init(x), x, value_fn=jol.problems.rosenbrock)
    newton_state, _, ls_state = state
    assert int(newton_state.count) == 1 and not bool(newton_state.fell_back)
    assert int(ls_state.num_evals) >= 1 and 0 < float(ls_state.step) <= 1.0


@pytest.mark.parametrize("make", [lambda: jol.newton(damping=-1.0), lambda: jol.lbfgs(memory_size=0)])
def test_negative_damping_and_empty_memory_raise(make):
    with pytest.raises(ValueError, match="must be"):
        make()


@pytest.mark.parametrize("alias", [jol.newton, jol.newton_cg, jol.bfgs, jol.lbfgs])
def test_linesearch_must_be_a_gradient_transformation(alias):
    with pytest.raises(TypeError, match="linesearch"):
        alias(linesearch="wolfe")


# ---------------------------------------------------------------- BFGS ([002] quasi-Newton)

def exact_quadratic_linesearch(A):
    """α = −gᵀd / dᵀAd: the exact minimiser along d of ½xᵀAx − bᵀx (a test-only line search)."""
    def update(d, state, params=None, *, grad, **_):
        return -(grad @ d) / (d @ A @ d) * d, state
    return optax.GradientTransformationExtraArgs(lambda p: optax.EmptyState(), update)


def test_bfgs_with_exact_line_searches_finishes_a_quadratic_in_n_steps_with_h_equal_a_inverse():
    with jax.enable_x64(True):
        A, b, x_star = spd_quadratic(n=5)
        A_ = jnp.asarray(A)
        tx = jol.bfgs(linesearch=exact_quadratic_linesearch(A_))
        f = lambda x: 0.5 * x @ A_ @ x - jnp.asarray(b) @ x
        x, state = jnp.zeros(5), tx.init(jnp.zeros(5))
        for _ in range(5):
            u, state = tx.update(jax.grad(f)(x), state, x, value_fn=f)
            x = x + u
        np.testing.assert_allclose(np.asarray(x), x_star, rtol=1e-9)
        u, state = tx.update(jax.grad(f)(x), state, x, value_fn=f)  # the n-th pair enters H at the next call
        np.testing.assert_allclose(np.asarray(state[0].inv_hessian), np.linalg.inv(A), rtol=1e-7, atol=1e-9)


@needs_jaxopt
def test_bfgs_fixed_step_matches_jaxopt_bfgs_on_logistic_regression():
    """jaxopt.BFGS(stepsize=η) stepped with init_state/update: 30 steps, η = 0.5, float32 (docs/spec/bfgs.md:
    1.9e-7)."""
    f, p0, _ = logistic_problem(1e-2, jnp.float32)
    _, trace = jol.minimize(f, p0, jol.bfgs(learning_rate=0.5, linesearch=None), 30)
    solver = jaxopt.BFGS(fun=f, stepsize=0.5, maxiter=30, tol=0.0)
    p, state, want = p0, solver.init_state(p0), [p0]
    for _ in range(30):
        p, state = solver.update(p, state)
        want.append(p)
    got = np.asarray(trace.params["w"])
    want = np.stack([np.asarray(q["w"]) for q in want])
    err = np.abs(got - want).max() / np.abs(want).max()
    print(f"bfgs vs jaxopt.BFGS, 30 fixed steps: max rel err {err:.2e}")
    assert err < 2e-6


def test_bfgs_and_lbfgs_equal_their_numpy_loops_on_a_float64_gradient_stream():
    grads, values, p0 = harness.gradient_stream(steps=60, seed=0)
    with jax.enable_x64(True):
        for tx, want in [
            (jol.bfgs(learning_rate=0.05, linesearch=None, scale_init=True), ref.numpy_bfgs(grads, values, p0, 0.05, scale_init=True)),
            (jol.lbfgs(memory_size=3, learning_rate=0.04, linesearch=None), ref.numpy_lbfgs(grads, values, p0, 0.04, 3)),
        ]:
            got = harness.run_updates(tx, grads, values, p0, dtype=jnp.float64)
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9 * np.abs(want).max())  # 1/yᵀs amplifies rounding


# ---------------------------------------------------------------- L-BFGS ([002] limited memory)

@needs_jaxopt
def test_two_loop_matches_jaxopt_inv_hessian_product_and_numpy_on_a_wrapped_ring_buffer():
    rng = np.random.default_rng(3)
    m, n, oldest = 4, 7, 2
    S, Y = rng.normal(size=(m, n)), rng.normal(size=(m, n))
    Y = S + 0.3 * Y  # mostly positive curvature
    rho = 1.0 / np.einsum("ij,ij->i", S, Y)
    g, gamma = rng.normal(size=n), 0.7
    f32 = lambda a: jnp.asarray(a, jnp.float32)
    ours = np.asarray(two_loop(f32(g), f32(S), f32(Y), f32(rho), f32(gamma), oldest))
    theirs = np.asarray(inv_hessian_product(f32(g), f32(S), f32(Y), f32(rho), gamma, start=oldest))
    order = [(oldest + i) % m for i in range(m)]
    numpy = ref.two_loop(g, [(S[i], Y[i]) for i in order], gamma)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours, numpy, rtol=1e-4, atol=1e-5 * np.abs(numpy).max())


@pytest.mark.parametrize("linesearch", ["none", "default"])
def test_lbfgs_follows_optax_lbfgs_on_4d_rosenbrock(linesearch):
    """Same memory, same history: the iterates of optax.lbfgs over 30 steps.

    Fixed step in float32 (docs/spec/lbfgs.md: ≤ 2.4e-5). With the default strong-Wolfe search the float32
    runs drift apart by 1.8e-4 (different rounding of the flat vs tree dot products, amplified by the
    accept/reject decisions), so that comparison runs in float64.
    """
    with jax.enable_x64(linesearch == "default"):
        f, x0 = jol.problems.make_rosenbrock(dim=4), jnp.array([-1.2, 1.0, -1.2, 1.0])
        if linesearch == "none":
            ours, theirs = jol.lbfgs(memory_size=3, learning_rate=1e-3, linesearch=None), \
                optax.lbfgs(learning_rate=1e-3, memory_size=3, linesearch=None)
        else:
            ours, theirs = jol.lbfgs(), optax.lbfgs()
        _, trace = jol.minimize(f, x0, ours, 30)
        @jax.jit
        def step(x, state):
            value, grad = jax.value_and_grad(f)(x)
            u, state = theirs.update(grad, state, x, value=value, grad=grad, value_fn=f)
            return optax.apply_updates(x, u), state

        x, state, want = x0, theirs.init(x0), [x0]
        for _ in range(30):
            x, state = step(x, state)
            want.append(x)
        want = np.stack(want)
        err = np.abs(np.asarray(trace.params) - want).max() / np.abs(want).max()
        print(f"lbfgs vs optax.lbfgs ({linesearch} line search), 30 steps: max rel err {err:.2e}")
        assert err < (3e-5 if linesearch == "none" else 1e-9)


# ---------------------------------------------------------------- scipy.optimize.minimize on the lectures' problems

def _quadratic_ill(n=10, kappa=1e4):
    rng = np.random.default_rng(1)
    q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    A, b = q @ np.diag(np.geomspace(1.0, kappa, n)) @ q.T, rng.normal(size=n)
    return (lambda x: 0.5 * x @ jnp.asarray(A) @ x - jnp.asarray(b) @ x), np.zeros(n)


def _problem(name):
    if name == "rosenbrock-2":
        return jol.problems.rosenbrock, np.array([-1.2, 1.0])
    if name == "rosenbrock-20":
        return jol.problems.make_rosenbrock(dim=20), np.tile([-1.2, 1.0], 10)
    if name == "beale":
        return jol.problems.beale, np.array([1.0, 1.5])
    if name == "logistic":
        f, p0, _ = logistic_problem(1e-2)
        flat0, unravel = jax.flatten_util.ravel_pytree(p0)
        return (lambda x: f(unravel(x))), np.zeros(flat0.size)
    return _quadratic_ill()


METHODS = {  # ours -> the scipy method it is compared with
    "newton_cg": (lambda: jol.newton_cg(linesearch=jol.armijo_linesearch()), "Newton-CG"),
    "newton": (lambda: jol.newton(indefinite="levenberg", linesearch=jol.armijo_linesearch()), "Newton-CG"),
    "bfgs": (lambda: jol.bfgs(), "BFGS"),
    "lbfgs": (lambda: jol.lbfgs(), "L-BFGS-B"),
}
PROBLEMS = ["rosenbrock-2", "beale", "quadratic-ill", "logistic", "rosenbrock-20"]
SCIPY_OPTIONS = {"Newton-CG": {"xtol": 1e-12, "maxiter": 2000}, "BFGS": {"gtol": 1e-10, "maxiter": 2000},
                 "L-BFGS-B": {"gtol": 1e-10, "ftol": 0.0, "maxiter": 2000}}  # default ftol stops L-BFGS-B ~1e-4 short
SLOW = {"logistic", "rosenbrock-20"}


@pytest.mark.parametrize("problem", [pytest.param(p, marks=pytest.mark.slow) if p in SLOW else p for p in PROBLEMS])
@pytest.mark.parametrize("method", METHODS)
def test_same_minimizer_as_scipy(method, problem):
    """Minimizer to 1e-5 (float64) and the iteration counts (to ‖∇f‖ < 1e-8) printed beside scipy's."""
    make, scipy_method = METHODS[method]
    with jax.enable_x64(True):
        f, x0 = _problem(problem)
        steps = 400 if problem == "rosenbrock-20" else 200
        x, trace = jol.minimize(f, jnp.asarray(x0), make(), steps)
        jac, hess = jax.jit(jax.grad(f)), jax.jit(jax.hessian(f))
        res = scipy.optimize.minimize(lambda z: float(f(jnp.asarray(z))), x0, jac=lambda z: np.asarray(jac(jnp.asarray(z))),
                                      hess=(lambda z: np.asarray(hess(jnp.asarray(z)))) if scipy_method == "Newton-CG" else None,
                                      method=scipy_method, options=SCIPY_OPTIONS[scipy_method])
        gnorm = np.asarray(trace.grad_norm)
        ours_iters = int(np.flatnonzero(gnorm < 1e-8)[0]) if (gnorm < 1e-8).any() else None
        print(f"\n{problem:14s} {method:9s} ours: {ours_iters} iterations; scipy {scipy_method}: {res.nit} iterations")
        if problem == "rosenbrock-20" and method == "newton":
            # Levenberg-Newton + Armijo ends in the other minimum of n-D Rosenbrock (n >= 4), near (−1, 1, …, 1)
            assert ours_iters is not None and float(x[0]) < -0.99 and 3.9 < float(trace.loss[-1]) < 4.0
            return
        np.testing.assert_allclose(np.asarray(x), res.x, atol=1e-5, rtol=1e-5)
        assert ours_iters is not None and ours_iters <= 5 * res.nit + 10


def test_lbfgs_direction_stays_finite_when_the_stored_curvature_overflowed():
    """On a GPU (denormals kept) 1/(yᵀs) of an underflowing pair overflowed to inf and the κ = 50 quadratic
    ended in NaN; the CPU flushes such yᵀs to 0, so the state is built here as the GPU stored it."""
    tx = jol.scale_by_lbfgs(memory_size=3)
    x = jnp.array([1e-20, 0.0], jnp.float32)
    _, state = tx.update(jnp.array([0.0, 1.0], jnp.float32), tx.init(x), x)
    state = state._replace(S=state.S.at[0].set(jnp.array([1e-20, 0.0])), Y=state.Y.at[0].set(jnp.array([1e-19, 0.0])),
                           rho=state.rho.at[0].set(jnp.inf), count=jnp.asarray(2, jnp.int32))
    d, _ = jax.jit(tx.update)(jnp.array([1e-19, 1.0], jnp.float32), state, x)
    assert np.all(np.isfinite(np.asarray(d)))


def test_lbfgs_never_stores_a_curvature_whose_inverse_overflows():
    tx = jol.scale_by_lbfgs(memory_size=3)
    x0, x1 = jnp.zeros(2, jnp.float32), jnp.array([1e-19, 0.0], jnp.float32)
    _, state = tx.update(jnp.array([0.0, 1.0], jnp.float32), tx.init(x0), x0)
    _, state = jax.jit(tx.update)(jnp.array([1e-19, 1.0], jnp.float32), state, x1)  # yᵀs = 1e-38 < tiny
    assert np.all(np.isfinite(np.asarray(state.rho))) and float(state.rho[0]) == 0.0
