"""Saddle points and local minima: where plain gradient descent ends depends on where it starts.

[002] "What if the loss function has a local minima or saddle point? Zero gradient, gradient descent
gets stuck". Three 2-D surfaces of ``jaxopt_lectures.problems``, each run with fixed-step gradient
descent (``jol.sgd``) from many starts in one ``jax.vmap``:

* the saddle $x^2 - y^2$: started exactly on its stable manifold $y = 0$ GD converges to the saddle
  $(0, 0)$ (the gradient $(2x, -2y)$ never gets a $y$ component); started $10^{-3}$ off it, the $y$
  coordinate grows by $1 + 2\\eta$ per step and GD escapes;
* Himmelblau: four minima (all global, $f = 0$), each reached from its own basin of starts;
* the three-hump camel: a global minimum at the origin and two local minima
  $\\pm(1.7476, -0.8738)$ with $f = 0.2986$, where a share of the starts ends.

    python -m experiments.saddles [--quick] [--out DIR]
"""

from __future__ import annotations

import pathlib
import sys

import jax
import jax.numpy as jnp
import numpy as np

import jaxopt_lectures as jol
from experiments import _claims, _common
from jaxopt_lectures import problems

FULL = dict(saddle_steps=60, grid=21, steps=2000)
QUICK = dict(saddle_steps=60, grid=11, steps=600)
RATES = {"saddle": 0.1, "himmelblau": 0.01, "three_hump_camel": 0.05}
SADDLE_STARTS = {"on the stable manifold (1, 0)": (1.0, 0.0), "10⁻³ off it (1, 10⁻³)": (1.0, 1e-3)}
TOLERANCE = 1e-2  # an end point within this distance of a minimum counts as converged to it


def saddle(config: dict) -> dict:
    """GD on x² − y² from (1, 0) and (1, 1e-3): distance to the saddle and f after ``saddle_steps`` steps."""
    f, out = problems.saddle, {}
    for name, start in SADDLE_STARTS.items():
        _, trace = jol.minimize(f, jnp.asarray(start), jol.sgd(RATES["saddle"]), config["saddle_steps"])
        path = np.asarray(trace.params)
        out[name] = {"path": path, "final_distance": float(np.linalg.norm(path[-1])),
                     "final_loss": float(trace.loss[-1]), "final_grad_norm": float(trace.grad_norm[-1])}
    return out


def starts(problem, n: int) -> jax.Array:
    """An n × n grid of starts inside the problem's plotting box (edges excluded)."""
    (x0, x1), (y0, y1) = problem.bounds
    u = jnp.linspace(0.05, 0.95, n)
    X, Y = jnp.meshgrid(x0 + u * (x1 - x0), y0 + u * (y1 - y0))
    return jnp.stack([X.ravel(), Y.ravel()], 1)


def basins(problem, config: dict) -> dict:
    """GD from every grid start (one vmap); which minimum (global or local) each end point lies at."""
    x0 = starts(problem, config["grid"])
    tx = jol.sgd(RATES[problem.name])
    ends, losses = jax.vmap(lambda x: (lambda r: (r[0], r[1].loss[-1]))(jol.minimize(problem, x, tx, config["steps"])))(x0)
    minima = [np.asarray(m) for m in (*problem.minimizers, *problem.local_minima)]
    ends = np.asarray(ends)
    dist = np.linalg.norm(ends[:, None, :] - np.asarray(minima)[None], axis=2)
    label = np.where(dist.min(1) < TOLERANCE, dist.argmin(1), -1)  # -1: at no known minimum
    n_global = len(problem.minimizers)
    return {"starts": np.asarray(x0), "ends": ends, "final_loss": np.asarray(losses), "label": label,
            "minima": np.asarray(minima), "n_global": n_global,
            "counts": [int(np.sum(label == i)) for i in range(len(minima))],
            "fraction_global": float(np.mean((label >= 0) & (label < n_global))),
            "fraction_local": float(np.mean(label >= n_global)),
            "fraction_unconverged": float(np.mean(label < 0)),
            "minima_reached": int(len(set(label[label >= 0].tolist())))}


def paths(problem, config: dict, picks: tuple) -> np.ndarray:
    """GD trajectories from a few chosen starts (for the contour figure)."""
    x0 = jnp.asarray(picks, jnp.float32)
    tx = jol.sgd(RATES[problem.name])
    return np.asarray(jax.vmap(lambda x: jol.minimize(problem, x, tx, config["steps"])[1].params)(x0))


PICKS = {"himmelblau": ((0.0, 0.0), (-1.0, 4.5), (-4.5, -2.0), (1.0, -4.5)),
         "three_hump_camel": ((-1.5, 1.5), (-0.8, 1.5), (1.9, 0.5), (1.5, -1.5))}


def run(config: dict) -> dict:
    """Numbers only: the saddle's two starts, and the basins of Himmelblau and the three-hump camel."""
    out = {"saddle": saddle(config)}
    for name in PICKS:
        problem = getattr(problems, name)
        out[name] = basins(problem, config) | {"paths": paths(problem, config, PICKS[name])}
    return out


def _contour(ax, problem, levels):
    (x0, x1), (y0, y1) = problem.bounds
    X, Y = np.meshgrid(np.linspace(x0, x1, 200), np.linspace(y0, y1, 200))
    Z = np.asarray(jax.vmap(problem)(jnp.stack([X.ravel(), Y.ravel()], 1))).reshape(X.shape)
    ax.contour(X, Y, Z, levels=levels, cmap="Greys", linewidths=0.7)
    ax.set(xlim=(x0, x1), ylim=(y0, y1), aspect="equal")


