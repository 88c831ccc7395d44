"""Start-up of the adaptive methods under a constant gradient: first steps, EMA weight sums, AdaGrad's 1/√t.

Every optimizer runs ``jol.minimize`` on the linear loss L(θ) = g·θ (the gradient is g at every
step) in float64, with g = (10⁻³, 1, 10³) to show that the steps do not depend on the gradient's
scale, and η = 0.01. The measured step |Δ_t|/η per update t:

* RMSProp (ρ = 0.9, no bias correction): ν_t = (1 − ρᵗ)g², so |Δ_t| = η/√(1 − ρᵗ), first step
  η/√0.1 = 3.162η ([000] "after first step, r = (1−β)g², which for default β = 0.9 is r = 0.1g²").
  The measured (η/|Δ_t|)² is the sum of the EMA weights, 1 − ρᵗ ([000] "Adam Bias Correction").
* Adam without bias correction ([002] "Adam (almost)", [001], [003]): |Δ_t| = η(1 − β₁ᵗ)/√(1 − β₂ᵗ),
  first step η·0.1/√0.001 = 3.162η, then up to 6.6η (t = 12) and above η for thousands of steps ([002] "Q: What happens
  at first timestep?"); with bias correction ([000], [002] "Adam (full form)") exactly η from t = 1.
* AdaGrad: r_t = t·g², so |Δ_t| = η/√t ([000] "as if decreasing learning rate by a factor of 1/√t";
  [002] "What happens to the step size over long time? Decays to zero").

docs/spec/rmsprop.md, docs/spec/adam.md, docs/spec/adagrad.md.
"""

from __future__ import annotations

import pathlib
import sys

import jax
import jax.numpy as jnp
import numpy as np

import jaxopt_lectures as jol
from experiments import _claims, _common

FULL = dict(steps=10000)
QUICK = dict(steps=2000)
ETA = 0.01
GRADIENT = (1e-3, 1.0, 1e3)
B1, B2, RHO = 0.9, 0.999, 0.9
OPTIMIZERS = {  # name -> (optimizer, |Δ_t|/η in closed form for t = 1, 2, …)
    "RMSProp (ρ = 0.9)": (lambda: jol.rmsprop(ETA, decay=RHO), lambda t: 1 / np.sqrt(1 - RHO**t)),
    "Adam, no bias correction": (lambda: jol.adam(ETA, b1=B1, b2=B2, bias_correction=False),
                                 lambda t: (1 - B1**t) / np.sqrt(1 - B2**t)),
    "Adam": (lambda: jol.adam(ETA, b1=B1, b2=B2), lambda t: np.ones_like(t, dtype=float)),
    "AdaGrad": (lambda: jol.adagrad(ETA), lambda t: 1 / np.sqrt(t)),
}
WINDOW = 50  # the start-up window t = 1…50 of the left panel and of the weight-sum fit


def step_sizes(optimizer, steps: int) -> np.ndarray:
    """|Δ_t|/η for t = 1…steps (rows) and each coordinate of g (columns), in float64."""
    with jax.enable_x64(True):
        g = jnp.asarray(GRADIENT, jnp.float64)
        _, trace = jol.minimize(lambda theta: jnp.dot(g, theta), jnp.zeros(len(GRADIENT), jnp.float64),
                                optimizer(), steps)
        return np.abs(np.diff(np.asarray(trace.params), axis=0)) / ETA


