"""Facts about delta-delta, delta-bar-delta, Quickprop and Rprop that [001] and the papers state
(docs/spec/delta-delta.md, docs/spec/delta-bar-delta.md, docs/spec/quickprop.md, docs/spec/rprop.md)."""

from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxopt_lectures as jol
from tests import harness
from tests.reference import rules as ref
from tests.registry.rules import ROWS, RPROP

VARIANTS = ("rprop+", "rprop-", "irprop+", "irprop-")
by_id = dict(ids=lambda row: row.id)


def _run(tx, grads, values=None):
    """Feed the (T, n) gradient rows as test trees; return (updates (T, n) float64, list of states)."""
    step = jax.jit(lambda g, s, v: tx.update(g, s, None, value=v))
    state, updates, states = tx.init(harness.tree_of(np.zeros(grads.shape[1]))), [], []
    for t, g in enumerate(grads):
        u, state = step(harness.tree_of(g), state, jnp.float32(0.0 if values is None else values[t]))
        updates.append(harness.flat(u))
        states.append(state)
    return np.array(updates), states


def _leaves(states, field):
    """One state field per step as (T, n); the alias state is (rule state, scale state)."""
    return np.array([harness.flat(getattr(s[0] if not hasattr(s, field) else s, field)) for s in states])


def _scalar_steps(tx, grads, values=None):
    """Updates of a one-weight problem for a list of scalar gradients."""
    state, out = tx.init(jnp.zeros(1)), []
    for t, g in enumerate(grads):
        kwargs = {} if values is None else {"value": values[t]}
        u, state = tx.update(jnp.array([g], jnp.float32), state, **kwargs)
        out.append(float(u[0]))
    return out, state


def extreme_stream(steps=60, seed=3, n=harness.N):
    """Magnitudes 1e-30..1e30 (float32), exact zeros, repeated gradients and sign flips."""
    rng = np.random.default_rng(seed)
    grads = np.sign(rng.normal(size=(steps, n))) * 10.0 ** rng.uniform(-30, 30, size=(steps, n))
    grads[rng.random((steps, n)) < 0.1] = 0.0
    grads[5::5] = grads[4:-1:5][: len(grads[5::5])]  # identical consecutive gradients (Quickprop p = s)
    grads[3::4] = -grads[2:-1:4][: len(grads[3::4])]  # exact sign flips
    return grads.astype(np.float32).astype(np.float64)


# ------------------------------------------------------------------------------------ all rules


@pytest.mark.parametrize("row", ROWS, **by_id)
def test_huge_and_tiny_finite_gradients_never_give_nan_or_inf(row):
    grads = extreme_stream()
    values = 10 * np.exp(-0.1 * np.arange(len(grads))) + np.sin(np.arange(len(grads)))  # sometimes increases
    updates, states = _run(row.build(), grads, values)
    assert np.isfinite(updates).all()
    assert all(np.isfinite(np.asarray(leaf, np.float64)).all() for s in states for leaf in jax.tree.leaves(s)
               if np.issubdtype(np.asarray(leaf).dtype, np.floating) and leaf.ndim > 0)


@pytest.mark.parametrize("row", ROWS, **by_id)
def test_jax_grad_through_one_update_is_finite_in_masked_lanes(row):
    """Zero, repeated (p = s) and sign-flipped gradients select the branches whose division is masked."""
    g1 = np.linspace(-1.0, 1.0, harness.N)
    g1[::4] = 0.0
    g2 = g1.copy()
    g2[1::3] *= -1.0  # sign flips; the others repeat exactly
    tx = row.build()
    _, states = _run(tx, np.stack([g1, 0.5 * g1, g1]), values=[1.0, 0.5, 1.0])

    def total(g):
        u, _ = tx.update(g, states[-1], value=2.0)
        return sum(jnp.sum(x) for x in jax.tree.leaves(u))

    grad = jax.jit(jax.grad(total))(harness.tree_of(g2))
    assert all(bool(jnp.isfinite(x).all()) for x in jax.tree.leaves(grad))


