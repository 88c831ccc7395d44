"""Property-based fuzzing (hypothesis) of every registry row: random pytrees and hyperparameters.

Trees have the three leaves a, b, c of the harness, of shapes including scalars and empty arrays, in float32, bfloat16, float16
or float64; hyperparameters are sampled from the row's ``fuzz`` ranges, or by scaling its numeric
kwargs (a scaled value the factory rejects keeps the row's value). Three steps (the second
gradient is sometimes zero or a repeat) must not crash, give finite updates in the gradients'
dtype, keep the state's structure and dtypes, and agree between ``jit`` and eager execution
(to a per-dtype tolerance; magnitudes below the smallest normal number count as zero).

Default run: ``FAST_EXAMPLES`` per method (its first row); the ``slow`` test brings every method to
``SLOW_EXAMPLES_PER_METHOD`` (200) examples, split over its registry rows (CI runs both; optax-free
rows such as fused/* count for their method). ``JOL_FUZZ_EXAMPLES`` overrides the per-method count.
Each row's examples come from a seed made of its id, so a failure is reproduced by rerunning it.
"""

from __future__ import annotations

import math
import os
import zlib
from typing import Any

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, seed, settings, strategies as st

from tests.registry import ROWS
from tests.rows import method

FAST_EXAMPLES = 8
SLOW_EXAMPLES_PER_METHOD = int(os.environ.get("JOL_FUZZ_EXAMPLES", 200))
DTYPES = (jnp.float32, jnp.bfloat16, jnp.float16, jnp.float64)
SHAPES = ((), (0,), (3,), (2, 3), (1, 0, 2), (4, 1))
SCALES = (0.0, 1e-3, 1.0, 10.0)
FACTORS = (0.1, 0.5, 0.9, 1.0, 1.1, 2.0, 10.0)
TOL = {jnp.float64: 1e-9, jnp.float32: 2e-5, jnp.bfloat16: 3e-2, jnp.float16: 5e-3}
COMMON = dict(deadline=None, database=None, print_blob=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@st.composite
def trees(draw) -> tuple[Any, dict, list[dict]]:
    """(dtype, params, three gradient trees): the second gradient is fresh, zero or a repeat."""
    dtype = draw(st.sampled_from(DTYPES))
    shapes = {n: draw(st.sampled_from(SHAPES)) for n in "abc"}  # the harness's leaf names (row masks use them)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    tree = lambda scale: {n: rng.normal(size=s) * scale for n, s in shapes.items()}
    g1, g3 = tree(draw(st.sampled_from(SCALES))), tree(draw(st.sampled_from(SCALES)))
    g2 = draw(st.sampled_from(["fresh", "zero", "repeat"]))
    g2 = {"fresh": tree(1.0), "zero": tree(0.0), "repeat": g1}[g2]
    return dtype, tree(1.0), [g1, g2, g3]


@st.composite
def hyperparameters(draw, row) -> dict:
    """The row's kwargs with its numeric hyperparameters resampled (valid values only)."""
    kwargs = dict(row.kwargs)
    for name, value in row.kwargs.items():
        if name in row.fuzz:
            low, high = row.fuzz[name]
            candidate = draw(st.floats(low, high, allow_nan=False))
        elif isinstance(value, float):
            candidate = value * draw(st.sampled_from(FACTORS))
        else:
            continue
        try:
            row.build(**{**kwargs, name: candidate})
        except (TypeError, ValueError):  # a value of the wrong kind or out of range: keep the row's
            continue
        kwargs[name] = candidate
    return kwargs


def cast(tree: dict, dtype: Any) -> dict:
    return {k: jnp.asarray(v, dtype) for k, v in tree.items()}


def run(tx, params, grads_list, jit: bool) -> list:
    value_fn = lambda p: 0.5 * sum(jnp.sum(jnp.asarray(x, jnp.float32) ** 2) for x in jax.tree.leaves(p))

    def step(g, state, value):
        return tx.update(g, state, params, value=value, value_fn=value_fn)

    step = jax.jit(step) if jit else step
    state, out = tx.init(params), [tx.init(params)]
    for k, g in enumerate(grads_list):
        updates, state = step(g, state, jnp.float32(1.0 - 0.1 * k))
        out += [updates, state]
    return out


def check(row, kwargs: dict, dtype: Any, params: dict, grads: list[dict]) -> None:
    with jax.enable_x64(dtype == jnp.float64):
        tx = row.make(**kwargs)
        params, grads = cast(params, dtype), [cast(g, dtype) for g in grads]
        eager, jitted = run(tx, params, grads, jit=False), run(tx, params, grads, jit=True)
        states, updates = jitted[0::2], jitted[1::2]
        for state in states[1:]:
            chex.assert_trees_all_equal_structs(state, states[0])
            chex.assert_trees_all_equal_shapes_and_dtypes(state, states[0])
        for u, g in zip(updates, grads):
            chex.assert_trees_all_equal_shapes_and_dtypes(u, g)
            assert all(bool(jnp.all(jnp.isfinite(x))) for x in jax.tree.leaves(u)), "non-finite updates"
        tol = TOL[dtype]
        # XLA's CPU code flushes subnormal results to zero inside fusions, eager ops may round to them
        subnormal = float(jnp.finfo(dtype).smallest_normal)
        for e, j in zip(jax.tree.leaves(eager[1::2]), jax.tree.leaves(updates)):
            e, j = np.asarray(e, np.float64), np.asarray(j, np.float64)
            scale = float(np.max(np.abs(e))) if e.size else 0.0
            np.testing.assert_allclose(j, e, rtol=tol, atol=tol * scale + subnormal, err_msg="jit and eager disagree")


def fuzz(row, examples: int) -> None:
    """``examples`` hypothesis examples of :func:`check` for ``row`` (seeded by the row id: reproducible)."""

    @seed(zlib.crc32(row.id.encode()))
    @settings(max_examples=examples, **COMMON)
    @given(data=st.data())
    def body(data):
        dtype, params, grads = data.draw(trees(), label="tree")
        kwargs = data.draw(hyperparameters(row), label="hyperparameters")
        check(row, kwargs, dtype, params, grads)

    body()


def first_of_each_method() -> list:
    seen, out = set(), []
    for row in ROWS:
        if method(row) not in seen:
            seen.add(method(row))
            out.append(row)
    return out


def slow_examples(row) -> int:
    """The row's share of ``SLOW_EXAMPLES_PER_METHOD`` (a method's rows split it; at least 10 each)."""
    rows_of_method = sum(method(r) == method(row) for r in ROWS)
    return max(10, math.ceil((SLOW_EXAMPLES_PER_METHOD - FAST_EXAMPLES) / rows_of_method))


@pytest.mark.parametrize("row", first_of_each_method(), ids=lambda row: row.id)
def test_fuzz_one_row_per_method(row):
    fuzz(row, FAST_EXAMPLES)


@pytest.mark.slow
@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.id)
def test_fuzz_every_row(row):
    fuzz(row, slow_examples(row))
