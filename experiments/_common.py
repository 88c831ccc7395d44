"""Shared plumbing of the experiments: CLI, progress bars, output folder, JSON and figure saving."""

from __future__ import annotations

import argparse
import json
import math
import pathlib
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np


def parser(description: str | None, default_out: str) -> argparse.ArgumentParser:
    """The common CLI: ``--quick`` (the CI-sized config) and ``--out DIR``."""
    p = argparse.ArgumentParser(description=(description or "").strip().splitlines()[0] if description else None)
    p.add_argument("--quick", action="store_true", help="the small configuration CI and the docs run (under a minute each on 2 cores)")
    p.add_argument("--out", default=default_out, help=f"output folder (default {default_out})")
    return p


def progress(iterable: Iterable, **kwargs: Any) -> Iterable:
    """tqdm progress bar (to stderr), or the iterable itself where tqdm is missing."""
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm is in the experiments extra
        return iterable
    return tqdm(iterable, leave=False, **kwargs)


def to_jsonable(x: Any) -> Any:
    """Arrays -> lists, NumPy scalars -> Python numbers, non-finite floats -> strings JSON can hold."""
    if isinstance(x, dict):
        return {str(k): to_jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [to_jsonable(v) for v in x]
    if hasattr(x, "tolist") and not isinstance(x, (str, bytes)):
        return to_jsonable(np.asarray(x).tolist())
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    return x


def save_json(out: str | pathlib.Path, name: str, results: dict) -> pathlib.Path:
    path = pathlib.Path(out)
    path.mkdir(parents=True, exist_ok=True)
    target = path / f"{name}.json"
    target.write_text(json.dumps(to_jsonable(results), indent=1))
    return target


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
