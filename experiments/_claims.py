"""The claims ledger: each lecture claim an experiment tests, with a verdict computed from its numbers.

An experiment module lists its claims in ``CLAIMS`` (a tuple of `Claim`). A claim names the lecture
it comes from (the seed file, e.g. ``"002_f46a948525d5ac4f.txt"``; `LECTURES` maps the short tags
``[000]``…``[003]`` used in docstrings to them), quotes the lecture's words, names the figure that shows
it, and carries two functions:

* ``measure(results) -> dict``: picks the numbers that decide the claim from ``run(config)``'s results;
* ``verdict(measured) -> (verdict, why)``: ``verdict`` is one of `VERDICTS`, ``why`` one line that
  states the measured numbers against the stated threshold.

The verdict is never typed in: it is a function of the numbers of the run. ``examples`` holds two
synthetic ``measured`` dicts, one that must give ``"reproduced"`` and one that must not, so that the
tests run every verdict function both ways (a verdict that cannot fail is a defect).

Threshold helpers (`at_most`, `at_least`, `between`, `all_of`) build the common verdict functions and
write the ``why`` line themselves.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

REPRODUCED, PARTLY, NOT_REPRODUCED = "reproduced", "partly", "not reproduced"
VERDICTS = (REPRODUCED, PARTLY, NOT_REPRODUCED)

LECTURES = {
    "000": "000_2405ff3f8919d526.txt",  # NPFL114 lecture 2: training neural networks
    "001": "001_eb22ed0401ff8d2e.txt",  # JKU Deep Learning lecture 7: optimization
    "002": "002_f46a948525d5ac4f.txt",  # CS231n-style lecture 3: regularization and optimization
    "003": "003_07b2d7b0fadb5b26.txt",  # Optimization for DNNs
}

Verdict = Callable[[Mapping[str, Any]], tuple[str, str]]


@dataclasses.dataclass(frozen=True)
class Claim:
    """One checkable claim of a lecture, tested by one experiment (see the module docstring)."""

    id: str                                   # unique over all experiments, e.g. "gd-closed-form"
    lecture: str                              # "000" … "003" (a key of LECTURES)
    quote: str                                # the lecture's words, short
    figure: str                               # stem of the PNG that shows it (without .png)
    measure: Callable[[Mapping[str, Any]], dict]
    verdict: Verdict
    examples: tuple[dict, dict]               # (measured that reproduces, measured that does not)

    def __post_init__(self) -> None:
        if self.lecture not in LECTURES:
            raise ValueError(f"claim {self.id!r}: lecture={self.lecture!r} must be one of {sorted(LECTURES)}")

    def evaluate(self, results: Mapping[str, Any], experiment: str) -> dict:
        """The ledger entry of this claim for one run of ``experiment``."""
        measured = self.measure(results)
        verdict, why = self.verdict(measured)
        if verdict not in VERDICTS:
            raise ValueError(f"claim {self.id!r}: verdict {verdict!r} not in {VERDICTS}")
        return {"id": self.id, "lecture": LECTURES[self.lecture], "quote": self.quote,
                "experiment": f"{experiment}/{self.figure}.png", "measured": measured,
                "verdict": verdict, "why": why}


def _fmt(x: Any) -> str:
    return f"{x:.3g}" if isinstance(x, float) else str(x)


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def at_most(key: str, limit: float, *, partly: float | None = None, what: str | None = None) -> Verdict:
    """``measured[key] <= limit``: reproduced; ``<= partly``: partly; else (or non-finite) not."""
    label = what or key

    def verdict(measured: Mapping[str, Any]) -> tuple[str, str]:
        x = measured[key]
        if _finite(x) and x <= limit:
            return REPRODUCED, f"{label} = {_fmt(x)} ≤ {_fmt(limit)}"
        if partly is not None and _finite(x) and x <= partly:
            return PARTLY, f"{label} = {_fmt(x)} > {_fmt(limit)} but ≤ {_fmt(partly)}"
        return NOT_REPRODUCED, f"{label} = {_fmt(x)}, not ≤ {_fmt(limit if partly is None else partly)}"

    return verdict


def at_least(key: str, limit: float, *, partly: float | None = None, what: str | None = None) -> Verdict:
    """``measured[key] >= limit``: reproduced; ``>= partly``: partly; else (or non-finite) not."""
    label = what or key

    def verdict(measured: Mapping[str, Any]) -> tuple[str, str]:
        x = measured[key]
        if _finite(x) and x >= limit:
            return REPRODUCED, f"{label} = {_fmt(x)} ≥ {_fmt(limit)}"
        if partly is not None and _finite(x) and x >= partly:
            return PARTLY, f"{label} = {_fmt(x)} < {_fmt(limit)} but ≥ {_fmt(partly)}"
        return NOT_REPRODUCED, f"{label} = {_fmt(x)}, not ≥ {_fmt(limit if partly is None else partly)}"

    return verdict


def between(key: str, low: float, high: float, *, what: str | None = None) -> Verdict:
    """``low <= measured[key] <= high``: reproduced; else not."""
    label = what or key

    def verdict(measured: Mapping[str, Any]) -> tuple[str, str]:
        x = measured[key]
        if _finite(x) and low <= x <= high:
            return REPRODUCED, f"{label} = {_fmt(x)} in [{_fmt(low)}, {_fmt(high)}]"
        return NOT_REPRODUCED, f"{label} = {_fmt(x)}, outside [{_fmt(low)}, {_fmt(high)}]"

    return verdict


def is_true(key: str, *, what: str | None = None) -> Verdict:
    """``measured[key]`` is True: reproduced; else not."""
    label = what or key

    def verdict(measured: Mapping[str, Any]) -> tuple[str, str]:
        ok = measured[key] is True
        return (REPRODUCED if ok else NOT_REPRODUCED), f"{label}: {'yes' if ok else 'no'}"

    return verdict


def all_of(*verdicts: Verdict) -> Verdict:
    """Every part reproduced: reproduced; none reproduced: not; otherwise partly. ``why`` joins the parts."""

    def verdict(measured: Mapping[str, Any]) -> tuple[str, str]:
        parts = [v(measured) for v in verdicts]
        n = sum(p[0] == REPRODUCED for p in parts)
        overall = REPRODUCED if n == len(parts) else NOT_REPRODUCED if n == 0 and all(
            p[0] == NOT_REPRODUCED for p in parts) else PARTLY
        return overall, "; ".join(p[1] for p in parts)

    return verdict


def ledger(runs: Iterable[tuple[str, Any, Mapping[str, Any]]]) -> list[dict]:
    """The ledger of several runs: ``runs`` yields ``(experiment name, module, results)``."""
    return [claim.evaluate(results, name) for name, module, results in runs
            for claim in getattr(module, "CLAIMS", ())]