@pytest.mark.parametrize("make, kwargs, field", [
    (jol.delta_delta, dict(meta_learning_rate=0.1), "rates"),
    (jol.delta_bar_delta, dict(kappa=0.1, phi=0.5, theta=0.5), "rates"),
    (jol.rprop, dict(), "step"),
])
def test_a_schedule_as_learning_rate_is_read_once_at_count_zero(make, kwargs, field):
    grads, values, _ = harness.gradient_stream(steps=20, seed=4)
    scheduled, states = _run(make(lambda c: 0.03 / (1.0 + c), **kwargs), grads, values)
    constant, _ = _run(make(0.03, **kwargs), grads, values)
    np.testing.assert_array_equal(scheduled, constant)
    assert _leaves(states, field).max() > 0.03 * 1.01  # the rates really move away from η0


# ------------------------------------------------------------------------------------ delta-delta


def test_delta_delta_first_step_uses_the_initial_rate():
    tx = jol.delta_delta(0.1, meta_learning_rate=10.0)
    (u1, u2), state = _scalar_steps(tx, [2.0, 3.0])
    assert u1 == pytest.approx(-0.1 * 2.0)  # g(0) = 0: η(1) = η0
    assert u2 == pytest.approx(-(0.1 + 10.0 * 3.0 * 2.0) * 3.0)  # the rate moves before it is used


def test_delta_delta_rates_are_clipped_at_min_learning_rate():
    grads, values, _ = harness.gradient_stream(steps=60, seed=5)
    for floor in (0.0, 0.004):
        _, states = _run(jol.delta_delta(0.02, meta_learning_rate=0.05, min_learning_rate=floor), grads)
        rates = _leaves(states, "rates")
        assert rates.min() == pytest.approx(floor)  # the floor is reached (the clip is active) ...
        assert (rates >= np.float32(floor)).all()  # ... and never crossed


def test_delta_delta_literal_slide_rates_go_negative_and_the_step_ascends():
    grads, values, _ = harness.gradient_stream(steps=60, seed=5)
    updates, states = _run(jol.delta_delta(0.02, meta_learning_rate=0.05, min_learning_rate=None), grads)
    assert _leaves(states, "rates").min() < 0
    assert (updates * grads > 0).any()  # a move along the gradient: ascent


def test_delta_delta_is_scale_sensitive_on_the_ill_conditioned_quadratic():
    """docs/spec/delta-delta.md / E5: on ½(x² + 100y²) from (1, 1) with η0 = 1e-3, γ = 1e-5 diverges, γ = 1e-6 is
    stable."""
    f, x0 = (lambda x: 0.5 * (x[0] ** 2 + 100 * x[1] ** 2)), jnp.ones(2)
    final = {g: float(jol.minimize(f, x0, jol.delta_delta(1e-3, meta_learning_rate=g), 500)[1].loss[-1])
             for g in (1e-6, 1e-5)}
    gd = float(jol.minimize(f, x0, jol.sgd(1e-3), 500)[1].loss[-1])
    assert final[1e-6] < gd  # stable and (a little) faster than GD with the same η0
    assert not final[1e-5] < 1.0  # diverged (inf or NaN from inf parameters)


# ------------------------------------------------------------------------------------ delta-bar-delta


def test_delta_bar_delta_slide_average_misses_a_sign_flip_that_jacobs_order_catches():
    """g = +1 then −1 with θ = 0.9: ḡ(2) = 0.09 − 0.1 < 0 has the sign of g(2), so the slide increases the rate."""
    kwargs = dict(kappa=0.01, phi=0.5, theta=0.9)
    _, previous = _scalar_steps(jol.delta_bar_delta(0.1, average="previous", **kwargs), [1.0, -1.0])
    _, current = _scalar_steps(jol.delta_bar_delta(0.1, average="current", **kwargs), [1.0, -1.0])
    assert float(previous[0].rates[0]) == pytest.approx(0.1 * (1 - 0.5))  # c(1) = 0, c(2) < 0
    assert float(current[0].rates[0]) == pytest.approx(0.1 + 2 * 0.01)  # c > 0 at both steps


