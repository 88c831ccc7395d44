"""The experiments, run once through the tour with their quick configurations; tests assert on their numbers.

One session-scoped tour run (every experiment of ``tour.EXPERIMENTS``) writes the page and its
figures; each test then checks what the lecture claims against the numbers that experiment returned.
"""

from __future__ import annotations

import numpy as np

from experiments import tour


def results(quick_tour, name):
    return quick_tour[1][name]["results"]


def test_tour_page_renders_numbers_as_tables_and_links_the_spec(quick_tour):
    out, _ = quick_tour
    page = (out / "index.html").read_text()
    assert page.count('<table class="numbers">') >= len(tour.EXPERIMENTS)
    assert "``" not in page  # docstrings rendered (tests/test_citations.py keeps dead citations out of the source)
    assert '<a href="' in page and 'docs/spec/experiments.md</a>' in page


def test_tour_page_links_every_figure_with_its_caption(quick_tour):
    out, runs = quick_tour
    page = (out / "index.html").read_text()
    pngs = sorted(out.rglob("*.png"))
    assert len(pngs) >= 15
    for png in pngs:
        assert png.relative_to(out).as_posix() in page
        module = __import__(f"experiments.{png.parent.name}", fromlist=["CAPTIONS"])
        assert module.CAPTIONS.get(png.stem), f"{png.stem} has no caption"
    for name in tour.EXPERIMENTS:
        assert (out / name / f"{name}.json").exists()
        assert f'id="{name}"' in page


def test_trajectories_momentum_beats_sgd_and_every_first_order_method_leaves_the_saddle(quick_tour):
    r = results(quick_tour, "trajectories")
    assert r["rosenbrock"]["momentum trace"]["final_loss"] < 0.1 * r["rosenbrock"]["sgd"]["final_loss"]
    assert r["rosenbrock"]["adam"]["final_loss"] < 1e-2  # the quick run's 800 steps (full run: 2e-8)
    bare_secant = "quickprop (bare secant)"  # a secant method seeks critical points, like Newton
    assert all(run["steps"] is not None and run["steps"] < 400 for k, run in r["saddle"].items() if k != bare_secant)
    assert r["quadratic"]["nesterov"]["steps"] < (r["quadratic"]["sgd"]["steps"] or float("inf"))


def test_trajectories_runs_stop_at_escape_or_divergence_and_show_finite_numbers(quick_tour):
    r = results(quick_tour, "trajectories")
    for pname, runs in r.items():
        for label, run in runs.items() if pname != "lecture_points" else ():
            assert np.isfinite(run["loss"]).all() and np.isfinite(run["path"]).all(), (pname, label)
            if pname == "saddle" and run["outcome"] == "escaped":  # stops at the first step with |y| > 1
                assert abs(run["path"][-1][1]) > 1 and np.all(np.abs(np.asarray(run["path"])[:-1, 1]) <= 1)
    assert not any(run["at_grid_edge"] for p in ("rosenbrock", "quadratic")
                   for k, run in r[p].items() if k.startswith("adam"))  # the widened Adam grid brackets its best


def test_trajectories_gd_near_the_stability_limit_zigzags_and_heavy_ball_is_faster(quick_tour):
    points = results(quick_tour, "trajectories")["lecture_points"]
    gd, hb = points["quadratic"]["gd α = 1.9/λmax"], points["quadratic"]["heavy ball α = 1.9/λmax, optimal β"]
    assert gd["steep_sign_flips"] == 1.0  # steep mode × (1 − 1.9) = −0.9 every step
    assert abs(gd["steep_amplitude_30_40"] - 0.9**30) < 1e-3
    assert hb["steep_amplitude_30_40"] < 0.5 * gd["steep_amplitude_30_40"]  # ≈ 0.862^30 (times a polynomial factor)
    assert hb["steps"] < 0.25 * gd["steps"]  # rates 0.862 vs 0.981 per step: ≈ ln 0.981 / ln 0.862 ≈ 0.13
    saddle = points["saddle"]
    assert 300 < saddle["gd α = 0.01"]["steps"] < 400  # |y| × 1.02 per step: ln 1000 / ln 1.02 = 349
    assert saddle["momentum α = 0.01, β = 0.9"]["steps"] < 100  # root 1.107 of r² − 1.92r + 0.9: ≈ 68


