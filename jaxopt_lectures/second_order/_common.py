"""Helpers the second-order methods share (private): the flattened parameter spec and (s, y) pair.

Newton, BFGS and L-BFGS import these from here, so none of them imports another's internals.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax
from jax.flatten_util import ravel_pytree

from jaxopt_lectures._validate import check_same_tree


def flat_spec(params: optax.Params) -> tuple[int, jnp.dtype]:
    """(n, dtype) of ``ravel_pytree(params)`` without flattening (works on ``jax.ShapeDtypeStruct`` trees)."""
    leaves = jax.tree.leaves(params)
    n = sum(math.prod(leaf.shape) for leaf in leaves)
    return n, (jnp.result_type(*[leaf.dtype for leaf in leaves]) if leaves else jnp.dtype(jnp.float32))


def flat_pair(params: optax.Params, updates: optax.Updates, state: NamedTuple):
    """(θ_t, g_t, s, y, compute dtype, unravel, update dtype) on the flattened trees (at least float32)."""
    x, _ = ravel_pytree(params)
    g, unravel = ravel_pytree(updates)
    check_same_tree(x, state.prev_params, "the params (flattened)")
    cdtype = jnp.promote_types(jnp.promote_types(x.dtype, g.dtype), jnp.float32)
    x, gc = x.astype(cdtype), g.astype(cdtype)
    s = x - state.prev_params.astype(cdtype)
    y = gc - state.prev_grad.astype(cdtype)
    return x, gc, s, y, unravel, g.dtype
