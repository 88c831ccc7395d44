"""The main demo: the lectures' optimizers on their test problems, summarised in one HTML page.

Runs every gradient-descent variant (SGD; momentum in its trace, velocity and EMA forms; Nesterov)
on Rosenbrock from (−1.2, 1), prints the final losses, and writes a trajectory figure, a loss
figure, the numbers (JSON) and ``index.html`` into the output folder.
"""

from __future__ import annotations

import html
import pathlib

import jax.numpy as jnp
import numpy as np

import jaxopt_lectures as jol
from experiments import _common

FULL, QUICK = dict(steps=5000), dict(steps=1000)
# rates from SPEC.md §21 (sgd 1e-3, momentum 1e-3 with β = 0.9); ema uses η/(1 − β) to take the same steps
OPTIMIZERS = {
    "sgd": lambda: jol.sgd(1e-3),
    "momentum (trace)": lambda: jol.momentum(1e-3, 0.9, form="trace"),
    "momentum (velocity)": lambda: jol.momentum(1e-3, 0.9, form="velocity"),
    "momentum (ema)": lambda: jol.momentum(1e-2, 0.9, form="ema"),
    "nesterov": lambda: jol.nesterov(1e-3, 0.9),
}


def run(config: dict) -> dict:
    """Numbers only (no files, no printing): per optimizer its loss curve, path and final point."""
    f = jol.problems.rosenbrock
    results = {}
    for name, make in _common.progress(OPTIMIZERS.items(), desc="rosenbrock"):
        x, trace = jol.minimize(f, f.x0, make(), config["steps"])
        results[name] = {"loss": np.asarray(trace.loss), "path": np.asarray(trace.params),
                         "final_loss": float(trace.loss[-1]), "final_x": np.asarray(x)}
    return results


def figures(results: dict, out: pathlib.Path) -> list[pathlib.Path]:
    from jaxopt_lectures import plotting

    plt = _common.pyplot()
    fig, ax = plt.subplots(figsize=(7, 6))
    plotting.contour_paths(jol.problems.rosenbrock, {k: v["path"] for k, v in results.items()}, ax)
    ax.legend(loc="lower right")
    paths = [_common.save_figure(fig, out, "rosenbrock_trajectories")]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, r in results.items():
        ax.semilogy(np.maximum(r["loss"], 1e-30), label=name)
    ax.set(xlabel="step", ylabel="$f(x_t) - f^*$", title="Rosenbrock: loss per step")
    ax.legend()
    paths.append(_common.save_figure(fig, out, "rosenbrock_loss"))
    return paths


def write_html(out: pathlib.Path, figure_paths: list[pathlib.Path], summary: str) -> pathlib.Path:
    body = "\n".join(f'<figure><img src="{p.name}" alt="{p.stem}"><figcaption>{p.stem}</figcaption></figure>'
                     for p in figure_paths)
    page = (f"<!doctype html><meta charset='utf-8'><title>jaxopt_lectures tour</title>"
            f"<h1>jaxopt_lectures tour</h1><pre>{html.escape(summary)}</pre>{body}")
    target = out / "index.html"
    target.write_text(page)
    return target


def main(argv=None) -> None:
    args = _common.parser(__doc__, "outputs/tour").parse_args(argv)
    out = pathlib.Path(args.out)
    results = run(QUICK if args.quick else FULL)
    summary = _common.table([(k, r["final_loss"], np.array2string(r["final_x"], precision=4)) for k, r in results.items()],
                            ["optimizer", "final f", "final x"])
    print(summary)
    _common.save_json(out, "rosenbrock", {k: {"final_loss": r["final_loss"], "final_x": r["final_x"]} for k, r in results.items()})
    page = write_html(out, figures(results, out), summary)
    print(f"wrote {page}")


if __name__ == "__main__":
    main()
