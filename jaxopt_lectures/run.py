"""Drivers: the jitted ``lax.scan`` loops the experiments use; docs/spec/sgd.md, docs/spec/driver.md.

:func:`minimize` runs an optimizer on a deterministic objective (full-batch GD, the 2-D test
surfaces) and records the trajectory; :func:`fit` runs minibatch SGD epochs over in-memory arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from jaxopt_lectures._validate import check_int
from jaxopt_lectures.data import epoch_batches, num_batches


class Trace(NamedTuple):
    """Record of a :func:`minimize` run: entry j is taken before update ``j * record_every``; the last entry is the result."""

    loss: jax.Array  # (num_steps // record_every + 1,)
    params: Any  # the params tree, each leaf stacked to (num_steps // record_every + 1, ...)
    grad_norm: jax.Array  # same length: global 2-norm of the gradient


class FitHistory(NamedTuple):
    """Record of a :func:`fit` run, one entry per epoch."""

    train_loss: jax.Array  # (epochs,): mean of the minibatch losses seen during the epoch
    batch_loss: jax.Array  # (epochs, steps_per_epoch): each minibatch loss, before its update
    eval: Any  # eval_fn(params) after each epoch, stacked to (epochs, ...); None without eval_fn


def minimize(
    fun: Callable[[Any], jax.Array],
    params: Any,
    optimizer: optax.GradientTransformation,
    num_steps: int,
    *,
    value_and_grad: Callable[[Any], tuple[jax.Array, Any]] | None = None,
    record_every: int = 1,
) -> tuple[Any, Trace]:
    r"""Run ``num_steps`` updates of ``optimizer`` on ``fun`` in one jitted ``lax.scan``.

    $\theta_{k+1} = \theta_k + \Delta_k$, where $\Delta_k$ is what ``optimizer.update`` returns for
    the gradient $\nabla f(\theta_k)$ (for :func:`jaxopt_lectures.sgd`: $\Delta_k = -\eta_k \nabla f(\theta_k)$).
    Each step computes ``value, grad = value_and_grad(fun)(params)`` and calls
    ``optimizer.update(grad, state, params, value=value, grad=grad, value_fn=fun)``, so line
    searches, iRprop+ and plateau schedules work unchanged. Optimizer hyperparameters may be traced:
    ``jax.vmap(lambda lr: minimize(f, x0, jol.sgd(lr), n))(rates)`` is a learning-rate sweep and
    equals a Python loop over the rates (docs/spec/driver.md, experiment E9).

    Lecture: the full-batch gradient-descent loops of [000] "Gradient Descent", [001] §7.1 and
    [003] "Comparison" (trajectories on 2-D surfaces); [002] "choosing among learning rates" (E9).
    Reference: Bradbury et al., JAX: composable transformations of Python+NumPy programs, 2018
    (``lax.scan``, ``vmap``).

    Args:
        fun: scalar objective of the params tree.
        params: initial params (any pytree of arrays).
        optimizer: any (extra-args) gradient transformation.
        num_steps: number of updates (a Python int >= 0).
        value_and_grad: optional replacement for ``jax.value_and_grad(fun)``.
        record_every: keep every k-th entry of the trace (``num_steps`` must be a multiple of it);
            long runs then store ``num_steps // k + 1`` points instead of ``num_steps + 1``.

    Returns:
        ``(params, trace)``: the final params and a :class:`Trace` whose entry j is the value,
        params and gradient norm before update ``j * record_every``, the last entry those of the
        returned params (one extra evaluation), so trajectories include both endpoints.

    Raises:
        ValueError: ``num_steps`` is not an int >= 0, ``record_every`` not an int >= 1, or
            ``num_steps`` is not a multiple of ``record_every``.

    Example:
        >>> import jax.numpy as jnp, jaxopt_lectures as jol
        >>> x, trace = jol.minimize(lambda x: jnp.sum(x**2), jnp.array([1.0]), jol.sgd(0.25), 2)
        >>> print(x, trace.loss)
        [0.25] [1.     0.25   0.0625]
        >>> _, thin = jol.minimize(lambda x: jnp.sum(x**2), jnp.array([1.0]), jol.sgd(0.25), 4, record_every=2)
        >>> print(thin.loss)  # before updates 0 and 2, and at the end
        [1.         0.0625     0.00390625]
    """
    check_int("num_steps", num_steps, 0)
    check_int("record_every", record_every, 1)
    if num_steps % record_every:
        raise ValueError(f"num_steps={num_steps!r} must be a multiple of record_every={record_every!r}")
    vg = value_and_grad or jax.value_and_grad(fun)

    def record(p):
        value, grad = vg(p)
        return value, grad, optax.tree.norm(grad)

    def advance(p, state, value, grad):
        updates, state = optimizer.update(grad, state, p, value=value, grad=grad, value_fn=fun)
        return optax.apply_updates(p, updates), state

    def step(carry, _):
        value, grad = vg(carry[0])
        return advance(*carry, value, grad), None

    def chunk(carry, _):  # record_every updates, recording before the first
        p, state = carry
        value, grad, gnorm = record(p)
        carry = jax.lax.scan(step, advance(p, state, value, grad), length=record_every - 1)[0]
        return carry, (value, p, gnorm)

    @jax.jit
    def run(p0):
        (p, _), (values, ps, gnorms) = jax.lax.scan(chunk, (p0, optimizer.init(p0)), length=num_steps // record_every)
        value, _, gnorm = record(p)
        stack = lambda xs, x: jnp.concatenate([xs, jnp.asarray(x)[None].astype(xs.dtype)])
        return p, Trace(stack(values, value), jax.tree.map(stack, ps, p), stack(gnorms, gnorm))

    return run(params)


def fit(
    loss_fn: Callable[[Any, Any], jax.Array],
    params: Any,
    optimizer: optax.GradientTransformation,
    data: Any,
    batch_size: int,
    epochs: int,
    key: jax.Array,
    *,
    eval_fn: Callable[[Any], Any] | None = None,
    drop_last: bool = True,
) -> tuple[Any, FitHistory]:
    r"""Minibatch SGD over in-memory arrays: ``epochs`` passes, each over a fresh permutation.

    ``data`` is a pytree of arrays sharing the leading axis $N$ (e.g. ``(X, y)``); each update
    uses the batch ``tree_map(lambda a: a[idx], data)`` and the gradient of
    ``loss_fn(params, batch)`` (a mean over the batch, so $g = \frac1B\sum_b \nabla L_b$, an
    unbiased estimate of the full gradient with standard error $\propto 1/\sqrt B$ [001]).
    ``optimizer.update`` receives ``value=``, ``grad=`` and ``value_fn=`` (the loss on the *current
    batch*) like in :func:`minimize`. The whole run is one jitted ``lax.scan`` over epochs with an
    inner scan over batches (indices from :func:`jaxopt_lectures.data.epoch_batches`).

    ``drop_last=True`` (default): $\lfloor N/B \rfloor$ updates per epoch, the $N \bmod B$ examples
    left over by that epoch's permutation are skipped (others next epoch). ``drop_last=False``:
    $\lceil N/B \rceil$ updates ([001]'s count); the last batch is filled up with the first
    examples of the same permutation, which are then seen twice in that epoch.

    Lecture:
        [000] "Gradient Descent Variants"; [001] §7.3 (SGD, epochs, learning curves); [002] "SGD"
        (batch sizes 32/64/128/256); docs/spec/sgd.md, docs/spec/experiments.md E8.

    Args:
        loss_fn: ``(params, batch) -> scalar`` mean loss of the batch.
        params: initial params (pytree).
        optimizer: any (extra-args) gradient transformation.
        data: pytree of arrays with a common leading axis $N$.
        batch_size: $B$, an int >= 1 (and <= $N$ with ``drop_last``).
        epochs: number of passes, an int >= 0.
        key: PRNG key for the per-epoch permutations.
        eval_fn: optional ``params -> metric`` (any pytree, e.g. test accuracy) evaluated after
            each epoch.
        drop_last: see above.

    Returns:
        ``(params, history)`` with :class:`FitHistory` (per-epoch mean train loss, every minibatch
        loss, stacked eval metrics or ``None``).

    Raises:
        ValueError: non-positive or non-int ``batch_size``, ``batch_size > N`` with ``drop_last``,
            negative ``epochs``, empty ``data`` or leaves with different leading sizes.

    References:
        Robbins & Monro, A stochastic approximation method, 1951. Bottou, Curtis & Nocedal,
        Optimization methods for large-scale machine learning, SIAM Review 2018.

    Example:
        >>> import jax, jax.numpy as jnp, jaxopt_lectures as jol
        >>> X = jnp.linspace(-1, 1, 8)[:, None]; y = 3 * X[:, 0]
        >>> loss = lambda w, batch: jol.losses.mse(batch[0][:, 0] * w, batch[1])
        >>> w, hist = jol.fit(loss, jnp.array(0.0), jol.sgd(0.5), (X, y), 4, 30, jax.random.key(0))
        >>> print(round(float(w), 4), hist.train_loss.shape, hist.batch_loss.shape)
        3.0 (30,) (30, 2)
    """
    leaves = jax.tree.leaves(data)
    if not leaves:
        raise ValueError("data must hold at least one array")
    sizes = {jnp.shape(x)[0] if jnp.ndim(x) else None for x in leaves}
    if len(sizes) != 1 or None in sizes:
        raise ValueError(f"data leaves must share one leading axis; got leading sizes {sorted(map(str, sizes))}")
    (n,) = sizes
    num_batches(n, batch_size, drop_last)  # validates batch_size
    check_int("epochs", epochs, 0)

    def train_step(carry, idx, data):
        p, state = carry
        batch = jax.tree.map(lambda a: a[idx], data)
        value, grad = jax.value_and_grad(loss_fn)(p, batch)
        updates, state = optimizer.update(grad, state, p, value=value, grad=grad,
                                          value_fn=lambda q: loss_fn(q, batch))
        return (optax.apply_updates(p, updates), state), value

    def epoch(carry, key, data):
        indices, _ = epoch_batches(key, n, batch_size, drop_last)
        carry, losses = jax.lax.scan(lambda c, idx: train_step(c, idx, data), carry, indices)
        metric = None if eval_fn is None else eval_fn(carry[0])
        return carry, (losses, metric)

    @jax.jit
    def run(p0, data, keys):
        (p, _), (losses, metrics) = jax.lax.scan(lambda c, k: epoch(c, k, data), (p0, optimizer.init(p0)), keys)
        return p, FitHistory(jnp.mean(losses, axis=1), losses, metrics)

    return run(params, data, jax.random.split(key, epochs))