def test_quadratic_dynamics_numbers_match_the_lectures(quick_tour):
    r = results(quick_tour, "quadratic_dynamics")
    assert r["closed_form"]["max_abs_error"] < 1e-12  # float64 iterates = (1 − αλ)^t θ0 ([003])
    for name, row in r["theorem"].items():  # [001] Thm 7.1 holds for η ≤ 1/L
        if row["within_theorem"]:
            assert row["max_ratio"] <= 1.0, name
    for row in r["step_sizes"].values():
        if row["predicted_rate"] < 1:
            assert abs(row["measured_rate"] - row["predicted_rate"]) < 0.02
    steps = {int(k): v for k, v in r["momentum"].items()}
    k_lo, k_hi = min(steps), max(steps)
    ratio = k_hi / k_lo
    gd_growth = steps[k_hi]["gd 2/(μ+L)"] / steps[k_lo]["gd 2/(μ+L)"]
    hb_growth = steps[k_hi]["heavy ball"] / steps[k_lo]["heavy ball"]
    assert 0.7 * ratio < gd_growth < 1.3 * ratio  # GD: steps ∝ κ
    assert 0.7 * ratio**0.5 < hb_growth < 1.3 * ratio**0.5  # heavy ball: steps ∝ √κ


def test_digits_adam_softmax_accuracy_sweep_and_gradient_noise_slope(quick_tour):
    r = results(quick_tour, "digits")
    assert r["curves"]["softmax"]["adam"]["final_accuracy_mean"] >= 0.93  # the quick run's floor (measured 97.2% in the full run, docs/spec/experiments.md E8)
    losses = r["curves"]["softmax"]["adam"]["train_loss"]
    assert losses[-1] < losses[0]
    for name, sweep in r["sweep"].items():  # [001]: tiny rates barely move, huge ones blow up
        best = np.argmin(sweep["final_loss_mean"])
        assert 0 < best < len(sweep["rates"]) - 1, name
        assert sweep["final_loss_mean"][0] > 2.0  # log 10 = 2.30 at the zero init: barely moved
        assert sweep["diverged_fraction"][-1] == 1.0 and sweep["diverged_fraction"][best] == 0.0, name
        assert sweep["final_loss_mean"][-1] > 10 * np.log(10.0), name  # far above the starting loss
    assert abs(r["batch_size"]["noise"]["slope"] + 0.5) < 0.05  # σ/√B (docs/spec/experiments.md E10)


def test_digits_linear_scaling_rule_without_warmup(quick_tour):
    batch = results(quick_tour, "digits")["batch_size"]
    final = lambda rule, B: float(batch[rule][B]["train_loss"][-1])
    sizes = sorted(batch["fixed"], key=int)
    base = final("fixed", sizes[0])
    for B in sizes[1:]:  # same epochs and seed: kB with kη stays near B with η; kB with η falls behind
        assert batch["scaled"][B]["rate"] == 0.1 * int(B) / int(sizes[0])
        assert final("scaled", B) < 1.35 * base < final("fixed", B), B


def test_classic_rules_quickprop_and_rprop_solve_the_encoder_faster_than_sgd(quick_tour):
    r = results(quick_tour, "classic_rules")["encoder 8-3-8"]
    assert r["quickprop"]["solved_fraction"] == 1.0
    assert r["quickprop"]["median_epochs"] < 0.5 * r["sgd"]["median_epochs"]
    for variant in ("rprop+", "rprop-", "irprop+", "irprop-"):
        assert r[variant]["solved_fraction"] >= 0.5
        assert r[variant]["median_epochs"] < 0.5 * r["sgd"]["median_epochs"]


def test_classic_rules_on_xor_rprop_and_quickprop_are_fast_but_solve_fewer_seeds_than_sgd(quick_tour):
    r = results(quick_tour, "classic_rules")["xor"]  # the caption's "≈50–60% against ≈90%"
    assert r["sgd"]["solved_fraction"] >= 0.85
    for name in ("quickprop", "rprop+", "rprop-", "irprop+", "irprop-"):
        assert 0.4 <= r[name]["solved_fraction"] <= 0.7, name
        assert r[name]["median_epochs"] < 0.5 * r["sgd"]["median_epochs"], name


