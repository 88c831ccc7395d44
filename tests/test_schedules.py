"""Learning-rate schedules and reduce_on_plateau (docs/spec/schedules.md, docs/spec/references.md): references,
counting, jit/vmap.

Tolerance: our float32 values against the float64 NumPy closed form and against optax (float32)
/ torch (float64) at counts 0…1199: ``rtol=1e-6`` with ``atol=1e-6·max|η|`` — the
docs/spec/conventions.md#reference-check-protocol metric
max|ours − ref| / max|ref|. A pure relative error is not meaningful where a schedule decays to 0
(cos near π in float32 leaves an absolute error of ~1e-8·η0 on a value of ~1e-7·η0).
"""

from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxopt_lectures as jol
from tests.reference.schedules import plateau_scales, scripted_loss, torch_plateau_rates, torch_rates
from tests import harness
from tests.registry.schedules import N_COUNTS, SCHEDULES, np_sgdr

RTOL = 1e-6
COUNTS = np.arange(N_COUNTS)
by_id = dict(ids=lambda row: row.id)


def assert_close(ours, expected):
    ours, expected = np.asarray(ours, np.float64), np.asarray(expected, np.float64)
    ok = np.isfinite(expected)
    assert ok.sum() > 0 and np.abs(expected[ok]).max() > 0, "a reference that is all zero or NaN proves nothing"
    np.testing.assert_allclose(ours[ok], expected[ok], rtol=RTOL, atol=RTOL * np.abs(expected[ok]).max())


@pytest.mark.parametrize("row", SCHEDULES, **by_id)
def test_matches_numpy_closed_form_at_1200_counts(row):
    assert_close(row.build()(jnp.asarray(COUNTS)), row.closed_form(COUNTS.astype(np.float64)))


@pytest.mark.parametrize("row, name", [(r, n) for r in SCHEDULES for n in r.references],
                         ids=lambda x: x.id if hasattr(x, "id") else x.split("(")[0])
def test_matches_optax_or_torch_reference(row, name):
    assert_close(row.build()(jnp.asarray(COUNTS)), row.references[name](N_COUNTS))


@pytest.mark.parametrize("row", SCHEDULES, **by_id)
def test_float_counts_follow_the_closed_form(row):
    t = COUNTS[::7] + 0.37
    assert_close(row.build()(jnp.asarray(t, jnp.float32)), row.closed_form(t.astype(np.float32).astype(np.float64)))


@pytest.mark.parametrize("row", SCHEDULES, **by_id)
def test_scalar_int_counts_under_jit_equal_array_evaluation(row):
    schedule, counts = row.build(), [0, 1, 99, 100, 101, 599, 600, 1199]
    jitted = jax.jit(schedule)
    array = np.asarray(schedule(jnp.asarray(counts)), np.float64)
    for i, c in enumerate(counts):
        assert float(jitted(jnp.int32(c))) == pytest.approx(array[i], rel=RTOL, abs=RTOL * np.abs(array).max())
        assert float(schedule(c)) == pytest.approx(array[i], rel=RTOL, abs=RTOL * np.abs(array).max())


@pytest.mark.parametrize("row", [r for r in SCHEDULES if r.batch], **by_id)
def test_vmap_over_its_own_hyperparameters_equals_a_loop(row):
    names = list(row.batch)
    columns = [np.asarray(row.batch[n]) for n in names]
    t = jnp.asarray(COUNTS[::13])
    batched = jax.vmap(lambda *values: row.build(**dict(zip(names, values)))(t))(*map(jnp.asarray, columns))
    for i in range(len(columns[0])):
        python = {n: (c[i].tolist()) for n, c in zip(names, columns)}
        np.testing.assert_allclose(batched[i], row.build(**python)(t), rtol=2e-6, atol=1e-9)


def test_optax_warmup_cosine_cannot_vmap_over_the_peak_but_ours_can():
    peaks, t = jnp.asarray([0.1, 0.5, 1.0]), jnp.arange(0, 900, 50)
    with pytest.raises(jax.errors.TracerBoolConversionError):  # optax branches in Python on peak_value
        jax.vmap(lambda p: optax.warmup_cosine_decay_schedule(0.0, p, 100, 900)(t))(peaks)
    ours = jax.vmap(lambda p: jol.linear_warmup(jol.cosine_decay(p, 800), 100)(t))(peaks)
    for i, p in enumerate([0.1, 0.5, 1.0]):
        np.testing.assert_allclose(ours[i], optax.warmup_cosine_decay_schedule(0.0, p, 100, 900)(t), rtol=RTOL, atol=RTOL * p)


