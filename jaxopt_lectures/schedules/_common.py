r"""Helpers shared by the schedule modules: the ``Schedule`` type, the float count and the rate check.

Every schedule is a pure function of the 0-based update count; ``_float_count`` turns that count
into the float array the formulas are evaluated on (see :mod:`jaxopt_lectures.schedules`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from jaxopt_lectures._validate import check_range

Schedule = Callable[[Any], jax.Array]


def _float_count(count: Any) -> jax.Array:
    """The count as a float array (default float dtype for integer counts, kept for float counts)."""
    t = jnp.asarray(count)
    return t if jnp.issubdtype(t.dtype, jnp.floating) else t.astype(jnp.result_type(float))


def _check_rate(name: str, value: Any) -> None:
    """A rate value (init/peak/end) is a finite number >= 0 when it is a Python number."""
    check_range(name, value, 0.0, math.inf, high_open=True)
