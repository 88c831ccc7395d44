"""The line searches of docs/spec/linesearch.md: acceptance rules, evaluation counts, non-finite values, extra
keywords."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxopt_lectures as jol

SEARCHES = {"armijo": lambda: jol.armijo_linesearch(), "wolfe": lambda: jol.wolfe_linesearch()}
rosen = jol.problems.rosenbrock


def search(ls, d, x, fn, **extra):
    return ls.update(d, ls.init(x), x, value_fn=fn, **extra)


def test_armijo_takes_the_first_halving_with_sufficient_decrease_and_counts_evaluations():
    f = lambda x: jnp.sum(x**4)
    x, d = jnp.array([1.0]), jnp.array([-4.0])  # −∇f
    ls = jol.armijo_linesearch(decrease_factor=0.5, slope_rtol=1e-4)
    u, state = search(ls, d, x, f)
    assert float(state.step) == 0.25 and int(state.num_evals) == 3  # α = 1 (f = 81), ½ (f = 1) rejected
    assert bool(state.success) and float(state.value) == 0.0
    _, state = ls.update(d, state, x, value_fn=f)
    assert int(state.total_evals) == 6


def test_armijo_restarts_at_the_initial_step_every_call():
    f = lambda x: jnp.sum((x - 1.0) ** 2)
    ls, x = jol.armijo_linesearch(initial_step=1.0), jnp.zeros(2)
    _, state = search(ls, jnp.array([5.0, 5.0]), x, f)      # overshoots: α = 1/4 accepted... (f(1.25) < 1)
    u, state = ls.update(jnp.array([1.0, 1.0]), state, x, value_fn=f)
    assert float(state.step) == 1.0 and int(state.num_evals) == 1


@pytest.mark.parametrize("name", SEARCHES)
def test_accepted_step_satisfies_its_conditions_on_rosenbrock(name):
    x = rosen.x0
    g = jax.grad(rosen)(x)
    d = -g / jnp.linalg.norm(g)
    u, state = search(SEARCHES[name](), d, x, rosen)
    alpha = float(state.step)
    f0, slope = float(rosen(x)), float(g @ d)
    assert alpha > 0 and bool(state.success)
    assert float(rosen(x + alpha * d)) <= f0 + 1e-4 * alpha * slope
    np.testing.assert_allclose(np.asarray(u), alpha * np.asarray(d), rtol=1e-6)
    if name == "wolfe":  # strong curvature condition
        assert abs(float(jax.grad(rosen)(x + alpha * d) @ d)) <= 0.9 * abs(slope)


def test_wolfe_takes_the_step_of_optax_zoom_linesearch():
    x = jnp.array([-1.2, 1.0, -1.2, 1.0])
    f = jol.problems.make_rosenbrock(dim=4)
    d = -jax.grad(f)(x) / 100.0  # α = 1 overshoots: the zoom phase runs
    ours, state = search(jol.wolfe_linesearch(curv_rtol=0.5), d, x, f)
    zoom = optax.scale_by_zoom_linesearch(20, curv_rtol=0.5, initial_guess_strategy="one")
    theirs, zstate = zoom.update(d, zoom.init(x), x, value=f(x), grad=jax.grad(f)(x), value_fn=f)
    np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-6)
    assert int(state.num_evals) == int(zstate.info.num_linesearch_steps) > 1


def nan_beyond(limit):
    """(x − 1)² where x < limit, NaN beyond: a domain edge."""
    return lambda x: jnp.sum(jnp.where(x < limit, (x - 1.0) ** 2, jnp.nan))


@pytest.mark.parametrize("name", SEARCHES)
def test_non_finite_trial_values_shrink_the_step_and_never_reach_the_params(name):
    f, x = nan_beyond(1.5), jnp.zeros(1)
    u, state = search(SEARCHES[name](), jnp.array([4.0]), x, f)   # α = 1 lands on 4: NaN
    assert 0.0 < float(state.step) < 1.0
    assert bool(jnp.isfinite(u).all()) and float((x + u)[0]) < 1.5 and bool(jnp.isfinite(state.value))
    assert float(f(x + u)) < float(f(x))


@pytest.mark.parametrize("name", SEARCHES)
def test_no_finite_trial_gives_a_zero_step(name):
    f = lambda x: jnp.where(jnp.all(x == 0.0), 1.0, jnp.nan) * jnp.sum(x + 1)  # finite only at the start
    u, state = search(SEARCHES[name](), jnp.array([1.0, 1.0]), jnp.zeros(2), f, grad=jnp.array([-1.0, -1.0]))
    assert float(state.step) == 0.0 and not bool(state.success)
    np.testing.assert_array_equal(np.asarray(u), 0.0)


@pytest.mark.parametrize("name", SEARCHES)
def test_extra_keywords_reach_value_fn_only_where_its_signature_accepts_them(name):
    x, d = jnp.zeros(2), jnp.array([1.0, 1.0])
    target = jnp.array([0.5, 0.5])
    with_data = lambda p, data: jnp.sum((p - data) ** 2)
    with_kwargs = lambda p, **kw: jnp.sum((p - kw["data"]) ** 2)
    plain = lambda p: jnp.sum((p - 0.5) ** 2)
    ls = SEARCHES[name]()
    want, _ = search(ls, d, x, plain)
    for fn in (with_data, with_kwargs):
        got, _ = search(ls, d, x, fn, data=target, key=jax.random.key(0), epoch=3)
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-6)
    got, _ = search(ls, d, x, plain, data=target, unknown="dropped")
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-6)


@pytest.mark.parametrize("name", SEARCHES)
def test_missing_value_and_grad_are_computed_from_value_fn(name):
    x, d = rosen.x0, -jax.grad(rosen)(rosen.x0) / 100
    given, _ = search(SEARCHES[name](), d, x, rosen, value=rosen(x), grad=jax.grad(rosen)(x))
    computed, _ = search(SEARCHES[name](), d, x, rosen)
    np.testing.assert_allclose(np.asarray(computed), np.asarray(given), rtol=1e-6)


@pytest.mark.parametrize("name", SEARCHES)
def test_missing_value_fn_is_a_type_error_naming_it(name):
    ls, x = SEARCHES[name](), jnp.zeros(2)
    with pytest.raises(TypeError, match="value_fn"):
        ls.update(x, ls.init(x), x, value=0.0, grad=x)


@pytest.mark.parametrize("name", SEARCHES)
def test_jitted_search_with_extra_keywords_compiles_once(name):
    ls, traces = SEARCHES[name](), []
    f = lambda p, data: jnp.sum((p - data) ** 2)

    @jax.jit
    def step(x, state, data):
        traces.append(1)
        u, state = ls.update(-jax.grad(f)(x, data), state, x, value_fn=f, data=data, batch_index=0)
        return x + u, state

    x, state = jnp.zeros(3), ls.init(jnp.zeros(3))
    for k in range(3):
        x, state = step(x, state, jnp.full(3, k + 1.0))
    assert len(traces) == 1


@pytest.mark.parametrize("bad, arg", [
    (dict(decrease_factor=1.0), "decrease_factor"), (dict(slope_rtol=0.0), "slope_rtol"),
    (dict(initial_step=0.0), "initial_step"), (dict(max_linesearch_steps=-1), "max_linesearch_steps")])
def test_armijo_hyperparameters_are_validated(bad, arg):
    with pytest.raises(ValueError, match=rf"^{arg}="):
        jol.armijo_linesearch(**bad)


@pytest.mark.parametrize("bad, arg", [
    (dict(curv_rtol=1e-5), "curv_rtol"), (dict(max_linesearch_steps=0), "max_linesearch_steps"),
    (dict(initial_guess_strategy="two"), "initial_guess_strategy"), (dict(max_step=-1.0), "max_step")])
def test_wolfe_hyperparameters_are_validated(bad, arg):
    with pytest.raises(ValueError, match=rf"^{arg}="):
        jol.wolfe_linesearch(**bad)
