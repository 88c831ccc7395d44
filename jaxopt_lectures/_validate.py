"""The checks every public factory and transformation shares (docs/spec/conventions.md#conventions).

Hyperparameters are checked when the factory is called, if they are concrete there: Python
numbers, NumPy scalars and arrays, concrete JAX arrays. A value of the wrong kind (a string, a
list, a bool, a complex number, ``None`` where the API does not document it) raises ``TypeError``
naming the argument; a number out of its range (NaN and ±inf included) raises
``ValueError("name=value must be <range>")``. Traced values (inside ``optax.inject_hyperparams``,
``jax.jit`` or ``jax.vmap`` over hyperparameters) cannot be checked at construction and pass
through unchecked: an out-of-range traced value gives whatever the equations give (e.g. a
negative traced rate climbs, ``b2`` = 1 divides by zero), so validate such values before tracing.

Trees are checked by :func:`checked`, applied to every public transformation: ``init`` rejects
integer and bool leaves (naming them), ``update`` rejects a gradient tree whose structure or
shapes differ from the params' (or the state's, see :func:`check_same_tree`) and casts its
output to the gradients' dtypes.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable, Iterable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

FIX_NON_FLOAT = ("wrap the optimizer so those leaves never reach it, e.g. optax.masked(tx, mask) or "
                 "optax.multi_transform({'train': tx, 'frozen': optax.set_to_zero()}, labels) for "
                 "leaves that must not move, or cast them to a float dtype")


def is_python_number(value: Any) -> bool:
    """True for int/float (not bool, not arrays)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def is_traced(value: Any) -> bool:
    """True for a JAX tracer: a value only known when the computation runs."""
    return isinstance(value, jax.core.Tracer)


def check_number(name: str, value: Any, *, allow_none: bool = False) -> np.ndarray | None:
    """The concrete value of a real-number hyperparameter as a float64 array, ``None`` if unknown.

    ``None`` (unless ``allow_none``), strings, bools, complex numbers, containers and arrays of
    such dtypes raise ``TypeError`` naming the argument. Tracers return ``None`` (not checkable).
    """
    if value is None and allow_none:
        return None
    if is_traced(value):
        if not (jnp.issubdtype(value.dtype, jnp.integer) or jnp.issubdtype(value.dtype, jnp.floating)):
            raise TypeError(f"{name} must be a real number, got a traced array of dtype {value.dtype}")
        return None
    dtype = getattr(value, "dtype", None)
    if dtype is not None and isinstance(value, (np.ndarray, np.generic, jax.Array)):
        real = jnp.issubdtype(dtype, jnp.integer) or jnp.issubdtype(dtype, jnp.floating)
        if real and not jnp.issubdtype(dtype, jnp.bool_):
            return np.asarray(value, np.float64)
    elif is_python_number(value):
        return np.asarray(float(value))
    raise TypeError(f"{name}={value!r} must be a real number (a Python or NumPy number, a concrete or "
                    f"traced JAX array), not {type(value).__name__}")


def _interval(low: float, high: float, low_open: bool, high_open: bool) -> str:
    if high == math.inf:
        return f"{'>' if low_open else '>='} {low!r}"
    if low == -math.inf:
        return f"{'<' if high_open else '<='} {high!r}"
    return f"in {'(' if low_open else '['}{low!r}, {high!r}{')' if high_open else ']'}"


def _bound(x: Any) -> float | None:
    """A concrete scalar bound as a float; ``None`` for a traced or non-numeric bound (no check)."""
    if is_traced(x) or not (is_python_number(x) or isinstance(x, (np.ndarray, np.generic, jax.Array))):
        return None
    try:
        return float(np.asarray(x, np.float64))
    except (TypeError, ValueError):
        return None