def test_gradient_check_float64_centered_is_good_and_float32_cannot_be(quick_tour):
    r = results(quick_tour, "gradient_check")
    for name, runs in r.items():
        assert min(runs["float64/centered"]["max_rel_error"]) < 1e-7, name  # CS231n "good"
        assert min(runs["float64/centered"]["max_rel_error"]) <= min(runs["float64/forward"]["max_rel_error"]), name
    smooth = ("mse", "softmax_cross_entropy", "logistic")
    assert all(min(r[n]["float32/centered"]["max_rel_error"]) > 1e-7 for n in smooth)
    assert all(min(r[n]["float32/centered"]["max_rel_error"]) > 1e-6 for n in r)  # the caption: "1e-5 to 3e-4"


def test_schedules_references_agree_and_sgdr_restarts_are_exact(quick_tour):
    r = results(quick_tour, "schedules")
    deviations = [dev for panel in r["panels"].values() for dev in panel["max_rel_dev"].values()]
    assert len(deviations) >= 12 and max(deviations) < 1e-6
    np.testing.assert_array_equal(r["sgdr_restart_values"], np.float32(0.1))
    plateau = r["plateau"]
    assert np.unique(plateau["ours"]).size >= 3  # the scripted plateau triggers reductions
    np.testing.assert_array_equal(plateau["ours"], plateau["optax.contrib"])
    np.testing.assert_allclose(plateau["ours"], plateau["torch (patience − 1)"], rtol=1e-6)


def test_second_order_methods_reach_the_gradient_tolerance_in_far_fewer_iterations(quick_tour):
    methods = results(quick_tour, "second_order")["methods"]
    for name, most in (("newton", 15), ("lbfgs (m=10)", 40), ("bfgs", 120)):  # measured 8, 22, 84
        assert methods[name]["iterations_to_gtol"] is not None and methods[name]["iterations_to_gtol"] <= most, name
    assert methods["adam (1e-2)"]["iterations_to_gtol"] is None


def test_tour_writes_the_claims_ledger(quick_tour):
    import json

    from experiments import _claims

    out, _ = quick_tour
    claims = json.loads((out / "claims.json").read_text())
    page = (out / "index.html").read_text()
    assert claims and all(c["verdict"] in _claims.VERDICTS for c in claims)
    for c in claims:
        assert {"id", "lecture", "quote", "experiment", "measured", "verdict", "why"} <= set(c)
        assert (out / c["experiment"]).exists(), c["experiment"]
        assert f'id="claim-{c["id"]}"' in page


# the claims of the experiments of this file whose lecture claim holds in the quick run (measured there);
# "quickprop-rprop-xor" is not among them: on XOR they are fast but solve only ~half of the seeds
REPRODUCED = ("gd-closed-form", "gd-step-regimes", "gd-best-fixed-step", "gd-theorem-7-1", "momentum-sqrt-kappa",
              "gd-jitter-momentum", "saddle-gd-stuck", "momentum-flat-regions", "lr-too-small-too-large",
              "linear-scaling-rule", "gradient-noise-sqrt-b", "adam-good-default", "quickprop-rprop-encoder",
              "gradient-check-float64", "numeric-gradient-approximate", "step-decay-resnet",
              "decay-schedules-match-references", "sgdr-cosine-annealing", "linear-warmup", "lbfgs-full-batch",
              "newton-curvature")


def test_claims_that_hold_are_reproduced_in_the_quick_run(quick_tour):
    import json

    out, _ = quick_tour
    verdicts = {c["id"]: (c["verdict"], c["why"]) for c in json.loads((out / "claims.json").read_text())}
    assert {c: verdicts[c] for c in REPRODUCED if verdicts[c][0] != "reproduced"} == {}
    assert verdicts["quickprop-rprop-xor"][0] == "partly", verdicts["quickprop-rprop-xor"]
    assert len({c["lecture"] for c in json.loads((out / "claims.json").read_text())}) == 4  # all four lectures
