"""Command-line and output plumbing shared by ``experiments/`` and ``benchmarks/`` (private, not the library's API).

Both import it from here, below them, so that neither imports the other: the CLI parser, progress bars
(tqdm where installed), and JSON output that holds arrays and non-finite numbers.
"""

from __future__ import annotations

import argparse
import json
import math
import pathlib
from collections.abc import Iterable
from typing import Any

import numpy as np


def parser(description: str | None, default_out: str) -> argparse.ArgumentParser:
    """The common CLI of the experiments and benchmarks: ``--quick`` (the CI-sized config) and ``--out DIR``."""
    p = argparse.ArgumentParser(description=(description or "").strip().splitlines()[0] if description else None)
    p.add_argument("--quick", action="store_true",
                   help="the small configuration CI and the docs run (under a minute each on 2 cores)")
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
