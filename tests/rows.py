"""Row selection shared by the reliability tests (nonfinite, fuzz, hyperparams, checkpoint, interop).

The first row of each method runs in the default selection; the other variants of the same
method carry the ``slow`` marker (CI's ``make test`` runs them all, ``make test-fast`` skips them).
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from tests.registry.row import Row


def method(row: Row) -> str:
    """The method of a row: "adam" for "adam/cosine" and for "fused/adam/bias-corrected"."""
    return row.id.split("/")[-2]


def one_per_method_fast(rows: Iterable[Row]) -> list:
    """pytest params of ``rows``: later variants of a method marked slow (the first one runs by default)."""
    seen: set[str] = set()
    out = []
    for row in rows:
        marks = [pytest.mark.slow] if method(row) in seen else []
        seen.add(method(row))
        out.append(pytest.param(row, marks=marks, id=row.id))
    return out