def run(config: dict) -> dict:
    """Steps of every optimizer, their closed forms, and the numbers of the claims."""
    steps = config["steps"]
    t = np.arange(1, steps + 1)
    out = {"t": t, "optimizers": {}}
    for name, (optimizer, closed) in _common.progress(OPTIMIZERS.items(), desc="optimizers"):
        measured = step_sizes(optimizer, steps)
        expected = closed(t)
        out["optimizers"][name] = {
            "step": measured[:, 1], "closed_form": expected, "first_step": float(measured[0, 1]),
            "max_relative_error": float(np.max(np.abs(measured / expected[:, None] - 1))),
            "scale_spread": float(np.max(measured.max(1) / measured.min(1) - 1)),  # 0: same step for every |g|
            "peak": float(measured[:, 1].max()), "peak_t": int(t[np.argmax(measured[:, 1].round(6))])}
    rms = out["optimizers"]["RMSProp (ρ = 0.9)"]["step"][:WINDOW]
    weight_sum = 1 / rms**2  # ν_t/g² = Σ (1−ρ)ρ^{t−i}
    window = t[:WINDOW]
    out["weight_sum"] = {"measured": weight_sum, "expected": 1 - RHO**window,
                         "max_abs_error": float(np.max(np.abs(weight_sum - (1 - RHO**window)))),
                         "bias_decay_rate": float(np.exp(np.polyfit(window[:30], np.log(1 - weight_sum[:30]), 1)[0]))}
    ada = out["optimizers"]["AdaGrad"]["step"]
    late = slice(9, None)
    out["adagrad_slope"] = float(np.polyfit(np.log(t[late]), np.log(ada[late]), 1)[0])
    out["adagrad_last_over_first"] = float(ada[-1] / ada[0])
    return out


def figures(results: dict, out: pathlib.Path) -> list[pathlib.Path]:
    plt = _common.pyplot()
    t = np.asarray(results["t"])
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(14, 5.2))
    for name, r in results["optimizers"].items():
        line, = ax.plot(t[:WINDOW], r["step"][:WINDOW], "o", markersize=3.5, label=name)
        ax.plot(t[:WINDOW], r["closed_form"][:WINDOW], "-", color=line.get_color(), linewidth=1)
        ax2.loglog(t, r["step"], color=line.get_color(), label=name)
    ax2.loglog(t, 1 / np.sqrt(t), "k:", linewidth=1.2, label=r"$1/\sqrt{t}$")
    ax.set(xlabel="update t", ylabel=r"step size $|\Delta_t|/\eta$",
           title="First 50 steps (dots: measured, lines: closed forms)", ylim=(0, 7.5))
    ax2.set(xlabel="update t", ylabel=r"$|\Delta_t|/\eta$", title=f"Up to t = {len(t)} (log-log)")
    ax.legend()
    ax2.legend()
    paths = [_common.save_figure(fig, out, "adaptive_startup_steps")]

    ws = results["weight_sum"]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot(t[:WINDOW], ws["measured"], "o", markersize=4, label=r"measured $(\eta/|\Delta_t|)^2$ of RMSProp")
    ax.plot(t[:WINDOW], ws["expected"], "-", label=r"$1-\rho^t$, $\rho = 0.9$")
    ax.set(xlabel="update t", ylabel="sum of the EMA weights",
           title="RMSProp's average of g² starts biased towards 0", ylim=(0, 1.05))
    ax.legend()
    paths.append(_common.save_figure(fig, out, "adaptive_startup_weight_sum"))
    return paths


def summary(results: dict) -> str:
    rows = [(name, r["first_step"], r["peak"], r["peak_t"], r["step"][-1], r["max_relative_error"], r["scale_spread"])
            for name, r in results["optimizers"].items()]
    text = _common.table(rows, ["optimizer", "first step/η", "largest step/η", "at t", "last step/η",
                                "max rel. error vs closed form", "spread over |g|"])
    ws = results["weight_sum"]
    return text + (f"\nRMSProp weight sum vs 1 − ρᵗ: max error {ws['max_abs_error']:.1e}; "
                   f"bias 1 − sum decays by {ws['bias_decay_rate']:.4f} per step (ρ = {RHO})\n"
                   f"AdaGrad log-log slope {results['adagrad_slope']:.4f}; last/first step "
                   f"{results['adagrad_last_over_first']:.4f}")


CAPTIONS = {
    "adaptive_startup_steps": "Step size |Δ_t|/η under a constant gradient (η = 0.01; the same for |g| = 10⁻³, 1, 10³). "
                              "RMSProp and Adam without bias correction start at 3.162η (= 1/√0.1 = 0.1/√0.001); "
                              "almost-Adam rises to 6.6η at t = 12 and needs thousands of steps to settle at η; "
                              "bias-corrected Adam steps exactly η from t = 1; AdaGrad's step falls like η/√t (right, dotted).",
    "adaptive_startup_weight_sum": "The weights of RMSProp's exponential average of g² sum to 1 − ρᵗ after t steps: "
                                   "measured from the step sizes (dots), they lie on 1 − 0.9ᵗ, so the bias vanishes "
                                   "exponentially fast (by 0.9 per step).",
}


