"""Gradient descent and momentum on quadratics: the closed form, the four αλ regimes, the rate theorem.

[003] "Closed-form GD update": on L(θ) = ½θᵀAθ the iterate is θ_t = (I − αA)^t θ_0, so each
eigen-direction i is multiplied by r_i = 1 − αλ_i per step. [001] Theorem 7.1: for convex
L-smooth R and η ≤ 1/L, R(w_t) − R* ≤ ‖w_0 − w*‖²/(2ηt). [002]/[000]: momentum improves the
dependence on the condition number κ from κ to √κ (heavy ball, Polyak 1964). Specification:
docs/spec/gradient-descent.md, docs/spec/momentum.md, docs/spec/experiments.md.
"""

from __future__ import annotations

import pathlib
import sys

import jax
import jax.numpy as jnp
import numpy as np

import jaxopt_lectures as jol
from experiments import _claims, _common

FULL = dict(steps=30, theorem_steps=1000, kappas=(10, 30, 100, 300, 1000), momentum_steps=20000)
QUICK = dict(steps=30, theorem_steps=200, kappas=(10, 30, 100), momentum_steps=3000)
EIGENVALUES = (0.5, 1.0, 1.5, 2.0, 2.5)  # with α = 1: the regimes αλ = 0.5, 1, 1.5, 2, 2.5


def _quadratic(lams):
    lams = jnp.asarray(lams)
    return lambda x: 0.5 * jnp.sum(lams * x**2)


def closed_form(config: dict) -> dict:
    """GD iterates vs (1 − αλ)^t θ_0 per eigen-direction, in float64 (A diagonal = eigen-coordinates)."""
    with jax.enable_x64(True):
        x0 = jnp.ones(len(EIGENVALUES), jnp.float64)
        _, trace = jol.minimize(_quadratic(EIGENVALUES), x0, jol.sgd(1.0), config["steps"])
        iterates = np.asarray(trace.params)
    t = np.arange(config["steps"] + 1)[:, None]
    closed = (1.0 - np.asarray(EIGENVALUES)) ** t
    return {"alpha_lambda": list(EIGENVALUES), "iterates": iterates, "closed": closed,
            "max_abs_error": float(np.abs(iterates - closed).max())}


def step_sizes(config: dict) -> dict:
    """Loss vs t for the step sizes of the lecture: 0.5/λmax, 1/λmax, 2/(λmin+λmax), 1.9/λmax, 2.1/λmax."""
    lmin, lmax = min(EIGENVALUES), max(EIGENVALUES)
    alphas = {"0.5/λmax": 0.5 / lmax, "1/λmax": 1 / lmax, "2/(λmin+λmax)": 2 / (lmin + lmax),
              "1.9/λmax": 1.9 / lmax, "2.1/λmax": 2.1 / lmax}
    f, x0 = _quadratic(EIGENVALUES), jnp.ones(len(EIGENVALUES))
    losses = jax.vmap(lambda a: jol.minimize(f, x0, jol.sgd(a), config["steps"])[1].loss)(jnp.asarray(list(alphas.values())))
    out = {}
    for (name, a), loss in zip(alphas.items(), np.asarray(losses)):
        predicted = max(abs(1 - a * lam) for lam in EIGENVALUES)
        measured = float((loss[-1] / loss[-11]) ** (1 / 20)) if loss[-1] > 0 else 0.0  # loss ∝ r^{2t}
        out[name] = {"alpha": a, "loss": loss, "predicted_rate": predicted, "measured_rate": measured}
    return out


