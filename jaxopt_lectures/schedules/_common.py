r"""Helpers shared by the schedule modules: the ``Schedule`` type, and the float count.

Every schedule is a pure function of the 0-based update count; ``_float_count`` turns that count
into the float array the formulas are evaluated on (see :mod:`jaxopt_lectures.schedules`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

Schedule = Callable[[Any], jax.Array]


def _float_count(count: Any) -> jax.Array:
    """The count as a float array (default float dtype for integer counts, kept for float counts)."""
    t = jnp.asarray(count)
    return t if jnp.issubdtype(t.dtype, jnp.floating) else t.astype(jnp.result_type(float))
