"""The cost of a Newton step against the dimension N: O(N³) against a first-order step's O(N²).

[002] "Hessian has O(N^2) elements Inverting takes O(N^3)". On a dense strictly convex quadratic
$f(x) = \\tfrac12 x^\\top A x - b^\\top x$ in $N$ dimensions ($A = (M + M^\\top)/(2\\sqrt N) + 2I$, $M$
Gaussian, eigenvalues in about $[0.6, 3.4]$), this times one compiled step of

* ``jol.newton()``: the gradient ($O(N^2)$), the Hessian by ``jax.hessian`` ($N$ Hessian-vector
  products of $O(N^2)$ each: $O(N^3)$ here) and the Cholesky factorisation and solve ($O(N^3)$);
* its two parts alone: the Hessian build and the Cholesky solve ``cho_solve(cholesky(H), g)``;
* a first-order step ``jol.sgd`` (one gradient, $O(N^2)$),

each the fastest of at least ``repeats`` calls (more for fast calls, see `best_time`) after a
compile-and-warm-up call, in float32 on the CPU. The
fitted log–log slope over the top sizes estimates the exponent; at small $N$ fixed per-call
overheads flatten every curve, so the slopes approach 3 (Newton) and 2 (first order) only at the
largest sizes, and the ratio Newton/first-order time grows roughly like $N$. Timings are of the
machine that runs it (BLAS threads, load): the JSON keeps every measured time.

    python -m experiments.newton_cost [--quick] [--out DIR]
"""

from __future__ import annotations

import pathlib
import sys
import time
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax

import jaxopt_lectures as jol
from experiments import _claims, _common

FULL = dict(sizes=(128, 256, 512, 1024, 1536, 2048, 3072), repeats=7, top=4)
QUICK = dict(sizes=(128, 256, 512, 768), repeats=5, top=3)
PARTS = ("newton step", "hessian build", "cholesky solve", "first-order step")


def dense_quadratic(n: int, seed: int = 0) -> tuple[Callable, jax.Array, jax.Array]:
    """(f, A, x0): f(x) = ½xᵀAx − bᵀx with a dense SPD A (built in O(N²)), b and x0 Gaussian."""
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((n, n), dtype=np.float32)
    A = jnp.asarray((M + M.T) / (2 * np.sqrt(n)) + 2 * np.eye(n, dtype=np.float32))
    b = jnp.asarray(rng.standard_normal(n, dtype=np.float32))
    return (lambda x: 0.5 * x @ (A @ x) - b @ x), A, jnp.asarray(rng.standard_normal(n, dtype=np.float32))


def _one_step(f: Callable, tx: optax.GradientTransformationExtraArgs) -> Callable:
    def step(x, state):
        value, g = jax.value_and_grad(f)(x)
        updates, state = tx.update(g, state, x, value=value, grad=g, value_fn=f)
        return optax.apply_updates(x, updates), state

    return jax.jit(step)


def best_time(fn: Callable, *args, repeats: int, min_total: float = 0.2) -> float:
    """Seconds of the fastest call of ``fn(*args)``, after one compile-and-warm-up call.

    At least ``repeats`` calls, and more (up to 1000) until ``min_total`` seconds are spent: the fast
    calls at small N get many tries, so a busy machine rarely spoils all of them.
    """
    jax.block_until_ready(fn(*args))
    best, spent, calls = np.inf, 0.0, 0
    while calls < repeats or (spent < min_total and calls < 1000):
        start = time.perf_counter()
        jax.block_until_ready(fn(*args))
        elapsed = time.perf_counter() - start
        best, spent, calls = min(best, elapsed), spent + elapsed, calls + 1
    return float(best)


def time_parts(n: int, repeats: int) -> dict[str, float]:
    """Seconds of each part of `PARTS` at dimension n."""
    f, A, x = dense_quadratic(n)
    newton, gd = jol.newton(), jol.sgd(0.1)
    g = jax.grad(f)(x)
    solve = jax.jit(lambda h, g: jax.scipy.linalg.cho_solve((jnp.linalg.cholesky(h), True), g))
    return {"newton step": best_time(_one_step(f, newton), x, newton.init(x), repeats=repeats),
            "hessian build": best_time(jax.jit(jax.hessian(f)), x, repeats=repeats),
            "cholesky solve": best_time(solve, A, g, repeats=repeats),
            "first-order step": best_time(_one_step(f, gd), x, gd.init(x), repeats=repeats)}


def slope(sizes, seconds) -> float:
    """Least-squares slope of log(seconds) against log(N)."""
    return float(np.polyfit(np.log(sizes), np.log(seconds), 1)[0])


