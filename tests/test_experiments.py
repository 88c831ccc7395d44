"""Each experiment's ``run`` on a tiny config, asserting on the numbers it returns."""

from __future__ import annotations

import numpy as np

from experiments import tour


def test_tour_momentum_forms_solve_rosenbrock_and_sgd_lags(tmp_path):
    results = tour.run({"steps": 1000})
    assert results["momentum (trace)"]["final_loss"] < 1e-3
    np.testing.assert_allclose(results["momentum (velocity)"]["loss"], results["momentum (trace)"]["loss"], rtol=1e-4)
    assert results["sgd"]["final_loss"] > 100 * results["momentum (trace)"]["final_loss"]


def test_tour_cli_writes_page_figures_and_numbers(tmp_path):
    tour.main(["--quick", "--out", str(tmp_path)])
    page = (tmp_path / "index.html").read_text()
    for png in tmp_path.glob("*.png"):
        assert png.name in page
    assert len(list(tmp_path.glob("*.png"))) >= 2 and (tmp_path / "rosenbrock.json").exists()


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
