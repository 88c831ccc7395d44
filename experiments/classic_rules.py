"""The classic rules of [001] against SGD and momentum on Fahlman's benchmarks: XOR and the 8-3-8 encoder.

Delta-bar-delta (Jacobs 1988), Quickprop (Fahlman 1988) and the four Rprop variants (Riedmiller &
Braun 1993; Igel & Hüsken 2000) were introduced on small sigmoid networks trained full batch. Here
every method trains XOR (2-2-1) and the 8-3-8 encoder over ≥20 random initialisations (all seeds in
one ``jax.vmap`` of the ``lax.scan`` driver); an epoch is one full-batch step, and a run is solved
when every output is within 0.4 of its 0/1 target (Fahlman's 40-20-40 criterion). Table: epochs to
solve (median over solved seeds only) and the fraction of seeds solved. Specification:
docs/spec/delta-bar-delta.md, docs/spec/quickprop.md, docs/spec/rprop.md, docs/spec/experiments.md.
"""

from __future__ import annotations

import pathlib
import sys

import jax
import jax.numpy as jnp
import numpy as np

import jaxopt_lectures as jol
from experiments import _claims, _common

FULL = dict(seeds=30, epochs=3000, tasks=("xor", "encoder 8-3-8"))
QUICK = dict(seeds=20, epochs=600, tasks=("xor", "encoder 8-3-8"))

TASKS = {  # name -> (inputs, targets, hidden units)
    "xor": (np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32), np.array([[0], [1], [1], [0]], np.float32), 2),
    "encoder 8-3-8": (np.eye(8, dtype=np.float32), np.eye(8, dtype=np.float32), 3),
}
OPTIMIZERS = {
    "sgd": lambda: jol.sgd(2.0),
    "momentum": lambda: jol.momentum(1.0, 0.5),  # effective rate 1/(1 − 0.5) = 2, as sgd; β = 0.9 stalls here
    "delta-bar-delta": lambda: jol.delta_bar_delta(1.0, kappa=0.1, phi=0.2, theta=0.7),
    "quickprop": lambda: jol.quickprop(1.0, max_growth=1.75),
    "rprop+": lambda: jol.rprop(0.1, variant="rprop+"),
    "rprop-": lambda: jol.rprop(0.1, variant="rprop-"),
    "irprop+": lambda: jol.rprop(0.1, variant="irprop+"),
    "irprop-": lambda: jol.rprop(0.1, variant="irprop-"),
}


def init(key: jax.Array, n_in: int, n_hidden: int, n_out: int) -> dict:
    """Uniform(−1, 1) weights and biases, as in the classic papers."""
    k = jax.random.split(key, 4)
    u = lambda kk, shape: jax.random.uniform(kk, shape, minval=-1.0, maxval=1.0)
    return {"W1": u(k[0], (n_in, n_hidden)), "b1": u(k[1], (n_hidden,)),
            "W2": u(k[2], (n_hidden, n_out)), "b2": u(k[3], (n_out,))}


def forward(params: dict, X: jax.Array) -> jax.Array:
    h = jax.nn.sigmoid(X @ params["W1"] + params["b1"])
    return jax.nn.sigmoid(h @ params["W2"] + params["b2"])


def solve_epochs(task: str, make, config: dict) -> np.ndarray:
    """Epochs until solved for each seed (−1: not solved within the budget)."""
    X, T, hidden = (jnp.asarray(a) if not isinstance(a, int) else a for a in TASKS[task])
    loss = lambda p: 0.5 * jnp.sum((forward(p, X) - T) ** 2)  # Fahlman's sum of squared errors
    solved = lambda p: jnp.all(jnp.abs(forward(p, X) - T) < 0.4)

    def one(key):
        _, trace = jol.minimize(loss, init(key, X.shape[1], hidden, T.shape[1]), make(), config["epochs"])
        ok = jax.vmap(solved)(trace.params)
        return jnp.where(ok.any(), jnp.argmax(ok), -1)

    keys = jax.random.split(jax.random.key(0), config["seeds"])
    return np.asarray(jax.jit(jax.vmap(one))(keys))


def run(config: dict) -> dict:
    """Numbers only: per task and optimizer the epochs-to-solve of every seed, median and success rate."""
    results = {}
    for task in config["tasks"]:
        results[task] = {}
        for name, make in _common.progress(OPTIMIZERS.items(), desc=task):
            epochs = solve_epochs(task, make, config)
            ok = epochs >= 0
            results[task][name] = {"epochs": epochs, "solved_fraction": float(ok.mean()),
                                   "median_epochs": float(np.median(epochs[ok])) if ok.any() else None}
    return results


