"""Small pytree helpers shared by the optimizers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import optax

from jaxopt_lectures._validate import check_same_tree


def tree_map_unzip(fn: Callable[..., tuple], tree: Any, *rest: Any) -> tuple:
    """Map ``fn`` (leaves -> tuple of k arrays) over trees and return k trees.

    The per-leaf maths of an optimizer is written once as a function of arrays returning
    ``(update, new_state_field_1, ...)``; this turns it into trees with ``tree``'s structure.
    A ``rest`` tree (state built by ``init``) of another structure or shape raises the
    ``ValueError`` of :func:`~jaxopt_lectures._validate.check_same_tree`.
    """
    for other in rest:
        check_same_tree(tree, other)
    treedef = jax.tree.structure(tree)
    leaves = [treedef.flatten_up_to(t) for t in (tree, *rest)]
    outs = [fn(*args) for args in zip(*leaves)]
    if not outs:  # empty tree: the number of outputs is unknown, derive it from a dummy call
        n = len(fn(*(jnp.zeros(()) for _ in leaves)))
        return tuple(treedef.unflatten([]) for _ in range(n))
    return tuple(treedef.unflatten(list(col)) for col in zip(*outs))


def value_at(learning_rate: optax.ScalarOrSchedule, count: jax.Array | int) -> Any:
    """The rate in force at ``count``: calls a schedule, returns a constant unchanged."""
    return learning_rate(count) if callable(learning_rate) else learning_rate
