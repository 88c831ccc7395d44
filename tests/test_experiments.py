"""Each experiment's ``run`` on a tiny config, asserting on the numbers it returns."""

from __future__ import annotations

import numpy as np

from experiments import tour


def test_trajectories_momentum_beats_sgd_and_every_method_leaves_the_saddle():
    from experiments import trajectories

    r = trajectories.run({"steps": 400, "grid": 4})
    assert r["rosenbrock"]["momentum trace"]["final_loss"] < 0.1 * r["rosenbrock"]["sgd"]["final_loss"]
    assert all(run["steps"] is not None and run["steps"] < 400 for run in r["saddle"].values())
    assert r["quadratic"]["nesterov"]["steps"] < (r["quadratic"]["sgd"]["steps"] or float("inf"))


def test_tour_quick_writes_the_page_with_every_figure(tmp_path):
    tour.run_all(tmp_path, quick=True, names=("quadratic_dynamics",))
    page = (tmp_path / "index.html").read_text()
    pngs = list(tmp_path.rglob("*.png"))
    assert len(pngs) >= 4
    for png in pngs:
        assert png.relative_to(tmp_path).as_posix() in page
    assert (tmp_path / "quadratic_dynamics" / "quadratic_dynamics.json").exists()


def test_quadratic_dynamics_numbers_match_the_lectures():
    from experiments import quadratic_dynamics as qd

    r = qd.run(qd.QUICK)
    assert r["closed_form"]["max_abs_error"] < 1e-12  # float64 iterates = (1 − αλ)^t θ0 ([003])
    for name, row in r["theorem"].items():  # [001] Thm 7.1 holds for η ≤ 1/L
        if row["within_theorem"]:
            assert row["max_ratio"] <= 1.0, name
    for row in r["step_sizes"].values():
        if row["predicted_rate"] < 1:
            assert abs(row["measured_rate"] - row["predicted_rate"]) < 0.02
    steps = {int(k): v for k, v in r["momentum"].items()}
    k_lo, k_hi = min(steps), max(steps)
    gd_growth = steps[k_hi]["gd 2/(μ+L)"] / steps[k_lo]["gd 2/(μ+L)"]
    hb_growth = steps[k_hi]["heavy ball"] / steps[k_lo]["heavy ball"]
    ratio = k_hi / k_lo
    assert 0.7 * ratio < gd_growth < 1.3 * ratio  # GD: steps ∝ κ
    assert 0.7 * ratio**0.5 < hb_growth < 1.3 * ratio**0.5  # heavy ball: steps ∝ √κ


def test_digits_adam_softmax_accuracy_sweep_and_gradient_noise_slope():
    from experiments import digits

    config = dict(digits.QUICK, models=("softmax",), seeds=1, sweep_epochs=2, batch_sizes=(32, 512), batch_epochs=2)
    r = digits.run(config)
    assert r["curves"]["softmax"]["adam"]["final_accuracy_mean"] >= 0.93  # issue 9 floor
    losses = r["curves"]["softmax"]["adam"]["train_loss"]
    assert losses[-1] < losses[0]
    for name, sweep in r["sweep"].items():  # [002]: the U-shape — tiny rates barely move, huge ones blow up
        best = np.argmin(sweep["final_loss_mean"])
        assert 0 < best < len(sweep["rates"]) - 1, name
        assert sweep["final_loss_mean"][0] > 2.0  # log 10 = 2.30 at the zero init: barely moved
    assert abs(r["batch_size"]["noise"]["slope"] + 0.5) < 0.05  # σ/√B (SPEC.md E10)


def test_classic_rules_quickprop_and_rprop_solve_the_encoder_faster_than_sgd():
    from experiments import classic_rules

    r = classic_rules.run(dict(seeds=8, epochs=400, tasks=("encoder 8-3-8",)))["encoder 8-3-8"]
    assert r["quickprop"]["solved_fraction"] == 1.0
    assert r["quickprop"]["median_epochs"] < 0.5 * r["sgd"]["median_epochs"]
    for variant in ("rprop+", "rprop-", "irprop+", "irprop-"):
        assert r[variant]["solved_fraction"] >= 0.5
        assert r[variant]["median_epochs"] < 0.5 * r["sgd"]["median_epochs"]


def test_gradient_check_float64_centered_is_good_and_float32_cannot_be():
    from experiments import gradient_check

    r = gradient_check.run(dict(steps=[1e-7, 1e-5, 1e-3], num_checks=6))
    for name, runs in r.items():
        assert min(runs["float64/centered"]["max_rel_error"]) < 1e-7, name  # CS231n "good"
        assert min(runs["float64/centered"]["max_rel_error"]) <= min(runs["float64/forward"]["max_rel_error"]), name
    smooth = ("mse", "softmax_cross_entropy", "logistic")
    assert all(min(r[n]["float32/centered"]["max_rel_error"]) > 1e-7 for n in smooth)
