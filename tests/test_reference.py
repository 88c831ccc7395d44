"""Every registry row against its reference, update by update, through ``testing.check_matches_reference``.

100 gradient trees (three leaves of different shapes, with exact zeros and repeated gradients)
go through the float32 implementation and through the reference (an optax/torch configuration
or a float64 NumPy loop from the lecture's equations); the updates must agree at every step to
the row's tolerance, relative to the largest reference update.
"""

from __future__ import annotations

import jax
import numpy as np
import pytest

from jaxopt_lectures import testing
from tests import harness
from tests.registry import ROWS


def flat_reference(row):
    """The row's reference ((grads (T, n), values (T,), params0 (n,), **kwargs) -> (T, n)) on lists of pytrees."""

    def reference(grads, params0, values):
        updates = row.reference(np.stack([harness.flat(g) for g in grads]), np.asarray(values), harness.flat(params0),
                                **row.kwargs)
        return [harness.numpy_tree(u) for u in updates]

    return reference


@pytest.mark.parametrize("row", [r for r in ROWS if r.reference], ids=lambda r: r.id)
def test_matches_reference_step_by_step(row):
    with jax.enable_x64(row.dtype == "float64"):  # chaotic rows compare in float64 (docs/spec/lbfgs.md)
        params0 = harness.tree_of(harness.gradient_stream(steps=100, seed=0)[2], row.dtype)  # the stream's own start
        report = testing.check_matches_reference(row.build(), flat_reference(row), params=params0, steps=100,
                                                 rtol=row.rtol, seed=0)
    assert report.max_abs_diff <= report.atol


def test_every_row_with_a_reference_names_it():
    assert all(row.reference_name for row in ROWS if row.reference)
