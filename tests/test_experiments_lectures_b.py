"""Warmup, L-BFGS on mini-batches, saddles, Newton's cost and input standardization: the numbers behind their claims.

Each test reads the quick run of its experiment from the shared tour (``quick_tour``) and asserts
what the lecture claims on those numbers, with margins the quick configuration meets on any seed
tried; timings (``newton_cost``) are asserted only through a loose growth ratio, never in seconds.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from experiments import _claims, lbfgs_minibatch, newton_cost, saddles, standardization, warmup

pytestmark = pytest.mark.slow  # the shared tour runs every experiment once (minutes on CI)


def results(quick_tour, name):
    return quick_tour[1][name]["results"]


def verdicts(module, r) -> dict:
    return {c.id: c.evaluate(r, module.__name__)["verdict"] for c in module.CLAIMS}


def test_warmup_prevents_the_explosion_and_decay_lowers_the_train_loss(quick_tour):
    r = results(quick_tour, "warmup")
    without, with_ = r["warmup"]["no warmup"], r["warmup"][f"warmup {warmup.WARMUP_STEPS} steps"]
    assert without["diverged_fraction"] == 1.0  # every seed: inf/NaN or no better than a uniform guess
    assert not np.all(np.isfinite(without["batch_loss"]))  # the loss really explodes, not just stalls
    assert with_["diverged_fraction"] == 0.0
    assert np.all(with_["final_loss"] < 1.0) and np.all(with_["final_accuracy"] > 0.8)
    s = r["schedules"]
    assert set(s) == {"constant", "step (×0.1 at 50 %, 75 %)", "cosine", "SGDR (4 cycles)"}
    assert s["cosine"]["rate"][0] == pytest.approx(warmup.SCHEDULE_PEAK) and s["cosine"]["rate"][-1] < 1e-3
    for name, row in s.items():  # every schedule trains the tanh MLP (table without nan)
        assert math.isfinite(row["final_train_loss"]) and row["final_accuracy"] > 0.9, name
    measured = warmup.CLAIMS[1].measure(r)
    assert measured["decayed_over_constant"] < 1.0  # step or cosine ends below the constant rate
    assert verdicts(warmup, r)["warmup-prevents-explosion"] == _claims.REPRODUCED


def test_lbfgs_converges_full_batch_and_stalls_on_minibatches(quick_tour):
    r = results(quick_tour, "lbfgs_minibatch")
    m = r["methods"]
    full, mini, adam = m["L-BFGS, full batch"], m["L-BFGS, mini-batch 64"], m["Adam 1e-2, mini-batch 64"]
    assert 0.2 < r["f_star"] < 0.3  # SciPy's float64 reference minimum of the regularised objective
    assert min(np.min(x["gap"]) for x in m.values()) > -1e-5  # F* is a lower bound up to float32 rounding
    assert full["final_gap"] < 1e-4
    assert mini["final_gap"] > 100 * full["final_gap"]
    assert mini["gap_last_over_half"] > 0.4  # the mini-batch L-BFGS gap has stopped falling …
    assert adam["gap_last_over_half"] < 0.6  # … while Adam's still falls
    assert verdicts(lbfgs_minibatch, r)["lbfgs-deterministic-full-batch"] == _claims.REPRODUCED


def test_gd_stuck_on_the_saddle_and_minima_by_basin(quick_tour):
    r = results(quick_tour, "saddles")
    on, off = (r["saddle"][k] for k in saddles.SADDLE_STARTS)
    assert on["final_distance"] < 1e-4 and on["final_grad_norm"] < 1e-4  # converged to the saddle
    assert off["final_distance"] > 10 and off["final_loss"] < -100  # escaped, f unbounded below
    h = r["himmelblau"]
    assert h["minima_reached"] == 4 and h["fraction_unconverged"] == 0.0
    assert min(h["counts"]) >= 0.1 * sum(h["counts"])  # each of the four basins is a real share of the grid
    assert np.all(h["final_loss"] < 1e-6)
    c = r["three_hump_camel"]
    assert c["minima_reached"] == 3
    assert 0.1 < c["fraction_local"] < 0.9 and c["fraction_global"] + c["fraction_local"] == pytest.approx(1.0)
    local = np.asarray(c["label"]) >= c["n_global"]
    assert np.allclose(np.asarray(c["final_loss"])[local], 0.29864, atol=1e-4)  # f at the local minima
    assert all(v == _claims.REPRODUCED for v in verdicts(saddles, r).values())


def test_newton_step_time_grows_faster_than_a_first_order_step(quick_tour):
    r = results(quick_tour, "newton_cost")
    assert r["sizes"] == list(newton_cost.QUICK["sizes"])
    for part, seconds in r["seconds"].items():
        assert all(0 < s < 60 for s in seconds), part
    # loose, load-tolerant: the Newton/first-order ratio grows as N grows 6× (∝ N expected)
    assert r["ratio_growth"] > 3.0
    assert r["seconds"]["newton step"][-1] > r["seconds"]["newton step"][0]


def test_tanh_units_saturate_on_raw_pixels_and_standardized_inputs_train_best(quick_tour):
    r = results(quick_tour, "standardization")
    raw, unit, std = (r[k] for k in standardization.INPUTS)
    assert raw["preactivation_std_init"] > 5 and 0.8 < std["preactivation_std_init"] < 1.2
    assert raw["saturated_init"] > 0.5 and std["saturated_init"] < 0.05 and unit["saturated_init"] < 0.01
    assert std["final_train_loss"] < 0.5 * raw["final_train_loss"]
    assert std["final_train_loss"] < unit["final_train_loss"]
    assert std["best_rate"] > raw["best_rate"]  # standardized inputs tolerate a larger rate
    assert not math.isfinite(raw["final_train_loss_per_rate"][-1]) or raw["final_train_loss_per_rate"][-1] > 1.0
    assert all(v == _claims.REPRODUCED for v in verdicts(standardization, r).values())
