"""Generic contract tests (docs/spec/api.md), run over every row of the registry through the kit
(``jaxopt_lectures.testing``).

Every check of ``testing.check_transformation`` runs for every row, one test per (row, check);
the per-dtype checks once per (row, dtype). A new optimizer gets all of these by adding one row to
tests/registry/; never a test here.
"""

from __future__ import annotations

import functools
import re

import pytest

import jaxopt_lectures as jol
from jaxopt_lectures import testing
from tests import harness
from tests.registry import ROWS

by_id = dict(ids=lambda row: row.id)
PARAMS = harness.tree_pair()[0]  # leaves "a", "b", "c": the adamw rows' masks name them
PER_DTYPE_CHECKS = ("state_dtypes", "state_structure", "finite")  # one jitted run per (row, dtype) feeds all three
ONE_RUN_CHECKS = [c for c in testing.CHECKS if c not in PER_DTYPE_CHECKS]


def check(row, checks, dtypes=("float32",)):
    """The kit's checks on the row's factory (a partial with ``learning_rate``: the injection checks run too)."""
    factory = functools.partial(row.make, **row.kwargs)
    return testing.check_transformation(factory, PARAMS, extra_args=harness.extra_args, dtypes=dtypes, checks=checks)


@pytest.mark.parametrize("name", ONE_RUN_CHECKS)
@pytest.mark.parametrize("row", ROWS, **by_id)
def test_contract_check(row, name):
    report = check(row, [name])
    assert report.checks == (name,)


@pytest.mark.parametrize("dtype", ["float32", "bfloat16", "float64"])
@pytest.mark.parametrize("row", ROWS, **by_id)
def test_state_and_updates_keep_dtypes_and_shapes_and_stay_finite(row, dtype):
    assert check(row, PER_DTYPE_CHECKS, dtypes=(dtype,)).dtypes == (dtype,)


@pytest.mark.parametrize("row", [r for r in ROWS if r.needs], **by_id)
def test_missing_required_extra_arg_is_named(row):
    tx = row.build()
    params, grads = harness.tree_pair()
    for name in row.needs:
        kwargs = {k: v for k, v in harness.extra_args(params).items() if k != name}
        with pytest.raises((TypeError, ValueError), match=name):
            tx.update(grads, tx.init(params), params, **kwargs)


@pytest.mark.parametrize("row", ROWS, **by_id)
def test_converges_on_an_ill_conditioned_quadratic(row):
    f, x0 = harness.quadratic_2d(kappa=50.0)
    tx = row.build(**(row.solve or {}))
    x, trace = jol.minimize(f, x0, tx, row.solve_steps)
    assert float(trace.loss[-1]) <= 1e-6 * float(trace.loss[0]), f"f: {float(trace.loss[0])} -> {float(trace.loss[-1])}"


@pytest.mark.parametrize("row, bad, arg", [(r, b, a) for r in ROWS for b, a in r.invalid],
                         ids=lambda x: x.id if hasattr(x, "id") else None)
def test_invalid_hyperparameter_raises_value_error_naming_it(row, bad, arg):
    value = bad[arg]
    with pytest.raises(ValueError, match=rf"^{re.escape(arg)}={re.escape(repr(value))} must be ") as info:
        row.build(**bad)
    assert "must be" in str(info.value)