@pytest.mark.parametrize("row, bad, arg", [(r, b, a) for r in SCHEDULES for b, a in r.invalid],
                         ids=lambda x: x.id if hasattr(x, "id") else None)
def test_invalid_hyperparameter_raises_value_error_naming_it(row, bad, arg):
    with pytest.raises(ValueError, match="^" + re.escape(f"{arg}={bad[arg]!r} must be ")):
        row.build(**bad)


@pytest.mark.parametrize("row", SCHEDULES, **by_id)
def test_works_as_the_learning_rate_of_an_optimizer_from_count_zero(row):
    """The first update uses schedule(0): sgd's update t is −schedule(t)·g (docs/spec/conventions.md#notation)."""
    grads, values, params0 = harness.gradient_stream(steps=12)
    schedule = row.build()
    updates = harness.run_updates(jol.sgd(schedule), grads, values, params0)
    rates = np.asarray(schedule(jnp.arange(12)), np.float64)
    np.testing.assert_allclose(updates, -rates[:, None] * grads, rtol=1e-6, atol=1e-9)


# ---- counting conventions and the lectures' facts --------------------------------------------------

def test_step_decay_drops_at_the_boundary_count_itself():
    s = jol.step_decay(1.0, [30, 60, 90])
    np.testing.assert_allclose(s(jnp.asarray([29, 30, 59, 60, 89, 90])), [1, 0.1, 0.1, 0.01, 0.01, 0.001], rtol=1e-6)


def test_per_epoch_gives_every_update_of_an_epoch_the_epochs_rate():
    """CS231n's ×0.1 at epochs 30, 60, 90 with 50 updates per epoch: epoch 30 starts at update 1500."""
    s = jol.per_epoch(jol.step_decay(1.0, [30, 60, 90]), steps_per_epoch=50)
    np.testing.assert_allclose(s(jnp.asarray([0, 1499, 1500, 1549, 2999, 3000, 4500])),
                               [1, 1, 0.1, 0.1, 0.1, 0.01, 0.001], rtol=1e-6)
    assert float(s(1500.0)) == pytest.approx(0.1)  # float counts too


def test_inverse_sqrt_uses_the_one_based_step_so_count_zero_is_finite():
    assert float(jol.inverse_sqrt_decay(0.3)(0)) == pytest.approx(0.3)  # 1/√s at s = 1, not 1/√0
    s = jol.inverse_sqrt_decay(0.3, warmup_steps=50)
    values = np.asarray(s(jnp.arange(200)))
    assert values.argmax() == 49 and values.max() == pytest.approx(0.3) and values[0] == pytest.approx(0.3 / 50)


def test_transformer_peaks_at_count_warmup_minus_one_with_value_from_the_paper():
    values = np.asarray(jol.transformer_schedule(512, 4000)(jnp.arange(10_000)))
    assert values.argmax() == 3999
    assert values.max() == pytest.approx((512 * 4000) ** -0.5, rel=1e-6)  # 6.99e-4 (docs/spec/schedules.md)
    assert values[0] > 0


def test_inverse_sqrt_with_warmup_is_a_rescaled_transformer_schedule():
    t, d, w = jnp.arange(5000), 512, 300
    np.testing.assert_allclose(jol.inverse_sqrt_decay(0.7, w)(t), 0.7 * np.sqrt(d * w) * jol.transformer_schedule(d, w)(t),
                               rtol=1e-6)


def test_linear_warmup_makes_the_first_update_a_no_op_and_then_shifts_the_schedule():
    inner = jol.cosine_decay(0.2, 800)
    s = jol.linear_warmup(inner, 100)
    assert float(s(0)) == 0.0 and float(s(50)) == pytest.approx(0.1) and float(s(100)) == float(inner(0))
    np.testing.assert_array_equal(s(jnp.arange(100, 1000)), inner(jnp.arange(0, 900)))
    np.testing.assert_array_equal(jol.linear_warmup(inner, 0)(jnp.arange(50)), inner(jnp.arange(50)))