def check_range(
    name: str,
    value: Any,
    low: float = -math.inf,
    high: float = math.inf,
    *,
    low_open: bool = False,
    high_open: bool = False,
    allow_none: bool = False,
) -> None:
    """Check a real hyperparameter: ``TypeError`` for a non-number, ``ValueError`` if out of range.

    The message is ``name=value must be <range>``. NaN and ±inf are always rejected (every range
    here is a set of finite numbers). Traced values, and bounds that are not concrete numbers
    (e.g. a traced ``min_step`` used as the bound of ``learning_rate``), disable the range check.
    """
    x = check_number(name, value, allow_none=allow_none)
    lo, hi = _bound(low), _bound(high)
    if x is None or lo is None or hi is None:
        return
    inside = np.isfinite(x) & ((x > lo) if low_open else (x >= lo)) & ((x < hi) if high_open else (x <= hi))
    if not np.all(inside):  # also catches NaN, which compares False
        shown = repr(value) if is_python_number(value) else str(np.asarray(value))  # float32 -0.1 as -0.1
        raise ValueError(f"{name}={shown} must be {_interval(lo, hi, low_open, high_open)}"
                         + ("" if np.all(np.isfinite(x)) else " (and finite)"))


def check_int(name: str, value: Any, low: int = 0, *, allow_none: bool = False) -> None:
    """An integer count: ``TypeError`` unless an int (Python, NumPy or concrete JAX integer scalar), not a bool;
    ``ValueError("name=value must be an int >= low")`` below ``low``."""
    if value is None and allow_none:
        return
    integer = isinstance(value, numbers.Integral) or (
        isinstance(value, (np.ndarray, np.generic, jax.Array)) and not is_traced(value)
        and np.ndim(value) == 0 and jnp.issubdtype(value.dtype, jnp.integer))
    if isinstance(value, (bool, np.bool_)) or not integer:
        raise TypeError(f"{name}={value!r} must be an int >= {low}, not {type(value).__name__}")
    if int(value) < low:
        raise ValueError(f"{name}={value!r} must be an int >= {low}")


def check_bool(name: str, value: Any) -> None:
    """``TypeError`` unless ``value`` is True or False (a switch, not a number or a string)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}={value!r} must be True or False")


def check_choice(name: str, value: Any, choices: Iterable[str]) -> None:
    """Raise ``ValueError`` naming the argument if a string option is not one of ``choices``."""
    choices = tuple(choices)
    if not isinstance(value, str):
        raise TypeError(f"{name}={value!r} must be a string, one of {', '.join(map(repr, choices))}")
    if value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name}={value!r} must be one of {allowed}")


def check_learning_rate(value: Any, name: str = "learning_rate", *, positive: bool = False,
                        allow_none: bool = False) -> None:
    """A rate: a number >= 0 (> 0 with ``positive``), a JAX scalar or a schedule (a callable, not checked)."""
    if not callable(value):
        check_range(name, value, 0.0, low_open=positive, allow_none=allow_none)


def require_params(params: Any, owner: str, why: str) -> None:
    """``TypeError`` when ``update`` is called without the ``params`` this transformation needs."""
    if params is None:
        raise TypeError(f"{owner}.update requires params ({why}): call update(updates, state, params)")


# ---- trees --------------------------------------------------------------------------------------


def _path(path: tuple) -> str:
    return jax.tree_util.keystr(path) or "<root>"


def _named_path(path: tuple) -> str:
    """The path without a final ``.value`` (flax ``Variable`` wrappers hold the same leaf as a bare array)."""
    last = path[-1] if path else None
    bare = isinstance(last, jax.tree_util.GetAttrKey) and last.name == "value"
    return _path(path[:-1] if bare else path)


def _dtype(leaf: Any) -> Any:
    dtype = getattr(leaf, "dtype", None)  # arrays and jax.ShapeDtypeStruct
    return jnp.result_type(leaf) if dtype is None else dtype


def _is_float(leaf: Any) -> bool:
    return jnp.issubdtype(_dtype(leaf), jnp.inexact)  # complex counts as float


def non_float_leaves(tree: Any) -> list[str]:
    """``"path (dtype)"`` of each leaf whose dtype is not floating (integer, bool, ...)."""
    return [f"{_path(path)} ({_dtype(leaf)})" for path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]
            if not _is_float(leaf)]


def check_float_leaves(tree: Any, owner: str, what: str = "params") -> None:
    """``TypeError`` naming every integer/bool leaf of ``tree`` and the fix (masking them out)."""
    if all(_is_float(x) for x in jax.tree.leaves(tree)):
        return
    raise TypeError(f"{owner}: {what} leaves must have a float dtype; got {', '.join(non_float_leaves(tree))} "
                    f"(an optimizer step on them is truncated or lost). Fix: {FIX_NON_FLOAT}")


def first_difference(tree: Any, reference: Any, shapes: bool = True) -> str | None:
    """Where ``tree`` first differs from ``reference`` (a missing, extra or renamed leaf, or a shape), or None."""
    if jax.tree.structure(tree) == jax.tree.structure(reference):
        for (path, a), b in zip(jax.tree_util.tree_flatten_with_path(tree)[0], jax.tree.leaves(reference)):
            if shapes and np.shape(a) != np.shape(b):
                return f"{_path(path)} has shape {np.shape(a)}, expected {np.shape(b)}"
        return None
    got = dict((_named_path(p), x) for p, x in jax.tree_util.tree_flatten_with_path(tree)[0])
    want = dict((_named_path(p), x) for p, x in jax.tree_util.tree_flatten_with_path(reference)[0])
    if list(got) == list(want):  # the same leaves, in wrappers of other types (flax's Param vs arrays)
        return None
    for key in want:
        if key not in got:
            return f"{key} is missing"
    for key in got:
        if key not in want:
            return f"{key} is not in the tree given to init"
    return f"the tree structure differs ({jax.tree.structure(tree)} vs {jax.tree.structure(reference)})"


def check_same_tree(tree: Any, reference: Any, what: str = "the updates", shapes: bool = True) -> None:
    """``ValueError`` naming the first differing path when ``tree`` does not match ``reference``.

    A Python-side check on structure (and shapes): it runs once at trace time under ``jit``.
    """
    where = first_difference(tree, reference, shapes)
    if where is not None:
        raise ValueError(f"{what} do not have the tree structure given to init: {where}. update needs "
                         "the structure (leaf names and shapes) that init was given; call init again "
                         "for a new model")


def _cast_like(out: Any, updates: Any) -> Any:
    """Each output leaf in its gradient's dtype (a float32 hyperparameter must not promote bfloat16)."""
    def cast(u, g):
        dtype = getattr(g, "dtype", None)
        return u if dtype is None or getattr(u, "dtype", dtype) == dtype else jnp.asarray(u).astype(dtype)
    return jax.tree.map(cast, out, updates)


