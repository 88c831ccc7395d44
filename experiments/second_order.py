"""Newton, BFGS and L-BFGS against gd, momentum and Adam on a full-batch logistic regression.

L2-regularised logistic regression on scikit-learn's breast-cancer data (569 × 30, standardised,
plus a bias: 31 parameters, so the dense Hessian is tiny), loss
$\\operatorname{mean}\\log(1 + e^{-y z}) + (\\lambda/2)\\|w\\|^2$. Plots loss − min against iterations
and against wall-clock time (per-step time of the compiled ``minimize`` loop, measured on a second
run so compilation is excluded) and saves the numbers as JSON. [002]: "If you can afford to do full
batch updates then try out L-BFGS"; [001] §7.6 / [002]: Newton's O(n²)/O(n³) cost. Specification:
docs/spec/newton.md, docs/spec/bfgs.md, docs/spec/lbfgs.md, docs/spec/experiments.md.
"""

from __future__ import annotations

import pathlib
import sys
import time
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

import jaxopt_lectures as jol
from experiments import _claims, _common

FULL, QUICK = dict(steps=300, l2=1e-2, repeats=3), dict(steps=120, l2=1e-2, repeats=1)


def logistic_problem(l2: float = 1e-2, dtype=jnp.float64) -> tuple[Callable, dict, float]:
    """(loss, params0 = zeros, L) of `jol.problems.logistic_regression` on standardised breast-cancer data."""
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    X = (data.data - data.data.mean(0)) / data.data.std(0)
    return jol.problems.logistic_regression(X, data.target, l2, dtype=dtype)


def optimizers(lipschitz: float) -> dict[str, Callable]:
    return {
        "newton": lambda: jol.newton(),
        "newton + armijo": lambda: jol.newton(linesearch=jol.armijo_linesearch()),
        "bfgs": lambda: jol.bfgs(),
        "lbfgs (m=10)": lambda: jol.lbfgs(),
        "lbfgs (m=3)": lambda: jol.lbfgs(memory_size=3),
        "gd (1/L)": lambda: jol.sgd(1.0 / lipschitz),
        "momentum (1/L, 0.9)": lambda: jol.momentum(1.0 / lipschitz, 0.9),
        "adam (1e-2)": lambda: jol.adam(1e-2),
    }


def _timed_run(f, p0, tx, steps: int, repeats: int):
    loop = jax.jit(lambda p: jol.minimize(f, p, tx, steps))  # one compiled loop, reused by the timed runs
    jax.block_until_ready(loop(p0))
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        p, trace = jax.block_until_ready(loop(p0))
        best = min(best, time.perf_counter() - start)
    return p, trace, best


def run(config: dict) -> dict:
    """Numbers only: per optimizer the loss − min curve, gradient norms, per-step seconds, iterations to ‖∇f‖ < 1e-6."""
    with jax.enable_x64(True):
        f, p0, lipschitz = logistic_problem(config["l2"])
        steps = config["steps"]
        runs = {}
        for name, make in _common.progress(optimizers(lipschitz).items(), desc="logistic"):
            _, trace, seconds = _timed_run(f, p0, make(), steps, config["repeats"])
            runs[name] = (np.asarray(trace.loss), np.asarray(trace.grad_norm), seconds / steps)
        f_min = min(float(r[0].min()) for r in runs.values())
        results = {"f_min": f_min, "lipschitz": lipschitz, "steps": steps, "methods": {}}
        for name, (loss, gnorm, per_step) in runs.items():
            below = np.flatnonzero(gnorm < 1e-6)
            results["methods"][name] = {
                "loss_gap": np.maximum(loss - f_min, 0.0), "grad_norm": gnorm, "seconds_per_step": per_step,
                "iterations_to_gtol": int(below[0]) if below.size else None, "final_loss": float(loss[-1])}
        return results


def figures(results: dict, out: pathlib.Path) -> list[pathlib.Path]:
    plt = _common.pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8))
    for name, r in results["methods"].items():
        gap = np.maximum(np.asarray(r["loss_gap"]), 1e-16)
        axes[0].semilogy(gap, label=name)
        axes[1].semilogy(np.arange(gap.size) * r["seconds_per_step"] * 1e3, gap, label=name)
    axes[0].set(xlabel="iteration", ylabel="$f(w_t) - f^*$", title="breast cancer, L2 logistic regression")
    axes[1].set(xlabel="wall-clock time (ms, compiled loop)", ylabel="$f(w_t) - f^*$", xscale="log",
                title="same runs against time")
    axes[0].legend(fontsize=9)
    return [_common.save_figure(fig, out, "second_order_logistic")]


def summary(results: dict) -> str:
    rows = [(name, r["iterations_to_gtol"] if r["iterations_to_gtol"] is not None else f">{results['steps']}",
             float(r["loss_gap"][-1]), r["seconds_per_step"] * 1e6) for name, r in results["methods"].items()]
    return _common.table(rows, ["method", "iters to |grad|<1e-6", "final f - f*", "us / step"])


CAPTIONS = {
    "second_order_logistic": "[002] 'if you can afford full-batch updates, try L-BFGS': on L2-regularised logistic "
                             "regression (31 parameters) Newton, BFGS and L-BFGS reach ‖∇f‖ < 1e-6 in tens of "
                             "iterations where gd, momentum and Adam do not get there at all; per unit of wall time "
                             "the gap is smaller, since a Newton step costs O(n³).",
}


FIRST_ORDER = ("gd (1/L)", "momentum (1/L, 0.9)", "adam (1e-2)")


def iterations(results: dict) -> dict:
    """Iterations to ‖∇f‖ < 1e-6 of L-BFGS, BFGS and Newton; how many first-order runs got there at all."""
    its = lambda name: results["methods"][name]["iterations_to_gtol"]
    big = lambda name: float(its(name)) if its(name) is not None else float("inf")
    return {"lbfgs": big("lbfgs (m=10)"), "bfgs": big("bfgs"), "newton": big("newton"),
            "first_order_reaching": sum(its(n) is not None for n in FIRST_ORDER), "steps": results["steps"]}


CLAIMS = (
    _claims.Claim(
        "lbfgs-full-batch", "002", "If you can afford to do full batch updates then try out L-BFGS (and don't forget "
        "to disable all sources of noise)", "second_order_logistic", measure=iterations,
        verdict=_claims.all_of(
            _claims.at_most("lbfgs", 40, what="L-BFGS (m = 10) iterations to ‖∇f‖ < 1e-6"),
            _claims.at_most("first_order_reaching", 0, what="first-order runs (gd, momentum, Adam) reaching it")),
        examples=({"lbfgs": 22, "bfgs": 84, "newton": 8, "first_order_reaching": 0, "steps": 120},
                  {"lbfgs": float("inf"), "bfgs": 84, "newton": 8, "first_order_reaching": 2, "steps": 120})),
    _claims.Claim(
        "newton-curvature", "001", "Use the information on curvature (Hessian)", "second_order_logistic",
        measure=iterations,
        verdict=_claims.at_most("newton", 15, what="Newton iterations to ‖∇f‖ < 1e-6"),
        examples=({"lbfgs": 22, "bfgs": 84, "newton": 8, "first_order_reaching": 0, "steps": 120},
                  {"lbfgs": 22, "bfgs": 84, "newton": 60, "first_order_reaching": 0, "steps": 120})),
)


def main(argv: list[str] | None = None) -> dict:
    return _common.cli(sys.modules[__name__], argv)[0]


if __name__ == "__main__":
    main()