def test_linear_warmup_gives_finite_gradients_when_the_wrapped_schedule_is_singular_before_zero():
    grad = jax.grad(lambda peak: jol.linear_warmup(jol.inverse_sqrt_decay(peak), 10)(3))(0.5)
    assert np.isfinite(grad) and grad == pytest.approx(0.3)


def test_cyclic_starts_at_min_and_peaks_at_half_period():
    s = jol.cyclic_triangular(0.01, 0.1, half_period=125)
    np.testing.assert_allclose(s(jnp.asarray([0, 125, 250, 375, 500])), [0.01, 0.1, 0.01, 0.1, 0.01], rtol=1e-6)


@pytest.mark.parametrize("make", [lambda: jol.cosine_decay(0.2, 300, alpha=0.1), lambda: jol.linear_decay(0.2, 0.02, 300),
                                  lambda: jol.polynomial_decay(0.2, 0.02, 3.0, 300)], ids=["cosine", "linear", "polynomial"])
def test_decays_with_a_horizon_stay_at_their_end_value_after_it(make):
    """The bare seed formula ½η0(1 + cos(πt/T)) would rise again after T; ours is clamped."""
    values = np.asarray(make()(jnp.arange(300, 2000)))
    np.testing.assert_allclose(values, 0.02, rtol=1e-6)


