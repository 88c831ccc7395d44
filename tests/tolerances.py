"""Comparison tolerances per dtype, in one place.

Two implementations of the same float maths may round differently (another backend, another fusion,
another reduction order); the smallest honest tolerance is a few units in the last place of the
*compared* dtype. For float32 that is below the 1e-6 the tests used before; for bfloat16 (8 bits of
mantissa, one ulp = 2⁻⁷ ≈ 7.8e-3 relative) a GPU and a CPU can differ by one ulp of a correct result.
"""

from __future__ import annotations

from typing import Any

import chex
import jax
import jax.numpy as jnp
import numpy as np

# (rtol, atol) per dtype: float32/float64 as the suite's reference-check protocol, low precision by ulps
TOLERANCE = {
    "float64": (1e-12, 1e-14),
    "float32": (1e-6, 1e-7),
    "bfloat16": (2 * float(jnp.finfo(jnp.bfloat16).eps), 2 * float(jnp.finfo(jnp.bfloat16).eps)),
    "float16": (2 * float(jnp.finfo(jnp.float16).eps), 2 * float(jnp.finfo(jnp.float16).eps)),
}


def tolerance(dtype: Any) -> tuple[float, float]:
    """(rtol, atol) for comparing two results of this dtype."""
    return TOLERANCE[np.dtype(dtype).name]


def assert_trees_close(got: Any, want: Any) -> None:
    """Leaf by leaf, with the tolerance of each leaf's dtype (the dtypes must match)."""
    chex.assert_trees_all_equal_dtypes(got, want)

    def check(a, b):
        rtol, atol = tolerance(jnp.asarray(b).dtype)
        np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64), rtol=rtol, atol=atol)

    jax.tree.map(check, got, want)