def run(config: dict) -> dict:
    """Numbers only: seconds per part and size, fitted slopes over all and over the top sizes, the Newton/GD ratio."""
    sizes = list(config["sizes"])
    rows = [time_parts(n, config["repeats"]) for n in _common.progress(sizes, desc="N")]
    seconds = {part: [r[part] for r in rows] for part in PARTS}
    top = sizes[-config["top"]:]
    ratio = [a / b for a, b in zip(seconds["newton step"], seconds["first-order step"])]
    return {"sizes": sizes, "seconds": seconds, "top_sizes": top,
            "slope_all": {p: slope(sizes, s) for p, s in seconds.items()},
            "slope_top": {p: slope(top, s[-len(top):]) for p, s in seconds.items()},
            "newton_over_first_order": ratio, "ratio_growth": ratio[-1] / ratio[0],
            "size_growth": sizes[-1] / sizes[0]}


def figures(results: dict, out: pathlib.Path) -> list[pathlib.Path]:
    plt = _common.pyplot()
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(14, 5), layout="constrained")
    n = np.asarray(results["sizes"], float)
    for part, style in zip(PARTS, ("o-", "s--", "^--", "D-")):
        s = np.asarray(results["seconds"][part]) * 1e3
        ax.loglog(n, s, style, label=f"{part}: slope {results['slope_top'][part]:.2f} (top {len(results['top_sizes'])} sizes)")
    ref = np.asarray(results["seconds"]["newton step"][-1]) * 1e3
    ax.loglog(n, ref * (n / n[-1]) ** 3, "k:", linewidth=1, label="N³ (through the last Newton point)")
    ax.loglog(n, np.asarray(results["seconds"]["first-order step"][-1]) * 1e3 * (n / n[-1]) ** 2, "k-.",
              linewidth=1, label="N² (through the last first-order point)")
    ax.set(xlabel="dimension N", ylabel="milliseconds per call (best of repeats)",
           title="dense quadratic, float32, CPU")
    ax.legend(fontsize=8)
    ax2.loglog(n, results["newton_over_first_order"], "o-")
    ax2.loglog(n, results["newton_over_first_order"][0] * n / n[0], "k:", linewidth=1, label="∝ N")
    ax2.set(xlabel="dimension N", ylabel="Newton step time / first-order step time",
            title=f"ratio grows ×{results['ratio_growth']:.0f} while N grows ×{results['size_growth']:.0f}")
    ax2.legend()
    return [_common.save_figure(fig, out, "newton_cost")]


def summary(results: dict) -> str:
    rows = [(n, *(results["seconds"][p][i] * 1e3 for p in PARTS), results["newton_over_first_order"][i])
            for i, n in enumerate(results["sizes"])]
    text = _common.table(rows, ["N", *(f"{p} (ms)" for p in PARTS), "newton / first-order"])
    return text + "\nfitted slope over the top sizes " + str(results["top_sizes"]) + ": " + ", ".join(
        f"{p} {s:.2f}" for p, s in results["slope_top"].items())


CAPTIONS = {
    "newton_cost": "[002] 'Hessian has O(N²) elements, inverting takes O(N³)'. Left: seconds per call against N; "
                   "the Newton step (Hessian build by N Hessian-vector products plus a Cholesky solve) grows with "
                   "a steeper log–log slope than a first-order step (one gradient, O(N²)); fixed per-call overheads "
                   "flatten all curves at small N, so the slopes are fitted over the top sizes only. Right: the "
                   "Newton/first-order time ratio grows with N.",
}


def _measure(r: dict) -> dict:
    return {"newton_slope": r["slope_top"]["newton step"], "first_order_slope": r["slope_top"]["first-order step"],
            "slope_gap": r["slope_top"]["newton step"] - r["slope_top"]["first-order step"],
            "ratio_growth": r["ratio_growth"], "size_growth": r["size_growth"]}


CLAIMS = (
    _claims.Claim(
        "newton-cubic-cost", "002", "Hessian has O(N^2) elements Inverting takes O(N^3)", "newton_cost",
        measure=_measure,
        verdict=_claims.all_of(
            _claims.at_least("newton_slope", 2.4, partly=1.8, what="fitted log-log slope of the Newton step (top sizes)"),
            _claims.at_least("slope_gap", 0.5, partly=0.2, what="Newton slope − first-order slope")),
        examples=({"newton_slope": 2.8, "first_order_slope": 1.9, "slope_gap": 0.9, "ratio_growth": 40.0,
                   "size_growth": 16.0},
                  {"newton_slope": 1.2, "first_order_slope": 1.1, "slope_gap": 0.1, "ratio_growth": 1.5,
                   "size_growth": 16.0})),
    _claims.Claim(
        "newton-vs-first-order-ratio", "002", "Hessian has O(N^2) elements Inverting takes O(N^3) … Q: Why is "
        "this bad for deep learning?", "newton_cost",
        measure=_measure,
        verdict=_claims.at_least("ratio_growth", 4.0, partly=2.0,
                                 what="growth of the Newton/first-order time ratio over the sizes"),
        examples=({"ratio_growth": 20.0}, {"ratio_growth": 1.1})),
)


def main(argv=None) -> None:
    _common.cli(sys.modules[__name__], argv)


if __name__ == "__main__":
    main()
