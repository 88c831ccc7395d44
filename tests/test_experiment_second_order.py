"""experiments/second_order.py on its quick config: second-order methods beat first-order ones per iteration."""

from __future__ import annotations

import json

from experiments import second_order


def test_newton_bfgs_lbfgs_reach_the_gradient_tolerance_in_far_fewer_iterations_than_adam(tmp_path):
    results = second_order.main(["--quick", "--out", str(tmp_path)])
    methods = results["methods"]
    for name, most in (("newton", 15), ("lbfgs (m=10)", 40), ("bfgs", 120)):  # measured 8, 22, 84
        assert methods[name]["iterations_to_gtol"] is not None and methods[name]["iterations_to_gtol"] <= most, name
    assert methods["adam (1e-2)"]["iterations_to_gtol"] is None  # not within the quick run's 120 steps
    assert methods["newton"]["loss_gap"][-1] < 1e-12 < methods["gd (1/L)"]["loss_gap"][-1]
    assert all(m["seconds_per_step"] > 0 for m in methods.values())
    assert (tmp_path / "second_order_logistic.png").exists()
    saved = json.loads((tmp_path / "second_order.json").read_text())
    assert set(saved["methods"]) == set(methods)