def _first(name: str):
    return lambda r: {"first_step": r["optimizers"][name]["first_step"],
                      "scale_spread": r["optimizers"][name]["scale_spread"]}


FIRST_STEP = float(np.sqrt(10.0))  # 1/√(1 − 0.9) = (1 − 0.9)/√(1 − 0.999)

CLAIMS = (
    _claims.Claim(
        "adaptive-rmsprop-first-step", "000",
        "after first step, r = (1−β)g², which for default β = 0.9 is r = 0.1g², a biased estimate",
        "adaptive_startup_steps", measure=_first("RMSProp (ρ = 0.9)"),
        verdict=_claims.all_of(_claims.between("first_step", 0.99 * FIRST_STEP, 1.01 * FIRST_STEP,
                                               what="RMSProp first step/η (1/√0.1 = 3.162)"),
                               _claims.at_most("scale_spread", 1e-3, what="spread over |g| = 1e-3…1e3")),
        examples=({"first_step": 3.162, "scale_spread": 1e-6}, {"first_step": 1.0, "scale_spread": 1e-6})),
    _claims.Claim(
        "adaptive-adam-first-step", "002",
        "Adam (almost) … Q: What happens at first timestep? … Bias correction for the fact that first and "
        "second moment estimates start at zero",
        "adaptive_startup_steps",
        measure=lambda r: {"almost": r["optimizers"]["Adam, no bias correction"]["first_step"],
                           "corrected": r["optimizers"]["Adam"]["first_step"]},
        verdict=_claims.all_of(_claims.between("almost", 0.99 * FIRST_STEP, 1.01 * FIRST_STEP,
                                               what="almost-Adam first step/η (0.1/√0.001 = 3.162)"),
                               _claims.between("corrected", 0.99, 1.01, what="bias-corrected Adam first step/η")),
        examples=({"almost": 3.16, "corrected": 1.0}, {"almost": 1.0, "corrected": 3.16})),
    _claims.Claim(
        "adaptive-ema-weight-sum", "000",
        "The sum of weights after t steps is (1 − β₁) ∑ β₁^{t−i} = 1 − β₁^t",
        "adaptive_startup_weight_sum",
        measure=lambda r: {"max_abs_error": r["weight_sum"]["max_abs_error"],
                           "bias_decay_rate": r["weight_sum"]["bias_decay_rate"]},
        verdict=_claims.all_of(_claims.at_most("max_abs_error", 1e-6, what="max |weight sum − (1 − ρᵗ)|, t ≤ 50"),
                               _claims.between("bias_decay_rate", 0.9 * 0.999, 0.9 * 1.001,
                                               what="bias decay per step (ρ = 0.9)")),
        examples=({"max_abs_error": 1e-9, "bias_decay_rate": 0.9}, {"max_abs_error": 0.1, "bias_decay_rate": 0.5})),
    _claims.Claim(
        "adaptive-adagrad-sqrt-t", "000",
        "the algorithm behaves as if decreasing learning rate by a factor of 1/√t",
        "adaptive_startup_steps", measure=lambda r: {"slope": r["adagrad_slope"]},
        verdict=_claims.between("slope", -0.505, -0.495, what="AdaGrad log-log slope of step vs t"),
        examples=({"slope": -0.5}, {"slope": -1.0})),
    _claims.Claim(
        "adaptive-adagrad-decays-to-zero", "002",
        "Q2: What happens to the step size over long time? Decays to zero",
        "adaptive_startup_steps",
        measure=lambda r: {"last_over_first": r["adagrad_last_over_first"], "steps": len(r["t"])},
        verdict=_claims.at_most("last_over_first", 0.03, what="AdaGrad last step / first step (≥ 2000 steps)"),
        examples=({"last_over_first": 0.022, "steps": 2000}, {"last_over_first": 0.5, "steps": 2000})),
)


def main(argv=None) -> None:
    _common.cli(sys.modules[__name__], argv)


if __name__ == "__main__":
    main()
