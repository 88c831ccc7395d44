"""The lecture experiments robbins_monro, adaptive_startup, regularization and momentum_memory.

Their ``--quick`` runs come from the shared tour (``quick_tour`` in tests/conftest.py), so this
file adds no experiment run of its own to the suite. Expected values are the lectures' formulas,
computed here, not read from the experiments.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from experiments import _claims

MINE = ("robbins_monro", "adaptive_startup", "regularization", "momentum_memory")
DESIGNED_PARTLY = {"rm-unbiased-is-enough", "reg-l2-is-weight-decay"}  # the lecture's words hold only in part


@pytest.fixture(scope="module")
def runs(quick_tour) -> dict:
    return {name: quick_tour[1][name] for name in MINE}


@pytest.mark.parametrize("name", MINE)
def test_figures_are_the_captioned_ones(runs, name):
    module = importlib.import_module(f"experiments.{name}")
    stems = sorted(p.stem for p in runs[name]["figures"])
    assert stems == sorted(module.CAPTIONS)
    assert all(p.stat().st_size > 10_000 for p in runs[name]["figures"])


@pytest.mark.parametrize("name", MINE)
def test_claim_verdicts(runs, name):
    module = importlib.import_module(f"experiments.{name}")
    for claim in module.CLAIMS:
        entry = claim.evaluate(runs[name]["results"], name)
        expected = _claims.PARTLY if claim.id in DESIGNED_PARTLY else _claims.REPRODUCED
        assert entry["verdict"] == expected, entry


def test_robbins_monro_constant_rates_stall_at_a_floor_proportional_to_eta(runs):
    r = runs["robbins_monro"]["results"]
    lam = np.linspace(0.5, 2.0, 10)
    floors = []
    for run in r["constant"].values():
        predicted = np.sum(run["eta"] / (2 * (2 - run["eta"] * lam)))  # ½λ·Var of θ ← (1−ηλ)θ − ηξ, σ = 1
        assert run["floor"] == pytest.approx(predicted, rel=0.1)
        assert abs(run["late_slope"]) < 0.1  # flat: no further progress
        floors.append(run["floor"])
    assert len(floors) >= 3 and np.all(np.diff(floors) > 0)


def test_robbins_monro_decaying_rates_keep_converging(runs):
    r = runs["robbins_monro"]["results"]
    lowest = min(run["floor"] for run in r["constant"].values())
    assert r["decaying"]["1/t"]["final"] * 10 <= lowest
    assert r["decaying"]["1/√t"]["final"] < lowest
    assert r["decaying"]["1/t"]["late_slope"] == pytest.approx(-1.0, abs=0.15)
    assert r["decaying"]["1/√t"]["late_slope"] == pytest.approx(-0.5, abs=0.1)


def test_adaptive_first_steps(runs):
    opt = runs["adaptive_startup"]["results"]["optimizers"]
    assert opt["RMSProp (ρ = 0.9)"]["first_step"] == pytest.approx(1 / np.sqrt(1 - 0.9), rel=0.01)
    assert opt["Adam, no bias correction"]["first_step"] == pytest.approx((1 - 0.9) / np.sqrt(1 - 0.999), rel=0.01)
    assert opt["Adam"]["first_step"] == pytest.approx(1.0, rel=0.01)
    assert opt["AdaGrad"]["first_step"] == pytest.approx(1.0, rel=0.01)
    for r in opt.values():  # the same step for |g| = 1e-3, 1, 1e3
        assert r["scale_spread"] < 1e-3


def test_adaptive_weight_sum_and_adagrad_decay(runs):
    r = runs["adaptive_startup"]["results"]
    t = np.arange(1, 51)
    np.testing.assert_allclose(r["weight_sum"]["measured"], 1 - 0.9**t, atol=1e-6)
    assert r["adagrad_slope"] == pytest.approx(-0.5, abs=0.005)
    steps = len(r["t"])
    assert r["adagrad_last_over_first"] == pytest.approx(1 / np.sqrt(steps), rel=0.01)
    almost = r["optimizers"]["Adam, no bias correction"]["step"]
    np.testing.assert_allclose(almost[:50], (1 - 0.9**t) / np.sqrt(1 - 0.999**t), rtol=1e-3)


def test_regularization_coupled_equals_decoupled_for_sgd_only(runs):
    d = runs["regularization"]["results"]["decay"]
    assert d["sgd"]["max_distance"] <= 1e-4
    assert d["adam"]["max_distance"] >= 1e-2
    assert d["adam"]["norm_l2"] < d["adam"]["norm_decay"]  # coupled L2 hits the small-gradient weights hardest
    for name in ("sgd", "adam"):
        assert min(d[name]["accuracy_l2"], d[name]["accuracy_decay"]) > 0.85


def test_regularization_l1_gives_exact_zeros_l2_none(runs):
    s = runs["regularization"]["results"]["sparsity"]
    l1, l2 = np.asarray(s["l1_zeros"]), np.asarray(s["l2_zeros"])
    assert np.all(l1 > 0) and l1[-1] >= 0.3
    assert np.all(np.diff(l1) >= 0)  # more zeros as λ grows
    assert np.all(l2 == 0) and s["l2_min_abs_weight"] > 0


def test_regularization_lecture_example(runs):
    e = runs["regularization"]["results"]["example"]
    lam = e["lambda"]
    # min (Σw − 1)² + λ‖w‖²: symmetric c with 2(4c − 1) + 2λc = 0; min (Σw − 1)² + λ‖w‖₁ from w₁: [1 − λ/2, 0, 0, 0]
    np.testing.assert_allclose(e["l2"], np.full(4, 1 / (4 + lam)), rtol=1e-4)
    np.testing.assert_allclose(e["l1"], [1 - lam / 2, 0, 0, 0], atol=1e-5)
    assert e["l1_zeros"] == 3


@pytest.mark.parametrize("beta", [0.5, 0.9, 0.99])
def test_momentum_impulse_response_and_gains(runs, beta):
    m = runs["momentum_memory"]["results"]["memory"][str(beta)]
    k = np.arange(len(m["impulse"]))
    np.testing.assert_allclose(m["impulse"], beta**k, atol=1e-5)
    assert m["memory"] == pytest.approx(1 / (1 - beta), rel=1e-3)
    assert m["constant_gain"] == pytest.approx(1 / (1 - beta), rel=1e-3)
    assert m["alternating_gain"] == pytest.approx(1 / (1 + beta), rel=1e-2)


def test_momentum_canyon_and_forms(runs):
    c = runs["momentum_memory"]["results"]["canyon"]
    assert c["flat_progress_ratio"] >= 5
    assert c["forms_gap"] <= 1e-5
    assert c["forms_gap_schedule"] >= 1e-3  # under a changing rate trace and velocity forms differ
