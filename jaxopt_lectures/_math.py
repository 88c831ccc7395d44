"""Elementwise maths shared by the adaptive methods (AdaGrad, RMSProp, AdaDelta, Adam): safe division and root.

Private: both ``adaptive.py`` and ``adam.py`` import from here, so neither imports the other's internals.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def divide_or_zero(g: jax.Array, denominator: jax.Array) -> jax.Array:
    """``g / denominator`` where the denominator is positive, 0 elsewhere (no NaN in either lane).

    A zero denominator of an adaptive method means every past gradient of that coordinate was 0
    (docs/spec/adagrad.md), so the direction is 0; this also avoids 0/0 when ``eps = 0``.

    Half-precision inputs (float16, bfloat16) are divided in float32 and the quotient cast back:
    XLA may turn ``g / d`` into ``g * (1/d)``, and in float16 ``1/d`` is inf for every
    ``d < 1/65504`` (e.g. Adam's ``eps = 1e-8`` at a zero gradient), so ``0 * inf`` would be NaN.
    """
    dtype = jnp.result_type(g, denominator)
    wide = jnp.promote_types(dtype, jnp.float32)
    g, denominator = jnp.asarray(g, wide), jnp.asarray(denominator, wide)
    positive = denominator > 0
    return jnp.where(positive, g / jnp.where(positive, denominator, 1), 0).astype(dtype)


def root(v: jax.Array, eps: float | jax.Array = 0.0, eps_root: float | jax.Array = 0.0) -> jax.Array:
    r"""$\sqrt{v + \epsilon_{root}} + \epsilon$ for $v \ge 0$, with a finite derivative at $v = 0$.

    The square root's infinite slope at 0 would turn ``jax.grad`` through the optimizer into NaN
    (0 · ∞) even in the lanes ``jnp.where`` discards, so $v = 0$ takes a branch without $\sqrt v$.
    """
    positive = v > 0
    at_zero = jnp.sqrt(jnp.zeros_like(v) + eps_root) + eps
    return jnp.where(positive, jnp.sqrt(jnp.where(positive, v, 1) + eps_root) + eps, at_zero)


def eps_split(eps: float | jax.Array, eps_in_sqrt: bool) -> tuple:
    """(eps outside, eps inside) the square root, for :func:`root`."""
    return (0.0, eps) if eps_in_sqrt else (eps, 0.0)