def booth_theorem(config: dict) -> dict:
    """[001] Thm 7.1 on Booth (L = 18): the gap R(w_t) − R* against the bound ‖w0 − w*‖²/(2ηt)."""
    A = jnp.array([[10.0, 8.0], [8.0, 10.0]])  # Booth's Hessian: eigenvalues 2 and 18
    b = jnp.array([34.0, 38.0])
    w_star = jnp.linalg.solve(A, b)  # (1, 3)
    f = lambda w: (w[0] + 2 * w[1] - 7) ** 2 + (2 * w[0] + w[1] - 5) ** 2
    w0, L = jnp.array([-5.0, 5.0]), 18.0
    out = {}
    for factor in (0.25, 0.5, 1.0, 1.5):
        eta = factor / L
        _, trace = jol.minimize(f, w0, jol.sgd(eta), config["theorem_steps"])
        t = np.arange(1, config["theorem_steps"] + 1)
        gap = np.asarray(trace.loss)[1:] - float(f(w_star))
        bound = float(jnp.sum((w0 - w_star) ** 2)) / (2 * eta * t)
        out[f"{factor}/L"] = {"eta": eta, "gap": gap, "bound": bound, "max_ratio": float(np.max(gap / bound)),
                              "within_theorem": factor <= 1.0}
    return out


def momentum_condition(config: dict) -> dict:
    """Steps to reach ‖θ_t‖ ≤ 1e-6‖θ_0‖ on diag(1, κ): GD (best fixed step) vs tuned heavy ball."""
    out = {}
    for kappa in _common.progress(config["kappas"], desc="κ"):
        f, x0 = _quadratic((1.0, float(kappa))), jnp.array([1.0, 1.0])
        mu, L = 1.0, float(kappa)
        runs = {"gd 1/L": jol.sgd(1 / L), "gd 2/(μ+L)": jol.sgd(2 / (mu + L)),
                "heavy ball": jol.momentum(4 / (L**0.5 + mu**0.5) ** 2, ((kappa**0.5 - 1) / (kappa**0.5 + 1)) ** 2)}
        row = {}
        for name, tx in runs.items():
            _, trace = jol.minimize(f, x0, tx, config["momentum_steps"])
            norms = np.linalg.norm(np.asarray(trace.params), axis=1) / np.linalg.norm(np.asarray(x0))
            hit = np.nonzero(norms <= 1e-6)[0]
            row[name] = int(hit[0]) if hit.size else None
        out[str(kappa)] = row
    return out


def run(config: dict) -> dict:
    """Numbers only: closed form vs iterates, step-size regimes, the rate theorem, momentum vs κ."""
    return {"closed_form": closed_form(config), "step_sizes": step_sizes(config),
            "theorem": booth_theorem(config), "momentum": momentum_condition(config)}


def figures(results: dict, out: pathlib.Path) -> list[pathlib.Path]:
    plt = _common.pyplot()
    paths = []
    cf = results["closed_form"]
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(13, 5))
    for i, al in enumerate(cf["alpha_lambda"]):
        line, = ax.semilogy(np.abs(cf["iterates"][:, i]) + 1e-300, "o", markersize=3, label=f"αλ = {al}")
        ax.semilogy(np.abs(cf["closed"][:, i]) + 1e-300, "-", color=line.get_color(), linewidth=1)
        ax2.plot(cf["iterates"][:11, i], "o-", color=line.get_color(), markersize=3, label=f"αλ = {al}")
    ax.set(xlabel="step t", ylabel=r"$|\theta_{t,i}|$ (dots: GD, lines: $(1-\alpha\lambda_i)^t$)",
           title="|θ| per eigen-direction (0.5 and 1.5 overlap)", ylim=(1e-17, 1e6))
    ax2.set(xlabel="step t", ylabel=r"$\theta_{t,i}$", title="signed: monotone, one step, alternating, …",
            ylim=(-3, 3))
    ax.legend()
    paths.append(_common.save_figure(fig, out, "quadratic_closed_form"))

    fig, ax = plt.subplots(figsize=(7.5, 5))
    for name, r in results["step_sizes"].items():
        ax.semilogy(np.maximum(r["loss"], 1e-30), label=f"α = {name}  (rate {r['predicted_rate']:.2f})")
    ax.set(xlabel="step t", ylabel="loss", title="Step size regimes on λ ∈ [0.5, 2.5]")
    ax.legend()
    paths.append(_common.save_figure(fig, out, "quadratic_step_sizes"))

    fig, ax = plt.subplots(figsize=(7.5, 5))
    for name, r in results["theorem"].items():
        t = np.arange(1, len(r["gap"]) + 1)
        line, = ax.loglog(t, np.maximum(r["gap"], 1e-30), label=f"η = {name}: gap")
        ax.loglog(t, r["bound"], "--", color=line.get_color(), linewidth=1)
    ax.set(xlabel="step t", ylabel=r"$R(w_t) - R^*$ (dashed: $\|w_0-w^*\|^2/(2\eta t)$)",
           title="[001] Theorem 7.1 on Booth (L = 18)", ylim=(1e-12, 1e3))
    ax.legend()
    paths.append(_common.save_figure(fig, out, "gd_theorem_booth"))

    fig, ax = plt.subplots(figsize=(7.5, 5))
    kappas = [int(k) for k in results["momentum"]]
    for name in ("gd 1/L", "gd 2/(μ+L)", "heavy ball"):
        steps = [results["momentum"][str(k)][name] for k in kappas]
        ax.loglog(kappas, [s if s is not None else np.nan for s in steps], "o-", label=name)
    ax.set(xlabel="condition number κ", ylabel="steps to ‖θ‖ ≤ 1e-6‖θ₀‖", title="Momentum: κ → √κ")
    ax.legend()
    paths.append(_common.save_figure(fig, out, "momentum_condition_number"))
    return paths


