"""Shared plumbing of the experiments: CLI, progress bars, output folder, JSON and figure saving."""

from __future__ import annotations

import pathlib
from collections.abc import Sequence
from typing import Any

from jaxopt_lectures._io import parser, progress, save_json, to_jsonable  # noqa: F401 - shared with benchmarks/


def pyplot():
    """matplotlib.pyplot with the non-interactive Agg backend and the project's figure style."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"figure.dpi": 110, "font.size": 12, "axes.titlesize": 13, "axes.grid": True,
                         "grid.alpha": 0.3, "legend.fontsize": 10, "lines.linewidth": 1.8})
    return plt


def save_figure(fig: Any, out: str | pathlib.Path, name: str) -> pathlib.Path:
    path = pathlib.Path(out)
    path.mkdir(parents=True, exist_ok=True)
    target = path / f"{name}.png"
    fig.savefig(target, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return target


def table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> str:
    """A plain-text table for the terminal summary."""
    cells = [[str(h) for h in header]] + [[f"{c:.3g}" if isinstance(c, float) else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in cells]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:]])


def cli(module: Any, argv: Sequence[str] | None = None) -> tuple[dict, list[pathlib.Path]]:
    """The CLI every experiment shares: ``python -m experiments.NAME [--quick] [--out DIR]``.

    ``module`` provides ``QUICK``, ``FULL``, ``run(config) -> dict``, ``figures(results, out) -> [png]``
    and ``summary(results) -> str``; the numbers go to ``<out>/<NAME>.json``.
    """
    name = getattr(module.__spec__, "name", module.__name__).rsplit(".", 1)[-1]  # "__main__" under -m
    args = parser(module.__doc__, f"outputs/{name}").parse_args(argv)
    out = pathlib.Path(args.out)
    results = module.run(module.QUICK if args.quick else module.FULL)
    print(module.summary(results))
    save_json(out, name, results)
    pngs = module.figures(results, out)
    print(f"wrote {out / (name + '.json')} and {len(pngs)} figure(s) to {out}/")
    return results, pngs
