"""Gradient checking ([002] "Numeric Gradient"): why float64 and centered differences.

For each loss of the library on a small random linear model, ``losses.check_grad`` compares
``jax.grad`` with finite differences over a range of steps h, in float32 and float64, centered
and forward. The relative error first falls with h (truncation error, O(h²) centered, O(h)
forward) then rises again (rounding error ~ machine ε / h): in float32 the best achievable error
of a correct gradient is ~1e-5 to 3e-4 centered and ~1e-2 forward (curved losses) — never in
CS231n's "good" band below 1e-7 — while float64 centered reaches ~1e-9 or better. Specification: docs/spec/losses.md
(``check_grad``), docs/spec/experiments.md.
"""

from __future__ import annotations

import pathlib
import sys

import jax
import jax.numpy as jnp
import numpy as np

from experiments import _claims, _common
from jaxopt_lectures import losses

FULL = dict(steps=np.geomspace(1e-12, 1e-1, 23).tolist(), num_checks=40)
QUICK = dict(steps=np.geomspace(1e-10, 1e-1, 10).tolist(), num_checks=12)


def _objectives(dtype) -> dict:
    """Each loss of a linear model x ↦ Wx on fixed random data, as a function of W (away from kinks)."""
    rng = np.random.default_rng(0)
    X = jnp.asarray(rng.normal(size=(16, 5)), dtype)
    y_int = jnp.asarray(rng.integers(0, 3, 16))
    y_real = jnp.asarray(rng.normal(size=(16, 3)), dtype)
    y_bin = jnp.asarray(rng.integers(0, 2, 16), dtype)
    W0 = jnp.asarray(rng.normal(size=(5, 3)), dtype)
    return {
        "mse": (lambda W: losses.mse(X @ W, y_real), W0),
        "softmax_cross_entropy": (lambda W: losses.softmax_cross_entropy(X @ W, y_int), W0),
        "multiclass_hinge": (lambda W: losses.multiclass_hinge(X @ W, y_int), W0),
        "logistic": (lambda w: losses.logistic(X @ w, y_bin), W0[:, 0]),
        "l2_penalty": (losses.l2_penalty, W0),
    }


def run(config: dict) -> dict:
    """Numbers only: max relative error per loss, dtype, method and step h."""
    results = {}
    for dtype_name in ("float32", "float64"):
        with jax.enable_x64(dtype_name == "float64"):
            dtype = jnp.float64 if dtype_name == "float64" else jnp.float32
            for name, (fun, W0) in _common.progress(_objectives(dtype).items(), desc=dtype_name):
                for method in ("centered", "forward"):
                    errors = [float(losses.check_grad(fun, W0, h, method=method, num_checks=config["num_checks"],
                                                    dtype=dtype_name).max_rel_error)
                              for h in config["steps"]]
                    results.setdefault(name, {})[f"{dtype_name}/{method}"] = {"steps": config["steps"], "max_rel_error": errors}
    return results


def figures(results: dict, out: pathlib.Path) -> list[pathlib.Path]:
    plt = _common.pyplot()
    n = len(results)
    fig, axes = plt.subplots(1, n, figsize=(4.6 * n, 4.4), sharey=True, layout="constrained")
    for ax, (name, runs) in zip(axes, results.items()):
        for key, r in runs.items():
            style = "-" if key.startswith("float64") else "--"  # float32 dashed
            ax.loglog(r["steps"], np.maximum(r["max_rel_error"], 1e-17), style, marker="o", markersize=3, label=key)
        ax.axhspan(1e-2, 1e3, color="0.55", alpha=0.25, lw=0)  # grey bands: the lines keep the colours
        ax.axhspan(1e-17, 1e-7, color="0.55", alpha=0.10, lw=0, hatch="//")
        ax.text(1.5e-10, 2e-2, "wrong (> 1e-2)", fontsize=8, va="bottom")
        ax.text(1.5e-10, 3e-8, "good (< 1e-7)", fontsize=8, va="top")
        ax.set(xlabel="finite-difference step h", title=name, ylim=(1e-17, 1e1))
    axes[0].set_ylabel("max relative error (grey bands: CS231n wrong / good)")
    axes[0].legend(fontsize=8)
    return [_common.save_figure(fig, out, "gradient_check_steps")]


def summary(results: dict) -> str:
    rows = []
    for name, runs in results.items():
        for key, r in runs.items():
            i = int(np.argmin(r["max_rel_error"]))
            rows.append((name, key, r["steps"][i], r["max_rel_error"][i]))
    return _common.table(rows, ["loss", "dtype/method", "best h", "best max rel. error"])


CAPTIONS = {
    "gradient_check_steps": "[002] numeric vs analytic gradient: the error is U-shaped in h (truncation vs rounding). "
                            "In float32 (dashed) the best error of these correct gradients is 1e-5 to 3e-4 centered and "
                            "~1e-2 forward for the curved losses (the piecewise-linear hinge: 3e-5 either way) — never in CS231n's 'good' band (< 1e-7, light grey, hatched); float64 with "
                            "centered differences reaches it for every loss — check gradients in float64. "
                            "(The table lists each curve's best h and error.)",
}


def best_errors(results: dict) -> dict:
    """Worst-loss best error of float64 centered, best float32 centered over the smooth losses, centered ≤ forward."""
    best = lambda name, key: min(results[name][key]["max_rel_error"])
    smooth = [n for n in ("mse", "softmax_cross_entropy", "logistic", "l2_penalty") if n in results]
    return {"float64_centered_worst": max(best(n, "float64/centered") for n in results),
            "float32_centered_best": min(best(n, "float32/centered") for n in smooth),
            "centered_beats_forward_float64": all(best(n, "float64/centered") <= best(n, "float64/forward")
                                                  for n in results)}


CLAIMS = (
    _claims.Claim(
        "gradient-check-float64", "002", "Always use analytic gradient, but check implementation with numerical "
        "gradient", "gradient_check_steps", measure=best_errors,
        verdict=_claims.at_most("float64_centered_worst", 1e-7,
                                what="float64 centered: best max relative error of the worst loss"),
        examples=({"float64_centered_worst": 1e-10}, {"float64_centered_worst": 1e-4})),
    _claims.Claim(
        "numeric-gradient-approximate", "002", "Numerical gradient: approximate, slow, easy to write",
        "gradient_check_steps", measure=best_errors,
        verdict=_claims.all_of(
            _claims.at_least("float32_centered_best", 1e-7,
                             what="float32 centered, best error over the smooth losses (cannot reach 'good')"),
            _claims.is_true("centered_beats_forward_float64", what="float64: centered ≤ forward for every loss")),
        examples=({"float32_centered_best": 1.4e-5, "centered_beats_forward_float64": True},
                  {"float32_centered_best": 1e-9, "centered_beats_forward_float64": False})),
)


def main(argv=None) -> None:
    _common.cli(sys.modules[__name__], argv)


if __name__ == "__main__":
    main()