def figures(results: dict, out: pathlib.Path) -> list[pathlib.Path]:
    plt = _common.pyplot()
    fig, axes = plt.subplots(1, len(results), figsize=(7 * len(results), 5), layout="constrained", squeeze=False)
    for ax, (task, runs) in zip(axes[0], results.items()):
        names = list(runs)
        data = [np.where(runs[n]["epochs"] >= 0, runs[n]["epochs"], np.nan) for n in names]
        ax.boxplot([d[np.isfinite(d)] if np.isfinite(d).any() else [np.nan] for d in data], showfliers=True)
        ax.set_xticks(range(1, len(names) + 1), [f"{n}\n{runs[n]['solved_fraction']:.0%}" for n in names],
                      rotation=30, fontsize=9)
        ax.set_yscale("log")
        ax.set(ylabel="epochs to solve (solved seeds)", title=f"{task}: epochs to solve; % of seeds solved")
    return [_common.save_figure(fig, out, "classic_rules_epochs")]


def summary(results: dict) -> str:
    rows = [(task, name, r["median_epochs"] if r["median_epochs"] is not None else "-", f"{r['solved_fraction']:.0%}")
            for task, runs in results.items() for name, r in runs.items()]
    return _common.table(rows, ["task", "optimizer", "median epochs", "solved"])


CAPTIONS = {
    "classic_rules_epochs": "[001] per-weight adaptive rules on the classic benchmarks (boxes: epochs to solve over the "
                            "solved seeds only; under each name: % of seeds solved). On the 8-3-8 encoder Quickprop and "
                            "the Rprop variants solve in a fraction of gradient descent's epochs. On XOR they are fast "
                            "but unreliable: Rprop and Quickprop solve only about half of the seeds (≈50–60% in the "
                            "quick run) against ≈90% for SGD, so their medians cover the easier seeds only.",
}


FAST = ("quickprop", "rprop+", "rprop-", "irprop+", "irprop-")
QUOTE = ("First order gradient alternatives — Quickprop: assume that loss surface is locally quadratic; Rprop: "
         "gradient is completely replaced by its sign (each faster than gradient descent on the classic benchmarks)")


def speedup(task: str):
    """measure(results) for ``task``: the slowest median of Quickprop/Rprop (solved seeds) over SGD's, the
    least fraction of seeds they solve, and SGD's fraction."""

    def measure(results: dict) -> dict:
        runs = results[task]
        medians = [runs[n]["median_epochs"] if runs[n]["median_epochs"] is not None else float("inf") for n in FAST]
        return {"slowest_over_sgd": max(medians) / (runs["sgd"]["median_epochs"] or float("nan")),
                "least_solved": min(runs[n]["solved_fraction"] for n in FAST),
                "sgd_solved": runs["sgd"]["solved_fraction"]}

    return measure


def _faster_and_reliable(what: str, reliable: float):
    return _claims.all_of(
        _claims.at_most("slowest_over_sgd", 0.5, what=f"{what}: slowest median of Quickprop/Rprop ÷ SGD's"),
        _claims.at_least("least_solved", reliable, what="least fraction of seeds they solve"))


CLAIMS = (
    _claims.Claim("quickprop-rprop-encoder", "001", QUOTE, "classic_rules_epochs", measure=speedup("encoder 8-3-8"),
                  verdict=_faster_and_reliable("encoder", 0.5),
                  examples=({"slowest_over_sgd": 0.1, "least_solved": 1.0, "sgd_solved": 1.0},
                            {"slowest_over_sgd": 1.2, "least_solved": 1.0, "sgd_solved": 1.0})),
    _claims.Claim("quickprop-rprop-xor", "001", QUOTE, "classic_rules_epochs", measure=speedup("xor"),
                  verdict=_faster_and_reliable("XOR", 0.8),
                  examples=({"slowest_over_sgd": 0.2, "least_solved": 0.9, "sgd_solved": 0.9},
                            {"slowest_over_sgd": 0.2, "least_solved": 0.5, "sgd_solved": 0.9})),
)


def main(argv=None) -> None:
    _common.cli(sys.modules[__name__], argv)


if __name__ == "__main__":
    main()