def test_delta_bar_delta_rates_stay_non_negative_with_phi_one():
    grads, values, _ = harness.gradient_stream(steps=60, seed=6)
    _, states = _run(jol.delta_bar_delta(0.05, kappa=0.01, phi=1.0, theta=0.5), grads)
    rates = _leaves(states, "rates")
    assert rates.min() == 0.0 and (rates >= 0).all()


def test_delta_bar_delta_sign_test_survives_float32_underflow():
    """ḡ·g of two 1e-30 gradients underflows to 0 in float32; the sign test still sees agreement."""
    _, (state, _) = _scalar_steps(jol.delta_bar_delta(0.1, kappa=0.01, phi=0.5, theta=0.5), [1e-30, 1e-30])
    assert float(state.rates[0]) == pytest.approx(0.11)


# ------------------------------------------------------------------------------------ Quickprop


@pytest.mark.parametrize("safeguard", [True, False])
def test_quickprop_first_step_is_a_gradient_step(safeguard):
    (u1,), _ = _scalar_steps(jol.quickprop(0.3, safeguard=safeguard), [2.0])
    assert u1 == pytest.approx(-0.3 * 2.0)


def test_bare_quickprop_solves_a_separable_quadratic_in_two_steps():
    a, b = jnp.array([0.5, 3.0, 20.0]), jnp.array([1.0, -2.0, 0.5])
    f = lambda x: jnp.sum(a * (x - b) ** 2)
    x, trace = jol.minimize(f, jnp.zeros(3), jol.quickprop(0.01, safeguard=False), 2)
    np.testing.assert_allclose(x, b, atol=1e-5)
    assert float(trace.loss[1]) > 1e-2 * float(trace.loss[0])  # the first step alone is far from it


def test_bare_quickprop_returns_zero_on_a_repeated_gradient_then_restarts():
    steps, _ = _scalar_steps(jol.quickprop(0.1, safeguard=False), [2.0, 2.0, 3.0])
    assert steps == [pytest.approx(-0.2), 0.0, pytest.approx(-0.3)]


def test_bare_quickprop_steps_saturate_instead_of_overflowing():
    """Near-equal huge slopes give secant ratios ~1e7; two of them in a row exceed float32's range."""
    g = [np.float32(1e30)]
    for _ in range(2):
        g.append(np.nextafter(g[-1], np.float32(np.inf)))
    steps, _ = _scalar_steps(jol.quickprop(1.0, safeguard=False), [float(x) for x in g])
    assert np.isfinite(steps).all() and abs(steps[2]) == float(np.finfo(np.float32).max)


def test_safeguarded_quickprop_caps_growth_at_max_growth():
    """Repeated gradient (p = s): the secant has no curvature; the step grows by μ plus the linear term."""
    steps, _ = _scalar_steps(jol.quickprop(0.1, max_growth=1.5), [2.0, 2.0, 2.0])
    assert steps[1] == pytest.approx(-0.1 * 2.0 + 1.5 * steps[0])
    assert steps[2] == pytest.approx(-0.1 * 2.0 + 1.5 * steps[1])


def test_safeguarded_quickprop_takes_the_secant_step_when_it_is_small():
    """f = x² from 1 with ε = 0.3: the secant lands on 0; Fahlman adds the linear term −εs as the slope still agrees."""
    steps, _ = _scalar_steps(jol.quickprop(0.3), [2.0, 0.8])  # g = 2x at x = 1 and x = 0.4
    assert steps[1] == pytest.approx(0.8 / (2.0 - 0.8) * -0.6 - 0.3 * 0.8)


def test_safeguarded_quickprop_converges_on_rosenbrock_and_the_bare_secant_stalls():
    """docs/spec/quickprop.md: from (−1.2, 1) with ε = 1e-3, 2000 steps: f = 1.5e-8 safeguarded, 2.7e-2 bare."""
    f = jol.problems.rosenbrock
    safe = float(jol.minimize(f, f.x0, jol.quickprop(1e-3), 2000)[1].loss[-1])
    bare = float(jol.minimize(f, f.x0, jol.quickprop(1e-3, safeguard=False), 2000)[1].loss[-1])
    assert safe < 1e-7
    assert bare > 1e-3


