"""E7 (experiments/schedules.py) on the CI-sized horizon: references agree, SGDR restarts exact, files written."""

from __future__ import annotations

import json

import numpy as np

from experiments import schedules


def test_every_overplotted_reference_agrees_and_sgdr_restarts_are_exact(tmp_path):
    results = schedules.run({"steps": 1000})
    deviations = {(name, ref): dev for name, panel in results["panels"].items() for ref, dev in panel["max_rel_dev"].items()}
    assert len(deviations) >= 12 and max(deviations.values()) < 1e-6, deviations
    np.testing.assert_array_equal(results["sgdr_restart_values"], np.float32(0.1))
    plateau = results["plateau"]
    assert np.unique(plateau["ours"]).size >= 3  # the scripted plateau triggers reductions
    np.testing.assert_array_equal(plateau["ours"], plateau["optax.contrib"])
    np.testing.assert_allclose(plateau["ours"], plateau["torch (patience − 1)"], rtol=1e-6)


def test_cli_writes_the_grid_and_the_values(tmp_path):
    schedules.main(["--quick", "--out", str(tmp_path)])
    assert (tmp_path / "schedules.png").stat().st_size > 10_000
    values = json.loads((tmp_path / "schedules.json").read_text())
    assert len(values["counts"]) == schedules.QUICK["steps"] and "SGDR" in values["panels"]
