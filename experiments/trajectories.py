"""Optimizer trajectories on the lectures' 2-D test surfaces (SPEC.md E1; [000] animations, [002], [003]).

Every first-order optimizer of the library (each lecture variant) runs on Rosenbrock, Beale, the
saddle x² − y² and an ill-conditioned quadratic (κ = 100, rotated 30°). Each optimizer's step size
is tuned per problem by a small grid that runs in ONE ``jax.vmap`` of the ``lax.scan`` driver.
Figures: contours with the paths, loss vs step; table: steps to reach f* + 1e-6 (for the saddle:
steps until |y| > 1, i.e. escaping it).
"""

from __future__ import annotations

import pathlib
import sys

import jax
import jax.numpy as jnp
import numpy as np

import jaxopt_lectures as jol
from experiments import _common

FULL = dict(steps=5000, grid=12)
QUICK = dict(steps=800, grid=6)
TOL = 1e-6


def _optimizers() -> dict:
    """group -> label -> (factory of the step size, (lowest, highest) step size of the log grid)."""
    return {
        "gradient descent & momentum": {
            "sgd": (jol.sgd, (1e-4, 3e-1)),
            "momentum trace": (lambda lr: jol.momentum(lr, 0.9), (1e-5, 3e-2)),
            "momentum velocity": (lambda lr: jol.momentum(lr, 0.9, form="velocity"), (1e-5, 3e-2)),
            "momentum ema": (lambda lr: jol.momentum(lr, 0.9, form="ema"), (1e-4, 3e-1)),
            "nesterov": (lambda lr: jol.nesterov(lr, 0.9), (1e-5, 3e-2)),
        },
        "adaptive": {
            "adagrad": (jol.adagrad, (1e-3, 3.0)),
            "rmsprop": (jol.rmsprop, (1e-4, 1e-1)),
            "adadelta (Zeiler)": (jol.adadelta, (0.3, 300.0)),
            "adadelta ([001] slide)": (lambda lr: jol.adadelta(lr, form="jku"), (1.0, 1e4)),
            "adam": (jol.adam, (1e-4, 3e-1)),
            "almost adam (no bias corr.)": (lambda lr: jol.adam(lr, bias_correction=False), (1e-4, 3e-1)),
        },
        "classic rules": {
            **{variant: (lambda lr, v=variant: jol.rprop(lr, variant=v), (1e-4, 1e-1))
               for variant in ("rprop+", "rprop-", "irprop+", "irprop-")},
            "delta-delta": (lambda lr: jol.delta_delta(lr, meta_learning_rate=1e-7), (1e-5, 1e-2)),
            "delta-bar-delta": (lambda lr: jol.delta_bar_delta(lr, kappa=1e-5, phi=0.2, theta=0.7), (1e-5, 1e-2)),
            "delta-bar-delta (slide)": (lambda lr: jol.delta_bar_delta(lr, kappa=1e-5, phi=0.2, theta=0.7,
                                                                       average="current"), (1e-5, 1e-2)),
            "quickprop": (jol.quickprop, (1e-4, 1e-1)),
            "quickprop (bare secant)": (lambda lr: jol.quickprop(lr, safeguard=False), (1e-4, 1e-1)),
        },
    }


def _quadratic_kappa100():
    a = np.deg2rad(30.0)
    q = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    A = jnp.asarray(q @ np.diag([1.0, 100.0]) @ q.T, jnp.float32)
    return jol.problems.Problem("quadratic κ=100", lambda x: 0.5 * x @ A @ x, (jnp.zeros(2),), 0.0,
                                jnp.array([1.0, 1.0]), ((-1.5, 1.5), (-1.5, 1.5)))


def _problems() -> dict:
    p = jol.problems
    return {"rosenbrock": p.rosenbrock, "beale": p.beale, "saddle": p.saddle, "quadratic": _quadratic_kappa100()}


def _steps_to(loss: np.ndarray, target: float) -> int | None:
    hit = np.nonzero(loss <= target)[0]
    return int(hit[0]) if hit.size else None