def checked(factory: Callable[..., optax.GradientTransformation]) -> Callable[..., optax.GradientTransformationExtraArgs]:
    """Decorate a public factory so that its transformation checks the trees it is given.

    ``init``: no integer or bool leaf in the params. ``update``: float gradients, the same structure
    and shapes as ``params`` when they are given, a tree structure (leaf names) that ``init`` was
    given (remembered, Python-side, by this transformation object; shapes are checked against the
    state, see :func:`~jaxopt_lectures._tree.tree_map_unzip`), and updates in the gradients' dtypes.
    """
    owner = factory.__name__

    @functools.wraps(factory)
    def make(*args: Any, **kwargs: Any) -> optax.GradientTransformationExtraArgs:
        tx = optax.with_extra_args_support(factory(*args, **kwargs))
        seen: list[Any] = []  # the tree structures init was given, the last one last

        def init(params: optax.Params) -> Any:
            check_float_leaves(params, f"{owner}.init")
            treedef = jax.tree.structure(params)
            seen[:] = [t for t in seen if t != treedef] + [treedef]
            return tx.init(params)

        def update(updates, state, params=None, **extra_args):
            check_float_leaves(updates, f"{owner}.update", "gradient")
            if params is not None:
                check_same_tree(updates, params, "the updates")
            if seen and jax.tree.structure(updates) not in seen:
                last = seen[-1].unflatten([0] * seen[-1].num_leaves)
                check_same_tree(updates, last, "the updates", shapes=False)
            out, new_state = tx.update(updates, state, params, **extra_args)
            return _cast_like(out, updates), new_state

        for fn in (init, update):  # error messages (e.g. fuse's) name the factory, not this wrapper
            fn.__qualname__ = f"{factory.__qualname__}.<locals>.{fn.__name__}"
        return optax.GradientTransformationExtraArgs(init, update)

    return make
