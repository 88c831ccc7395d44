"""Shared fixtures of the test suite: the random pytree, and the kit's gradient stream and update runner.

The reference-check protocol (docs/spec/conventions.md#reference-check-protocol) is ``jaxopt_lectures.testing``'s: a fixed
stream of random gradient vectors is fed to the float32 implementation on a pytree with leaves of
different shapes and to the reference (float64 NumPy loop, or an optax/torch configuration) on the
flat vector; the updates are compared step by step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxopt_lectures import testing

SHAPES = {"a": (3,), "b": (2, 4), "c": ()}  # three leaves of different shapes, a scalar among them
N = sum(int(np.prod(s)) for s in SHAPES.values())


def tree_of(vector: Any, dtype: Any = jnp.float32) -> dict:
    """Split a flat vector of length N into the test pytree (leaves in SHAPES' order)."""
    vector = jnp.asarray(vector, dtype)
    out, i = {}, 0
    for name, shape in SHAPES.items():
        size = int(np.prod(shape))
        out[name] = vector[i : i + size].reshape(shape)
        i += size
    return out


def numpy_tree(vector: np.ndarray) -> dict:
    """:func:`tree_of` in NumPy float64 (for references' updates: no float32 rounding)."""
    ends = np.cumsum([int(np.prod(s)) for s in SHAPES.values()])
    return {k: part.reshape(s) for (k, s), part in zip(SHAPES.items(), np.split(np.asarray(vector), ends[:-1]))}


def flat(tree: Any) -> np.ndarray:
    """The inverse of :func:`tree_of` (as float64 NumPy)."""
    return np.concatenate([np.asarray(tree[k], np.float64).reshape(-1) for k in SHAPES])


def tree_pair(seed: int = 0, dtype: Any = jnp.float32) -> tuple[dict, dict]:
    """Random (params, grads) trees of the test shapes."""
    rng = np.random.default_rng(seed)
    return tree_of(rng.normal(size=N), dtype), tree_of(rng.normal(size=N), dtype)


def gradient_stream(steps: int = 100, seed: int = 0, n: int = N) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(grads (T, n), values (T,), params0 (n,)): the kit's stream (exact zeros, repeats, float32 values)."""
    return testing.gradient_stream(steps, seed, n)


def run_updates(
    tx: optax.GradientTransformation,
    grads: np.ndarray,
    values: np.ndarray,
    params0: np.ndarray,
    *,
    as_tree: bool = True,
    dtype: Any = jnp.float32,
    extra: Mapping[str, Any] | None = None,
) -> np.ndarray:
    """The kit's jitted scan of ``tx`` over the stream on the test pytree (``as_tree=False``: the flat vector)."""
    template = tree_of(np.zeros(N)) if as_tree else jnp.zeros(N)
    return testing.run_stream(tx, grads, values, params0, template, dtype=dtype, extra_args=extra)


def via_optax(factory: Callable[..., optax.GradientTransformation], dtype: Any = jnp.float32) -> Callable[..., np.ndarray]:
    """A reference that runs an optax configuration (built from the row's kwargs) on the flat vector."""

    def reference(grads, values, params0, **kwargs):
        return run_updates(factory(**kwargs), grads, values, params0, as_tree=False, dtype=dtype)

    reference.__name__ = f"optax:{getattr(factory, '__name__', 'config')}"
    return reference


def rate(learning_rate: Any, t: int) -> float:
    """The float rate at 0-based count t (for NumPy reference loops)."""
    return float(learning_rate(t)) if callable(learning_rate) else float(learning_rate)


def cosine(init: float, decay_steps: int) -> Callable[[Any], Any]:
    """A cosine decay written independently of the library (works on ints and traced counts)."""
    return lambda c: init * 0.5 * (1 + jnp.cos(jnp.pi * jnp.minimum(c, decay_steps) / decay_steps))


def quadratic_2d(kappa: float = 50.0, angle_deg: float = 30.0) -> tuple[Callable, jax.Array]:
    """½ xᵀAx with eigenvalues 1 and κ, rotated; returns (f, x0)."""
    a = np.deg2rad(angle_deg)
    q = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    A = jnp.asarray(q @ np.diag([1.0, kappa]) @ q.T, jnp.float32)
    return (lambda x: 0.5 * x @ A @ x), jnp.array([1.0, 1.0], jnp.float32)


def extra_args(params: Any) -> dict:
    """The update kwargs the driver passes: ``value`` (a loss) and ``value_fn`` (sum of squares)."""
    value_fn = lambda p: sum(jnp.sum(jnp.asarray(x, jnp.float32) ** 2) for x in jax.tree.leaves(p))
    return {"value": value_fn(params), "value_fn": value_fn}


def one_step(tx: optax.GradientTransformation, params: Any, grads: Any, state: Any) -> tuple:
    """One ``update`` at ``params`` with the driver's extra kwargs."""
    return tx.update(grads, state, params, **extra_args(params))


def run_steps(tx: optax.GradientTransformation, params: Any, grads_list: list) -> tuple[list, Any]:
    """The updates of plain steps (each at the moved params) and the final params."""
    state, out = tx.init(params), []
    for g in grads_list:
        u, state = one_step(tx, params, g, state)
        params = optax.apply_updates(params, u)
        out.append(u)
    return out, params