def figures(results: dict, out: pathlib.Path) -> list[pathlib.Path]:
    plt = _common.pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(19, 6), layout="constrained")
    ax = axes[0]
    _contour(ax, problems.saddle, np.linspace(-4, 4, 17))
    for (name, r), color, style in reversed(list(zip(results["saddle"].items(), ("tab:red", "tab:blue"), ("s--", "o-")))):
        p = r["path"]  # the stuck path (red) is drawn last: the escaping one first runs along it
        ax.plot(p[:, 0], np.clip(p[:, 1], -2, 2), style, color=color, markersize=3.5,
                label=f"{name}: ends {r['final_distance']:.1e} from (0, 0), f = {r['final_loss']:.2g}")
    ax.plot(0, 0, "k*", markersize=12)
    ax.set(title="saddle x² − y², GD η = 0.1 (path clipped to the box)")
    ax.legend(loc="lower left", fontsize=8)
    colors = ("tab:green", "tab:orange", "tab:purple", "tab:cyan", "tab:red", "tab:brown")
    for ax, name, levels in ((axes[1], "himmelblau", np.geomspace(0.5, 800, 16)),
                             (axes[2], "three_hump_camel", np.geomspace(0.01, 5, 14))):
        r, problem = results[name], getattr(problems, name)
        _contour(ax, problem, levels)
        label = np.asarray(r["label"])
        for i, m in enumerate(r["minima"]):
            kind = "global" if i < r["n_global"] else "local"
            sel = label == i
            ax.scatter(r["starts"][sel, 0], r["starts"][sel, 1], s=14, color=colors[i], alpha=0.6,
                       label=f"{kind} min ({m[0]:.2f}, {m[1]:.2f}): {int(sel.sum())} starts")
            ax.plot(m[0], m[1], "*", color=colors[i], markeredgecolor="k", markersize=15)
        if np.any(label < 0):
            ax.scatter(*r["starts"][label < 0].T, s=14, color="k", marker="x", label="no minimum reached")
        for p in np.asarray(r["paths"]):
            ax.plot(p[:, 0], p[:, 1], "k-", linewidth=1.2)
            ax.plot(p[0, 0], p[0, 1], "ko", markersize=4)
        ax.set(title=f"{name}: start (dot) → end of GD η = {RATES[name]}")
        ax.legend(loc="lower left", fontsize=8, framealpha=0.9)
    return [_common.save_figure(fig, out, "saddles_and_minima")]


def summary(results: dict) -> str:
    rows = [("saddle x² − y²", name, f"{r['final_distance']:.2e} from (0,0)", f"{r['final_loss']:.3g}")
            for name, r in results["saddle"].items()]
    text = _common.table(rows, ["surface", "start", "end", "final f"])
    rows = [(name, results[name]["minima_reached"], results[name]["fraction_global"], results[name]["fraction_local"],
             results[name]["fraction_unconverged"]) for name in PICKS]
    return text + "\n" + _common.table(rows, ["surface (grid of starts)", "minima reached", "global", "local", "none"])


CAPTIONS = {
    "saddles_and_minima": "[002] 'zero gradient, gradient descent gets stuck'. Left: on x² − y² GD started on "
                          "the line y = 0 converges to the saddle (red); started 10⁻³ off it, it escapes along y "
                          "(blue). Middle: each of Himmelblau's four minima is reached from its own basin of starts "
                          "(dots coloured by the minimum GD ends in; black lines: paths from four starts). Right: on "
                          "the three-hump camel part of the starts end in the two local minima (f = 0.30), not the "
                          "global one at the origin.",
}

_FIG = "saddles_and_minima"
_ON, _OFF = SADDLE_STARTS
CLAIMS = (
    _claims.Claim(
        "saddle-stuck", "002", "Zero gradient, gradient descent gets stuck (saddle point)", _FIG,
        measure=lambda r: {"stuck_distance": r["saddle"][_ON]["final_distance"],
                           "escaped_distance": r["saddle"][_OFF]["final_distance"]},
        verdict=_claims.all_of(
            _claims.at_most("stuck_distance", 1e-4, what="start on y = 0: distance of the end point to the saddle"),
            _claims.at_least("escaped_distance", 1.0, what="start 1e-3 off: distance to the saddle")),
        examples=({"stuck_distance": 1e-6, "escaped_distance": 50.0},
                  {"stuck_distance": 1e-6, "escaped_distance": 1e-5})),
    _claims.Claim(
        "himmelblau-basins", "002", "What if the loss function has a local minima or saddle point?", _FIG,
        measure=lambda r: {"minima_reached": r["himmelblau"]["minima_reached"],
                           "fraction_unconverged": r["himmelblau"]["fraction_unconverged"]},
        verdict=_claims.all_of(
            _claims.at_least("minima_reached", 4, what="Himmelblau minima reached from the grid of starts"),
            _claims.at_most("fraction_unconverged", 0.05, what="share of starts at no minimum")),
        examples=({"minima_reached": 4, "fraction_unconverged": 0.0},
                  {"minima_reached": 1, "fraction_unconverged": 0.0})),
    _claims.Claim(
        "camel-local-minima", "002", "What if the loss function has a local minima or saddle point? … Zero "
        "gradient, gradient descent gets stuck", _FIG,
        measure=lambda r: {"fraction_local": r["three_hump_camel"]["fraction_local"],
                           "fraction_global": r["three_hump_camel"]["fraction_global"]},
        verdict=_claims.all_of(
            _claims.at_least("fraction_local", 0.1, what="three-hump camel: share of starts ending in a local minimum"),
            _claims.at_least("fraction_global", 0.1, what="share ending in the global one")),
        examples=({"fraction_local": 0.4, "fraction_global": 0.6}, {"fraction_local": 0.0, "fraction_global": 1.0})),
)


def main(argv=None) -> None:
    _common.cli(sys.modules[__name__], argv)


if __name__ == "__main__":
    main()
