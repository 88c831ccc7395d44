r"""Helpers shared by the schedule modules: the ``Schedule`` type, and the float count.

Every schedule is a pure function of the 0-based update count; ``_float_count`` turns that count
into the float array the formulas are evaluated on (see :mod:`jaxopt_lectures.schedules`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

Schedule = Callable[[Any], jax.Array]


def _float_count(count: Any) -> jax.Array:
    """The count as a float array (default float dtype for integer counts, kept for float counts)."""
    t = jnp.asarray(count)
    return t if jnp.issubdtype(t.dtype, jnp.floating) else t.astype(jnp.result_type(float))


def _is_whole(value: Any) -> bool:
    """A Python (or NumPy) number with an integer value: 3, 3.0 (not 2.5, not a jax array or tracer)."""
    return isinstance(value, (int, float, np.integer, np.floating)) and float(value).is_integer()


def _floor_div(count: Any, k: Any) -> jax.Array:
    r"""$\lfloor \mathrm{count}/k \rfloor$, exact at every multiple of $k$ on every backend.

    An integer count and a whole $k$ use integer floor division. Otherwise the float quotient is
    corrected against the products $k i$ and $k (i + 1)$: XLA may compute $t/k$ as $t \cdot (1/k)$,
    which rounds just below an integer at exact multiples (float32 $\lfloor 41\cdot 41/41 \rfloor = 40$).
    """
    c = jnp.asarray(count)
    if jnp.issubdtype(c.dtype, jnp.integer) and _is_whole(k):
        return jnp.floor_divide(c, jnp.asarray(int(k), c.dtype))
    t = _float_count(c)
    k = jnp.asarray(k, t.dtype)
    i = jnp.floor(t / k)
    return i + (k * (i + 1) <= t).astype(t.dtype) - (k * i > t).astype(t.dtype)