def _score(name: str, problem, losses: np.ndarray, paths: np.ndarray) -> np.ndarray:
    """Lower is better: steps to the target (escape for the saddle), ties broken by the final loss."""
    n = losses.shape[1]
    if name == "saddle":
        escaped = np.abs(paths[:, :, 1]) > 1
        first = np.where(escaped.any(1), escaped.argmax(1), n)
        return first.astype(float)
    ok = np.isfinite(losses[:, -1])
    reached = losses <= problem.min_value + TOL
    first = np.where(reached.any(1), reached.argmax(1), n)
    return np.where(ok, first + np.nan_to_num(losses[:, -1], nan=1e30, posinf=1e30) / (1 + np.abs(losses[:, -1])), np.inf)


def tune_and_run(name: str, problem, factory, bounds, config) -> dict:
    """Run the whole step-size grid in one vmap; keep the best run."""
    grid = jnp.geomspace(bounds[0], bounds[1], config["grid"])
    run = lambda lr: jol.minimize(problem, problem.x0, factory(lr), config["steps"])[1]
    trace = jax.vmap(run)(grid)
    losses, paths = np.asarray(trace.loss, np.float64), np.asarray(trace.params, np.float64)
    best = int(np.argmin(_score(name, problem, losses, paths)))
    loss = losses[best]
    if name == "saddle":
        escaped = np.nonzero(np.abs(paths[best, :, 1]) > 1)[0]
        steps = int(escaped[0]) if escaped.size else None
    else:
        steps = _steps_to(loss, problem.min_value + TOL)
    return {"learning_rate": float(grid[best]), "loss": loss, "path": paths[best], "steps": steps,
            "final_loss": float(loss[-1])}


def run(config: dict) -> dict:
    """Numbers only: per problem and optimizer the tuned rate, loss curve, path and steps to target."""
    results = {}
    for pname, problem in _problems().items():
        results[pname] = {}
        runs = [(group, label, spec) for group, opts in _optimizers().items() for label, spec in opts.items()]
        for group, label, (factory, bounds) in _common.progress(runs, desc=pname):
            results[pname][label] = {"group": group, **tune_and_run(pname, problem, factory, bounds, config)}
    return results


def figures(results: dict, out: pathlib.Path) -> list[pathlib.Path]:
    from jaxopt_lectures import plotting

    plt = _common.pyplot()
    problems, groups, paths = _problems(), list(_optimizers()), []
    for pname, runs in results.items():
        fig, axes = plt.subplots(2, len(groups), figsize=(6.5 * len(groups), 11), layout="constrained")
        for col, group in enumerate(groups):
            members = {k: v for k, v in runs.items() if v["group"] == group}
            plotting.contour_paths(problems[pname], {k: v["path"] for k, v in members.items()}, axes[0, col])
            axes[0, col].set_title(f"{pname}: {group}")
            for label, r in members.items():
                curve = np.abs(r["loss"]) if pname == "saddle" else np.maximum(r["loss"] - problems[pname].min_value, 1e-30)
                axes[1, col].semilogy(curve, label=f"{label} (η={r['learning_rate']:.2g})")
            axes[1, col].set(xlabel="step", ylabel="|f|" if pname == "saddle" else "$f(x_t) - f^*$")
            axes[1, col].legend(fontsize=8)
            axes[0, col].legend(fontsize=8, loc="lower right")
        paths.append(_common.save_figure(fig, out, f"trajectories_{pname.split()[0]}"))
    return paths


def summary(results: dict) -> str:
    rows = [(pname, label, r["learning_rate"], r["steps"] if r["steps"] is not None else "-", r["final_loss"])
            for pname, runs in results.items() for label, r in runs.items()]
    return _common.table(rows, ["problem", "optimizer", "tuned η", "steps to target", "final f"])


CAPTIONS = {
    "trajectories_rosenbrock": "Rosenbrock's curved valley from (−1.2, 1): momentum-type and adaptive methods follow the "
                               "valley to (1, 1); plain gradient descent crawls ([002] poor conditioning).",
    "trajectories_quadratic": "Ill-conditioned quadratic (κ = 100): gradient descent zig-zags across the steep direction "
                              "while momentum damps it ([002], [003]).",
    "trajectories_beale": "Beale from (1, 1.5): a flat plateau then a narrow valley to (3, 0.5).",
    "trajectories_saddle": "Saddle x² − y² from (1, 10⁻³): first-order methods escape along y ([002] saddle points).",
}


def main(argv=None) -> None:
    _common.cli(sys.modules[__name__], argv)


if __name__ == "__main__":
    main()
