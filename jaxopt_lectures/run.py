"""Drivers: the jitted ``lax.scan`` optimization loop the experiments plot; SPEC.md §22."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax


class Trace(NamedTuple):
    """Per-step record of a :func:`minimize` run; entry k is before update k, the last entry is the result."""

    loss: jax.Array  # (num_steps + 1,)
    params: Any  # the params tree, each leaf stacked to (num_steps + 1, ...)
    grad_norm: jax.Array  # (num_steps + 1,) global 2-norm of the gradient


def minimize(
    fun: Callable[[Any], jax.Array],
    params: Any,
    optimizer: optax.GradientTransformation,
    num_steps: int,
    *,
    value_and_grad: Callable[[Any], tuple[jax.Array, Any]] | None = None,
) -> tuple[Any, Trace]:
    """Run ``num_steps`` updates of ``optimizer`` on ``fun`` in one jitted ``lax.scan``.

    Each step computes ``value, grad = value_and_grad(fun)(params)`` and calls
    ``optimizer.update(grad, state, params, value=value, grad=grad, value_fn=fun)``, so line
    searches, iRprop+ and plateau schedules work unchanged. Optimizer hyperparameters may be traced:
    ``jax.vmap(lambda lr: minimize(f, x0, jol.sgd(lr), n))(rates)`` is a learning-rate sweep.

    Args:
        fun: scalar objective of the params tree.
        params: initial params (any pytree of arrays).
        optimizer: any (extra-args) gradient transformation.
        num_steps: number of updates (a Python int >= 0).
        value_and_grad: optional replacement for ``jax.value_and_grad(fun)``.

    Returns:
        ``(params, trace)``: the final params and a :class:`Trace` with ``num_steps + 1`` entries.

    Example:
        >>> import jax.numpy as jnp, jaxopt_lectures as jol
        >>> x, trace = jol.minimize(lambda x: jnp.sum(x**2), jnp.array([1.0]), jol.sgd(0.25), 2)
        >>> print(x, trace.loss)
        [0.25] [1.     0.25   0.0625]
    """
    if not isinstance(num_steps, int) or num_steps < 0:
        raise ValueError(f"num_steps={num_steps!r} must be an int >= 0")
    vg = value_and_grad or jax.value_and_grad(fun)

    def record(p):
        value, grad = vg(p)
        return value, grad, optax.tree.norm(grad)

    def step(carry, _):
        p, state = carry
        value, grad, gnorm = record(p)
        updates, state = optimizer.update(grad, state, p, value=value, grad=grad, value_fn=fun)
        return (optax.apply_updates(p, updates), state), (value, p, gnorm)

    @jax.jit
    def run(p0):
        (p, _), (values, ps, gnorms) = jax.lax.scan(step, (p0, optimizer.init(p0)), length=num_steps)
        value, _, gnorm = record(p)
        stack = lambda xs, x: jnp.concatenate([xs, jnp.asarray(x)[None].astype(xs.dtype)])
        return p, Trace(stack(values, value), jax.tree.map(stack, ps, p), stack(gnorms, gnorm))

    return run(params)