def summary(results: dict) -> str:
    rows = [(f"η = {k}", r["max_ratio"], "yes" if r["within_theorem"] else "no (outside the theorem)")
            for k, r in results["theorem"].items()]
    text = _common.table(rows, ["Booth, GD", "max gap/bound", "η ≤ 1/L"])
    text += f"\nclosed form vs GD iterates (float64): max error {results['closed_form']['max_abs_error']:.1e}\n"
    text += _common.table([(k, *v.values()) for k, v in results["momentum"].items()],
                          ["κ", *next(iter(results["momentum"].values())).keys()])
    return text


CAPTIONS = {
    "quadratic_closed_form": "[003]: on ½θᵀAθ gradient descent multiplies eigen-direction i by 1 − αλᵢ per step. "
                             "Dots (GD) lie on the lines (closed form): monotone (αλ = 0.5), exact in one step (1), "
                             "alternating decay (1.5), constant amplitude (2), divergence (2.5).",
    "quadratic_step_sizes": "The fastest fixed step is 2/(λmin + λmax) with rate (κ−1)/(κ+1); beyond 2/λmax GD diverges.",
    "gd_theorem_booth": "[001] Theorem 7.1: with η ≤ 1/L the gap stays below ‖w₀ − w*‖²/(2ηt) (dashed).",
    "momentum_condition_number": "Heavy-ball momentum needs O(√κ) steps where gradient descent needs O(κ).",
}


def regimes(results: dict) -> dict:
    """Which of the five αλ regimes of [003] the GD iterates show: monotone, one step, alternating, constant, diverging."""
    it = np.asarray(results["closed_form"]["iterates"])
    signs = np.sign(it[1:11])
    checks = {
        0.5: bool(np.all(it[1:, 0] > 0) and np.all(np.diff(it[:, 0]) < 0)),
        1.0: bool(np.all(it[1:, 1] == 0)),
        1.5: bool(np.all(signs[1:, 2] == -signs[:-1, 2]) and abs(it[-1, 2]) < 1e-6),
        2.0: bool(np.all(np.abs(np.abs(it[:, 3]) - 1) < 1e-12) and np.all(signs[1:, 3] == -signs[:-1, 3])),
        2.5: bool(abs(it[-1, 4]) > 1e4),
    }
    return {"regimes_shown": sum(checks.values()), "regimes": len(checks)}


def best_step(results: dict) -> dict:
    """Largest |measured − predicted rate| over the convergent steps, and whether 2/(λmin+λmax) is fastest."""
    rows = results["step_sizes"]
    convergent = {k: r for k, r in rows.items() if r["predicted_rate"] < 1}
    fastest = min(convergent, key=lambda k: convergent[k]["measured_rate"])
    return {"rate_error": max(abs(r["measured_rate"] - r["predicted_rate"]) for r in convergent.values()),
            "fastest_is_2/(λmin+λmax)": fastest == "2/(λmin+λmax)",
            "rate_at_2/(λmin+λmax)": rows["2/(λmin+λmax)"]["measured_rate"]}