@pytest.mark.parametrize("mult", [1, 2, 3])
def test_sgdr_is_exactly_init_value_at_every_restart_count(mult):
    period, init = 7, 0.1
    restarts = [period * i for i in range(1, 3000, 37)] if mult == 1 else \
        [period * (mult**i - 1) // (mult - 1) for i in range(1, 40) if period * (mult**i - 1) // (mult - 1) < 2**24]
    s = jol.sgdr(init, period, period_mult=mult, min_value=0.013)
    for counts in (jnp.asarray(restarts, jnp.int32), jnp.asarray(restarts, jnp.float32)):
        np.testing.assert_array_equal(s(counts), np.float32(init))
    before = np.asarray(s(jnp.asarray(restarts) - 1), np.float64)  # the last count of the previous cycle
    np.testing.assert_allclose(before, np_sgdr(np.asarray(restarts) - 1.0, init, period, mult, 0.013), rtol=1e-5)


def test_sgdr_cycle_lengths_grow_by_period_mult():
    values = np.asarray(jol.sgdr(1.0, 10, period_mult=2)(jnp.arange(400)))
    assert list(np.flatnonzero(values == 1.0)) == [0, 10, 30, 70, 150, 310]


def test_exponential_decay_argument_order_differs_from_optax():
    """Ours: (init, decay_rate, decay_steps); optax: (init, transition_steps, decay_rate)."""
    t = jnp.arange(100)
    np.testing.assert_allclose(jol.exponential_decay(1.0, 0.5, 10)(t), optax.exponential_decay(1.0, 10, 0.5)(t), rtol=1e-6)
    assert not np.allclose(jol.exponential_decay(1.0, 0.5, 10)(t), optax.exponential_decay(1.0, 0.5, 10)(t))


def test_per_step_exponential_decay_is_float32_exact_where_optax_power_drifts():
    """r**t with r rounded to float32 drifts by t·eps; ours evaluates exp(t·log r) with log r from float64."""
    t, exact = jnp.arange(N_COUNTS), torch_rates("ExponentialLR", 0.1, N_COUNTS, gamma=0.997)
    deviation = lambda v: np.abs(np.asarray(v, np.float64) - exact).max() / exact.max()
    assert deviation(jol.exponential_decay(0.1, 0.997)(t)) < 1e-6
    assert deviation(optax.exponential_decay(0.1, 1, 0.997)(t)) > 1e-6  # measured 2.6e-6 (ours 6.9e-8)


def test_invalid_arguments_raise_where_optax_returns_a_constant_schedule():
    assert float(optax.exponential_decay(1.0, 0, 0.5)(100)) == 1.0  # optax: silently constant
    with pytest.raises(ValueError, match="^decay_steps=0 must be"):
        jol.exponential_decay(1.0, 0.5, 0)


def test_batch_size_scaled_always_returns_a_schedule():
    s = jol.batch_size_scaled(0.1, 256, 32)
    assert callable(s) and float(s(0)) == pytest.approx(0.8) and float(s(10**6)) == pytest.approx(0.8)


def test_robbins_monro_partial_sums():
    """Per decade of counts: Σ1/t grows by η0·k/r·ln 10 and its Σα² tail vanishes; Σ of 1/√s squares grows by η0² ln 10."""
    with jax.enable_x64(True):
        def decade(s, lo, hi, p):
            return float(jnp.sum(s(jnp.arange(lo, hi, dtype=jnp.float64)) ** p))
        inv_time = jol.inverse_time_decay(1.0, 1.0)
        assert decade(inv_time, 10**5, 10**6, 1) == pytest.approx(np.log(10), rel=1e-4)  # Σα = ∞
        assert decade(inv_time, 10**5, 10**6, 2) < 1e-5  # Σα² converges (tail ~ 1/t)
        inv_sqrt = jol.inverse_sqrt_decay(1.0)
        assert decade(inv_sqrt, 10**5, 10**6, 2) == pytest.approx(np.log(10), rel=1e-4)  # Σα² = ∞, logarithmically
        exponential = jol.exponential_decay(1.0, 0.5, 10)
        assert decade(exponential, 0, 10**4, 1) == pytest.approx(1 / (1 - 0.5**0.1), rel=1e-9)  # Σα < ∞


# ---- reduce_on_plateau ---------------------------------------------------------------------------

PLATEAU_CONFIGS = [dict(factor=0.5, patience=1), dict(factor=0.5, patience=3), dict(factor=0.3, patience=10, cooldown=5),
                   dict(factor=0.5, patience=2, cooldown=2, min_scale=0.05),
                   dict(factor=0.5, patience=2, rtol=0.0, atol=0.01, accumulation_size=3)]


@pytest.mark.parametrize("config", PLATEAU_CONFIGS, ids=str)
def test_plateau_scale_sequence_equals_optax_contrib(config):
    losses = scripted_loss(400)
    ours = plateau_scales(jol.reduce_on_plateau(**config), losses)
    assert np.unique(ours).size >= 3, "the scripted loss must trigger several reductions"
    np.testing.assert_array_equal(ours, plateau_scales(optax.contrib.reduce_on_plateau(**config), losses))


@pytest.mark.parametrize("config", [c for c in PLATEAU_CONFIGS if c.get("accumulation_size", 1) == 1 and "atol" not in c],
                         ids=str)
def test_plateau_with_patience_p_equals_torch_with_patience_p_minus_one(config):
    """torch reduces when #bad > patience, optax/ours when #bad == patience: torch lags by one evaluation."""
    losses = scripted_loss(400)
    ours = plateau_scales(jol.reduce_on_plateau(**config), losses)
    torch_kwargs = dict(factor=config["factor"], patience=config["patience"] - 1, cooldown=config.get("cooldown", 0),
                        min_lr=config.get("min_scale", 0.0))
    np.testing.assert_allclose(ours, torch_plateau_rates(losses, **torch_kwargs), rtol=1e-6, atol=1e-30)  # f32 underflow
    same_patience = torch_plateau_rates(losses, **{**torch_kwargs, "patience": config["patience"]})
    assert not np.allclose(ours, same_patience)


def test_plateau_with_a_constant_loss_reduces_at_evaluation_patience_plus_one_on_that_update():
    """The first value improves on +inf; `patience` equal values later the scale drops, on that very update."""
    scales = plateau_scales(jol.reduce_on_plateau(factor=0.5, patience=3), np.full(12, 2.0))
    np.testing.assert_array_equal(scales, [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125, 0.125, 0.125])


def test_plateau_cooldown_holds_the_counter_and_min_scale_floors_the_scale():
    scales = plateau_scales(jol.reduce_on_plateau(factor=0.1, patience=1, cooldown=2, min_scale=0.005), np.full(10, 1.0))
    np.testing.assert_allclose(scales, [1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.005, 0.005, 0.005], rtol=1e-6)


def test_plateau_averages_accumulation_size_values_per_evaluation():
    """Pairs (3, 1), (1, 3) have the same mean 2: the second pair is a plateau."""
    scales = plateau_scales(jol.reduce_on_plateau(factor=0.5, patience=1, accumulation_size=2), [3.0, 1.0, 1.0, 3.0, 0.5, 0.5])
    np.testing.assert_array_equal(scales, [1, 1, 1, 0.5, 0.5, 0.5])


def test_plateau_patience_zero_raises_where_optax_reduces_on_improvements_instead():
    """optax compares the counter with == patience: with 0 it fires exactly when the loss improves."""
    improving = plateau_scales(optax.contrib.reduce_on_plateau(factor=0.5, patience=0), np.linspace(2.0, 1.0, 5))
    np.testing.assert_array_equal(improving, [0.5, 0.25, 0.125, 0.0625, 0.03125])
    constant = plateau_scales(optax.contrib.reduce_on_plateau(factor=0.5, patience=0), np.full(5, 1.0))
    np.testing.assert_array_equal(constant, [0.5] * 5)  # only the first evaluation (an improvement on +inf)
    with pytest.raises(ValueError, match="^patience=0 must be >= 1"):
        jol.reduce_on_plateau(patience=0)


def test_plateau_updates_keep_the_gradient_dtype_with_float32_params():
    tx, params = jol.reduce_on_plateau(), jnp.zeros(3, jnp.float32)
    updates, state = tx.update(jnp.ones(3, jnp.bfloat16), tx.init(params), value=1.0)
    assert updates.dtype == jnp.bfloat16 and state.scale.dtype == jnp.float32


# ----------------------------------------------- exact boundaries: floors and comparisons of integer counts
# XLA may compute t/k as t·(1/k), which in float32 rounds just below an integer at exact multiples of k
# (under jit on CPU: 51 of decay_steps = 1…400 decayed one step late). Integer counts use integer arithmetic.
def _multiples(k: int, n: int = 4) -> np.ndarray:
    return np.array([j * k + d for j in range(1, n + 1) for d in (-1, 0)])


@pytest.mark.parametrize("dtype", [jnp.int32, jnp.float32])
def test_staircase_decays_exactly_at_every_multiple_of_decay_steps(dtype):
    wrong = []
    for k in (1, 2, 3, 7, 41, 47, 55, 61, 82, 83, 94, 97, 107, 109):  # all but 1, 2, 3, 7 failed before
        counts = _multiples(k)
        got = np.asarray(jax.jit(jol.exponential_decay(1.0, 0.5, decay_steps=k, staircase=True))(counts.astype(dtype)))
        if not np.array_equal(got, 0.5 ** (counts // k)):
            wrong.append(k)
    assert wrong == []


def test_step_decay_compares_integer_counts_exactly_beyond_float32_integers():
    boundary = 2**24 + 1  # float32(2**24 + 1) == 2**24: a float comparison drops one count early
    s = jax.jit(jol.step_decay(1.0, [boundary], factor=0.5))
    assert np.asarray(s(jnp.asarray([boundary - 1, boundary], jnp.int32))).tolist() == [1.0, 0.5]


@pytest.mark.parametrize("dtype", [jnp.int32, jnp.float32])
@pytest.mark.parametrize("period, mult", [(5, 4), (7, 3), (3, 5), (10, 1)])
def test_sgdr_restarts_exactly_for_every_period_mult(period, mult, dtype):
    restarts = np.cumsum([0] + [period * mult**i for i in range(12)])
    restarts = restarts[restarts < 2**22]
    values = np.asarray(jax.jit(jol.sgdr(1.0, period=period, period_mult=mult))(restarts.astype(dtype)))
    assert np.array_equal(values, np.ones_like(values))


@pytest.mark.parametrize("dtype", [jnp.int32, jnp.float32])
def test_cyclic_and_per_epoch_are_exact_at_every_period(dtype):
    for h in (1, 3, 7, 41, 47, 55, 61):  # the cycle index is exact; the peak h/h may be 1 − 1 ulp in float32
        counts = np.arange(0, 8 * h + 1, h)
        got = np.asarray(jax.jit(jol.cyclic_triangular(0.0, 1.0, half_period=h))(counts.astype(dtype)))
        np.testing.assert_allclose(got, np.arange(len(counts)) % 2, rtol=0, atol=1e-7, err_msg=str(h))
    epochs = jax.jit(jol.per_epoch(lambda e: jnp.asarray(e, jnp.float32), steps_per_epoch=3.0))
    assert np.asarray(epochs(np.array([2, 3, 299, 300]).astype(dtype))).tolist() == [0, 1, 99, 100]
