"""The bad-input table: every registry entry and public factory, fed a fixed set of bad values.

Each numeric hyperparameter of each entry (optimizer rows, schedule rows, and the public factories
without a row, with the valid base arguments of tests/test_hyperparams.py) is replaced in turn by
each value of ``BAD_VALUES``. The factory either raises ``TypeError``/``ValueError`` naming the
argument, or builds an object that tests/test_bad_inputs.py then runs (three updates with finite,
float32 gradients for a transformation; counts 0…1000 for a schedule). ``table()`` is the Markdown
of the outcomes, shown by the documentation (docs/bad-inputs.md).
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import math
import numbers
from collections.abc import Callable
from typing import Any

import jax.numpy as jnp
import optax

from tests.test_hyperparams import base_kwargs, public_functions, registry_entries

RATE_ARGS = ("learning_rate",)  # a schedule may stand here: it counts as numeric even when the row holds one


def _bad_values(integer: bool) -> dict[str, Any]:
    """The bad values of one argument (integer counts get integer zero/negative/huge)."""
    return {
        "string": "0.1",
        "None": None,
        "bool": True,
        "complex": 1 + 1j,
        "list": [0.1],
        "nan": math.nan,
        "+inf": math.inf,
        "-inf": -math.inf,
        "negative": -1 if integer else -0.5,
        "zero": 0 if integer else 0.0,
        "huge": 10**6 if integer else 1e30,
        "jax array −1000": jnp.asarray(-1000 if integer else -1000.0),
    }


BAD_KINDS = tuple(_bad_values(False))


@dataclasses.dataclass(frozen=True)
class Entry:
    """A factory with valid arguments: a registry row, a schedule row or a public factory without a row."""

    id: str
    make: Callable[..., Any]
    kwargs: dict


def _numeric_arguments(make: Callable[..., Any], kwargs: dict) -> list[tuple[str, bool]]:
    """(argument, is an integer count) for each argument whose value or default is a real number, or a rate."""
    out = []
    for name, p in inspect.signature(make).parameters.items():
        value = kwargs.get(name, p.default)
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            out.append((name, isinstance(value, numbers.Integral)))
        elif name in RATE_ARGS and (callable(value) or value is None):
            out.append((name, False))
    return out


@functools.cache
def entries() -> tuple[Entry, ...]:
    """Every registry entry, then every public factory no entry builds (its base arguments)."""
    out = [Entry(e.id, e.make, dict(e.kwargs)) for e in registry_entries()]
    built = {e.make.__name__ for e in out}
    out += [Entry(name, fn, base_kwargs(name)) for name, fn in public_functions().items()
            if name not in built and base_kwargs(name) is not None]
    return tuple(out)


def outcome(entry: Entry, arg: str, bad: Any) -> tuple[str, Any]:
    """("TypeError" | "ValueError", message) if the factory rejects ``arg=bad``, else ("accepted", object)."""
    try:
        return "accepted", entry.make(**{**entry.kwargs, arg: bad})
    except (TypeError, ValueError) as error:
        return type(error).__name__, str(error)


def cases(entry: Entry) -> list[tuple[str, str, Any]]:
    """(argument, bad-value kind, value) of one entry."""
    return [(arg, kind, value) for arg, integer in _numeric_arguments(entry.make, entry.kwargs)
            for kind, value in _bad_values(integer).items()]


def is_transformation(obj: Any) -> bool:
    return isinstance(obj, optax.GradientTransformation)


SYMBOL = {"TypeError": "T", "ValueError": "V", "accepted": "ok"}


def table() -> str:
    """Markdown: one line per (entry, argument), one column per bad-value kind (T, V or ok)."""
    lines = ["| entry | argument | " + " | ".join(BAD_KINDS) + " |", "|---|---|" + "---|" * len(BAD_KINDS)]
    for entry in entries():
        by_arg: dict[str, list[str]] = {}
        for arg, kind, value in cases(entry):
            by_arg.setdefault(arg, []).append(SYMBOL[outcome(entry, arg, value)[0]])
        lines += [f"| `{entry.id}` | `{arg}` | " + " | ".join(cells) + " |" for arg, cells in by_arg.items()]
    return "\n".join(lines)
