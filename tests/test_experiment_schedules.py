"""experiments/schedules.py: the CLI writes the grid and the values (the numbers are checked in test_experiments.py)."""

from __future__ import annotations

import json

from experiments import schedules


def test_cli_writes_the_grid_and_the_values(tmp_path):
    schedules.main(["--quick", "--out", str(tmp_path)])
    assert (tmp_path / "schedules.png").stat().st_size > 10_000
    values = json.loads((tmp_path / "schedules.json").read_text())
    assert len(values["counts"]) == schedules.QUICK["steps"] and "SGDR" in values["panels"]