def kappa_slopes(results: dict) -> dict:
    """log-log slopes of steps-to-1e-6 against κ for GD at 2/(μ+L) and for the tuned heavy ball."""
    kappas = np.log([float(k) for k in results["momentum"]])
    slope = lambda name: float(np.polyfit(kappas, np.log([float(r[name] or np.inf) for r in results["momentum"].values()]), 1)[0])
    return {"gd_slope": slope("gd 2/(μ+L)"), "heavy_ball_slope": slope("heavy ball")}


CLAIMS = (
    _claims.Claim(
        "gd-closed-form", "003", "θ_t = (I − αA)^t θ_0: each eigen-direction is multiplied by 1 − αλ_i per step",
        "quadratic_closed_form",
        measure=lambda r: {"max_abs_error": r["closed_form"]["max_abs_error"]},
        verdict=_claims.at_most("max_abs_error", 1e-12, what="max |GD iterate − closed form| (float64)"),
        examples=({"max_abs_error": 0.0}, {"max_abs_error": 1e-3})),
    _claims.Claim(
        "gd-step-regimes", "003", "0 < αλ_i ≤ 1: decays to 0; 1 < αλ_i ≤ 2: oscillations; αλ_i > 2: diverges",
        "quadratic_closed_form", measure=regimes,
        verdict=_claims.at_least("regimes_shown", 5, partly=3,
                                 what="regimes shown (αλ = 0.5 monotone, 1 one step, 1.5 alternating decay, "
                                      "2 constant amplitude, 2.5 |θ_30| > 1e4) of 5"),
        examples=({"regimes_shown": 5, "regimes": 5}, {"regimes_shown": 2, "regimes": 5})),
    _claims.Claim(
        "gd-best-fixed-step", "003", "each coordinate is multiplied by (1 − αλ_i)^t: the rate is max_i |1 − αλ_i|, "
        "best at α = 2/(λmin + λmax), rate (κ − 1)/(κ + 1)", "quadratic_step_sizes", measure=best_step,
        verdict=_claims.all_of(
            _claims.at_most("rate_error", 0.02, what="max |measured − predicted rate|"),
            _claims.is_true("fastest_is_2/(λmin+λmax)", what="2/(λmin+λmax) is the fastest step"),
            _claims.between("rate_at_2/(λmin+λmax)", 0.65, 0.68, what="its rate (theory (5−1)/(5+1) = 0.667)")),
        examples=({"rate_error": 0.001, "fastest_is_2/(λmin+λmax)": True, "rate_at_2/(λmin+λmax)": 0.667},
                  {"rate_error": 0.1, "fastest_is_2/(λmin+λmax)": False, "rate_at_2/(λmin+λmax)": 0.8})),
    _claims.Claim(
        "gd-theorem-7-1", "001", "Theorem 7.1: R convex, L-smooth, η ≤ 1/L ⇒ R(w_t) − R(w*) ≤ ‖w_0 − w*‖²/(2ηt)",
        "gd_theorem_booth",
        measure=lambda r: {"max_gap_over_bound": max(v["max_ratio"] for v in r["theorem"].values() if v["within_theorem"])},
        verdict=_claims.at_most("max_gap_over_bound", 1.0, what="max over t and η ≤ 1/L of gap / bound (Booth)"),
        examples=({"max_gap_over_bound": 0.14}, {"max_gap_over_bound": 1.3})),
    _claims.Claim(
        "momentum-sqrt-kappa", "003", "momentum dampens oscillations in high curvature directions "
        "(the distill.pub article it shows: steps grow like √κ instead of κ)", "momentum_condition_number",
        measure=kappa_slopes,
        verdict=_claims.all_of(_claims.between("gd_slope", 0.85, 1.15, what="GD: slope of log steps vs log κ"),
                               _claims.between("heavy_ball_slope", 0.35, 0.65, what="heavy ball: slope")),
        examples=({"gd_slope": 1.0, "heavy_ball_slope": 0.5}, {"gd_slope": 1.0, "heavy_ball_slope": 0.95})),
)


def main(argv=None) -> None:
    _common.cli(sys.modules[__name__], argv)


if __name__ == "__main__":
    main()
