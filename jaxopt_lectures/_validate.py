"""Construction-time checks of Python hyperparameters (docs/spec/conventions.md#conventions).

Only plain Python numbers (and strings, for options) are checked. Arrays, tracers and schedules
pass through unchecked, so `optax.inject_hyperparams` and `jax.vmap` over hyperparameters keep
working.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any


def is_python_number(value: Any) -> bool:
    """True for int/float (not bool, not arrays): the values that are checked."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _interval(low: float, high: float, low_open: bool, high_open: bool) -> str:
    if high == math.inf:
        return f"{'>' if low_open else '>='} {low!r}"
    if low == -math.inf:
        return f"{'<' if high_open else '<='} {high!r}"
    return f"in {'(' if low_open else '['}{low!r}, {high!r}{')' if high_open else ']'}"


def check_range(
    name: str,
    value: Any,
    low: float = -math.inf,
    high: float = math.inf,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> None:
    """Raise ``ValueError("name=value must be <range>")`` if a Python number is out of range.

    NaN is always rejected. Bounds that are not Python numbers (e.g. a traced ``min_step``
    used as the bound of ``learning_rate``) disable the check.
    """
    if not all(is_python_number(x) for x in (value, low, high)):
        return
    inside = (value > low if low_open else value >= low) and (
        value < high if high_open else value <= high
    )
    if not inside:  # also catches NaN, which compares False
        raise ValueError(f"{name}={value!r} must be {_interval(low, high, low_open, high_open)}")


def check_choice(name: str, value: Any, choices: Iterable[str]) -> None:
    """Raise ``ValueError`` naming the argument if a string option is not one of ``choices``."""
    choices = tuple(choices)
    if value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name}={value!r} must be one of {allowed}")


def check_learning_rate(value: Any, name: str = "learning_rate") -> None:
    """A learning rate is a number >= 0, a jax scalar or a schedule; only numbers are checked."""
    if not callable(value):
        check_range(name, value, 0.0)
