"""Every registry row against its reference, update by update (docs/spec/conventions.md#reference-check-protocol
protocol).

100 gradient trees (three leaves of different shapes, with exact zeros and repeated gradients)
go through the float32 implementation and through the reference (an optax/torch configuration
or a float64 NumPy loop from the lecture's equations); the updates must agree at every step to
the row's tolerance, relative to the largest reference update.
"""

from __future__ import annotations

import jax
import numpy as np
import pytest

from tests import harness
from tests.registry import ROWS


@pytest.mark.parametrize("row", [r for r in ROWS if r.reference], ids=lambda r: r.id)
def test_matches_reference_step_by_step(row):
    grads, values, params0 = harness.gradient_stream(steps=100, seed=0)
    with jax.enable_x64(row.dtype == "float64"):
        ours = harness.run_updates(row.build(), grads, values, params0, dtype=row.dtype)
        expected = row.reference(grads, values, params0, **row.kwargs)
    assert ours.shape == expected.shape
    scale = np.abs(expected).max()
    assert scale > 0, "a reference that never moves proves nothing"
    np.testing.assert_allclose(ours, expected, rtol=row.rtol, atol=row.rtol * scale)


def test_every_row_with_a_reference_names_it():
    assert all(row.reference_name for row in ROWS if row.reference)
