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
