"""The tour configurations of the tests: every experiment's ``QUICK`` configuration (what
``python -m experiments.NAME --quick`` runs) except digits, whose quick run takes over 3 minutes on
2 cores and is trimmed here. One run (``tiny_tour`` in conftest.py) serves the experiment tests
and the docs build's figures.
"""

from __future__ import annotations

import importlib

from experiments import digits, tour

TRIMMED = {
    "digits": dict(digits.QUICK, models=("softmax",), seeds=1, sweep_epochs=2, batch_sizes=(32, 512), batch_epochs=2),
}
TINY = {name: TRIMMED.get(name, importlib.import_module(f"experiments.{name}").QUICK) for name in tour.EXPERIMENTS}
