"""Shared fixtures of the test suite: the random pytree, gradient streams and the update runner.

The reference-check protocol (docs/spec/conventions.md#reference-check-protocol): a fixed stream of random gradient
vectors is fed to
the float32 implementation on a pytree with leaves of different shapes and to the reference
(float64 NumPy loop, or an optax/torch configuration) on the flat vector; the updates are
compared step by step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.flatten_util import ravel_pytree

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


def flat(tree: Any) -> np.ndarray:
    """The inverse of :func:`tree_of` (as float64 NumPy)."""
    return np.concatenate([np.asarray(tree[k], np.float64).reshape(-1) for k in SHAPES])


def tree_pair(seed: int = 0, dtype: Any = jnp.float32) -> tuple[dict, dict]:
    """Random (params, grads) trees of the test shapes."""
    rng = np.random.default_rng(seed)
    return tree_of(rng.normal(size=N), dtype), tree_of(rng.normal(size=N), dtype)


def gradient_stream(steps: int = 100, seed: int = 0, n: int = N) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(grads (T, n), values (T,), params0 (n,)): normal draws with exact zeros and repeats.

    Every 7th step repeats the previous gradient exactly, ~5% of the entries are exact zeros,
    and the scripted loss values mostly decrease but sometimes increase (for iRprop+ and
    plateau logic). All numbers are float32-representable, so float32 and float64 runs see the
    same inputs.
    """
    rng = np.random.default_rng(seed)
    grads = rng.normal(size=(steps, n))
    grads[rng.random((steps, n)) < 0.05] = 0.0
    grads[7::7] = grads[6:-1:7][: len(grads[7::7])]
    values = 10 * np.exp(-0.02 * np.arange(steps)) + rng.random(steps)
    params0 = rng.normal(size=n)
    f32 = lambda x: x.astype(np.float32).astype(np.float64)
    return f32(grads), f32(values), f32(params0)


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
    """Feed the stream to ``tx`` in one jitted ``lax.scan``; return the updates as (T, n) float64.

    The updates are applied to the params (so methods that read params see a real trajectory),
    and ``value=`` is passed from the scripted values. ``as_tree=False`` runs on the flat vector
    (for references that are elementwise anyway).
    """
    to_tree = (lambda v: tree_of(v, dtype)) if as_tree else (lambda v: jnp.asarray(v, dtype))
    to_flat = (lambda t: ravel_pytree([t[k] for k in SHAPES])[0]) if as_tree else (lambda v: v)
    extra = dict(extra or {})

    @jax.jit
    def scan(grads, values, p0):
        def step(carry, inputs):
            params, state = carry
            g, value = inputs
            updates, state = tx.update(to_tree(g), state, params, value=value, **extra)
            return (optax.apply_updates(params, updates), state), to_flat(updates)

        params = to_tree(p0)
        return jax.lax.scan(step, (params, tx.init(params)), (grads, values))[1]

    return np.asarray(scan(jnp.asarray(grads, dtype), jnp.asarray(values, dtype), p0=jnp.asarray(params0, dtype)), np.float64)


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