# ------------------------------------------------------------------------------------ Rprop


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("g", [3.0, -1e-30, 1e30])
def test_rprop_first_update_is_a_full_step(variant, g):
    (u1,), _ = _scalar_steps(jol.rprop(0.1, variant=variant), [g], values=[1.0])
    assert u1 == pytest.approx(-0.1 * np.sign(g))


def test_rprop_sign_test_survives_float32_underflow():
    """g(t−1)·g(t) = 1e-30 · 1e-30 underflows to 0 in float32 (the c = 0 branch); the sign test grows the step."""
    assert np.float32(1e-30) * np.float32(1e-30) == 0
    steps, _ = _scalar_steps(jol.rprop(0.1, eta_plus=1.2), [1e-30, 1e-30])
    assert steps[1] == pytest.approx(-0.12)


def test_irprop_minus_matches_torch_rprop_in_float64():
    grads, values, params0 = harness.gradient_stream(steps=100, seed=7)
    kwargs = {**RPROP, "variant": "irprop-"}
    with jax.enable_x64(True):
        ours = harness.run_updates(jol.rprop(**kwargs), grads, values, params0, dtype=jnp.float64)
    torch = ref.torch_rprop(grads, values, params0, **kwargs)
    np.testing.assert_allclose(ours, torch, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(ref.rprop(grads, values, params0, **kwargs), torch, rtol=1e-10, atol=1e-13)


def test_irprop_plus_equals_irprop_minus_while_the_loss_never_increases():
    grads, _, params0 = harness.gradient_stream(steps=60, seed=8)
    decreasing = 10.0 - np.arange(60.0)
    plus = harness.run_updates(jol.rprop(**{**RPROP, "variant": "irprop+"}), grads, decreasing, params0)
    minus = harness.run_updates(jol.rprop(**{**RPROP, "variant": "irprop-"}), grads, decreasing, params0)
    np.testing.assert_array_equal(plus, minus)


def test_irprop_plus_backtracks_exactly_where_the_loss_increased():
    grads, values, params0 = harness.gradient_stream(steps=60, seed=8)
    plus = harness.run_updates(jol.rprop(**{**RPROP, "variant": "irprop+"}), grads, values, params0)
    minus = harness.run_updates(jol.rprop(**{**RPROP, "variant": "irprop-"}), grads, values, params0)
    differs = (plus != minus).any(axis=1)
    went_up = np.r_[False, values[1:] > values[:-1]]
    assert differs.any() and not (differs & ~went_up).any()
    t = np.flatnonzero(differs)[0]
    undone = plus[t] != minus[t]
    np.testing.assert_array_equal(plus[t][undone], -plus[t - 1][undone])  # the last move, undone


def test_rprop_plus_accepts_value_but_does_not_need_it():
    grads, values, _ = harness.gradient_stream(steps=30, seed=9)
    tx = jol.rprop(**{**RPROP, "variant": "rprop+"})
    state_a = state_b = tx.init(harness.tree_of(np.zeros(harness.N)))
    for t, g in enumerate(grads):
        a, state_a = tx.update(harness.tree_of(g), state_a)
        b, state_b = tx.update(harness.tree_of(g), state_b, value=values[t])
        np.testing.assert_array_equal(harness.flat(a), harness.flat(b))


def test_optax_rprop_lags_one_step_behind_irprop_minus():
    """docs/spec/rprop.md, docs/spec/pitfalls.md#pitfall-1 (optax PR #1725): optax's first update is 0; later it
    returns our previous
    iRprop− update, zeroed where the sign just flipped. Documented, not hidden: optax is no reference."""
    grads, values, params0 = harness.gradient_stream(steps=60, seed=10)
    kwargs = dict(eta_minus=0.4, eta_plus=1.3)
    ours = harness.run_updates(jol.rprop(0.05, **kwargs, min_step=1e-6, max_step=50.0), grads, values, params0)
    theirs = harness.run_updates(optax.rprop(0.05, **kwargs), grads, values, params0)
    np.testing.assert_array_equal(theirs[0], 0.0)
    flipped = (ours[1:] == 0) & (grads[1:] != 0)  # iRprop− skips exactly where the sign flipped
    np.testing.assert_allclose(theirs[1:], np.where(flipped, 0.0, ours[:-1]), rtol=1e-6, atol=1e-9)
    assert np.abs(theirs - ours).max() > 0.05  # so the two really differ


@pytest.mark.parametrize("variant, lr, eta_minus, steps, f_max", [
    ("irprop-", 0.01, 0.7, 3000, 1e-6),
    ("irprop+", 0.01, 0.8, 2000, 1e-6),
    ("rprop+", 0.01, 0.8, 4000, 1e-6),
    ("rprop-", 0.01, 0.7, 5000, 2e-4),  # no backtracking: creeps along the valley (4.4e-5 measured)
])
def test_rprop_converges_on_rosenbrock(variant, lr, eta_minus, steps, f_max):
    f = jol.problems.rosenbrock
    _, trace = jol.minimize(f, f.x0, jol.rprop(lr, eta_minus=eta_minus, variant=variant), steps)
    assert float(trace.loss[-1]) < f_max


# ------------------------------------------------------------------------------------ convergence


@pytest.mark.parametrize("average", ["previous", "current"])
def test_delta_bar_delta_demo_values_converge(average):
    """docs/spec/delta-bar-delta.md: ½(x² + 100y²), η0 = 1e-3, κ = 1e-4: 1.7e-12 after 500 steps;
    Rosenbrock, η0 = 1e-4, κ = 1e-5: ≈ 2e-6 after 5000 steps (φ = 0.2, θ = 0.7 both)."""
    quadratic = lambda x: 0.5 * (x[0] ** 2 + 100 * x[1] ** 2)
    tx = jol.delta_bar_delta(1e-3, kappa=1e-4, phi=0.2, theta=0.7, average=average)
    assert float(jol.minimize(quadratic, jnp.ones(2), tx, 500)[1].loss[-1]) < 1e-10
    f = jol.problems.rosenbrock
    tx = jol.delta_bar_delta(1e-4, kappa=1e-5, phi=0.2, theta=0.7, average=average)
    assert float(jol.minimize(f, f.x0, tx, 5000)[1].loss[-1]) < 1e-5


def test_delta_delta_converges_on_rosenbrock_with_a_small_meta_rate():
    f = jol.problems.rosenbrock
    _, trace = jol.minimize(f, f.x0, jol.delta_delta(1e-3, meta_learning_rate=1e-6), 5000)
    assert float(trace.loss[-1]) < 1e-3 * float(trace.loss[0])


# ------------------------------------------------------------------------------------ non-finite gradients


def _with_nan(g, i=1):
    g = np.array(g, np.float64)
    g[i] = np.nan
    return g


def test_rprop_nan_gradient_gives_nan_there_only_and_is_forgotten_next_step():
    g = np.linspace(0.5, 1.5, harness.N)
    for variant in VARIANTS:
        tx = jol.rprop(**{**RPROP, "variant": variant})
        updates, states = _run(tx, np.stack([g, _with_nan(g), g, g]), values=[3.0, 2.0, 1.0, 0.5])
        assert np.isnan(updates[1, 1]) and np.isfinite(np.delete(updates[1], 1)).all()
        steps = _leaves(states, "step")
        assert steps[1, 1] == steps[0, 1]  # the step size of that weight is kept
        assert updates[2, 1] == pytest.approx(-steps[1, 1])  # next step: c = 0 branch, a plain step
        assert np.isfinite(updates[2:]).all()


def test_rprop_infinite_gradient_is_just_a_large_gradient():
    steps, _ = _scalar_steps(jol.rprop(0.1, eta_plus=1.2), [np.inf, 1.0])
    assert steps == [pytest.approx(-0.1), pytest.approx(-0.12)]


@pytest.mark.parametrize("safeguard", [True, False])
def test_quickprop_nan_gradient_gives_a_nan_step_then_a_restart(safeguard):
    g = np.linspace(0.5, 1.5, harness.N)
    updates, _ = _run(jol.quickprop(0.1, safeguard=safeguard), np.stack([g, _with_nan(0.5 * g), 2 * g]))
    assert np.isnan(updates[1, 1]) and np.isfinite(np.delete(updates[1], 1)).all()
    assert updates[2, 1] == pytest.approx(-0.1 * 2 * g[1])  # a NaN last move counts as no move


def test_delta_delta_nan_gradient_poisons_that_rate_and_apply_if_finite_skips_it():
    g = np.linspace(0.5, 1.5, harness.N)
    stream = np.stack([g, _with_nan(g), g])
    tx = jol.delta_delta(0.1, meta_learning_rate=0.01)
    updates, states = _run(tx, stream)
    assert np.isnan(updates[1:, 1]).all() and np.isnan(_leaves(states, "rates")[-1, 1])
    assert np.isfinite(np.delete(updates, 1, axis=1)).all()
    guarded, _ = _run(optax.apply_if_finite(tx, max_consecutive_errors=5), stream)
    assert np.isfinite(guarded).all() and (guarded[1] == 0).all()
    np.testing.assert_allclose(guarded[2], updates[0] * (0.1 + 0.01 * g * g) / 0.1, rtol=1e-6)


def test_delta_bar_delta_nan_gradient_freezes_that_rate():
    g = np.linspace(0.5, 1.5, harness.N)
    updates, states = _run(jol.delta_bar_delta(0.1, kappa=0.05, phi=0.5, theta=0.5),
                           np.stack([g, _with_nan(g), g, g, g]))
    rates = _leaves(states, "rates")
    assert np.isnan(updates[1, 1]) and np.isfinite(updates[2:]).all()
    assert (rates[1:, 1] == rates[1, 1]).all()  # frozen (c is NaN) ...
    assert (rates[2:, 0] > rates[1, 0]).all()  # ... while a clean weight keeps adapting


# ------------------------------------------------ the compiled step: in place, no temporaries (CPU HLO)
RULES_HLO = {
    "delta_delta": lambda: jol.delta_delta(1e-3, meta_learning_rate=1e-4),
    "delta_bar_delta": lambda: jol.delta_bar_delta(1e-3, kappa=1e-4, phi=0.2, theta=0.7),
    "quickprop": lambda: jol.quickprop(1e-3),
    **{f"rprop/{v}": (lambda v=v: jol.rprop(1e-3, variant=v)) for v in ("rprop+", "rprop-", "irprop+", "irprop-")},
}


def _compiled_step(tx, n: int):
    params = {"w": jnp.ones(n)}
    state = tx.init(params)

    def step(p, s, g, value):  # the loss comes in (as from value_and_grad), not read from the donated params
        u, s = tx.update(g, s, p, value=value)
        return optax.apply_updates(p, u), s

    return jax.jit(step, donate_argnums=(0, 1)).lower(params, state, params, jnp.float32(1.0)).compile()


@pytest.mark.cpu_only
@pytest.mark.parametrize("name", RULES_HLO)
def test_donated_step_updates_every_state_field_in_place_without_temporaries(name):
    """What ``rules._after`` is for: an old state field that one output reads and another overwrites
    would otherwise be copied aside (a full-size temporary); on CPU the step needs none."""
    n = 1 << 14
    compiled = _compiled_step(RULES_HLO[name](), n)
    assert compiled.memory_analysis().temp_size_in_bytes <= 64  # scalars at most (irprop+: 4 bytes); a copy is 64 KiB
    assert len(re.findall(rf"= f32\[{n}\]\{{0\}} copy\(", compiled.as_text())) == 0
