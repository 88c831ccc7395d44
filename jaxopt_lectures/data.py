"""Minibatches of in-memory arrays with static shapes, for ``lax.scan`` loops; docs/spec/sgd.md."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxopt_lectures._validate import check_int


def _check_batch_size(n: int, batch_size: int, drop_last: bool) -> None:
    check_int("batch_size", batch_size, 1)
    if drop_last and batch_size > n:
        raise ValueError(f"batch_size={batch_size!r} must be <= the number of examples n={n!r} "
                         "when drop_last=True (an epoch would have no batch)")


def num_batches(n: int, batch_size: int, drop_last: bool = True) -> int:
    r"""Updates per epoch: $\lfloor N/B \rfloor$ with ``drop_last``, else $\lceil N/B \rceil$ ([001] §7.3;
    docs/spec/sgd.md).

    Reference: Bottou, Stochastic gradient descent tricks, in Neural Networks: Tricks of the Trade, 2012.

    Example:
        >>> from jaxopt_lectures import data
        >>> data.num_batches(10, 4), data.num_batches(10, 4, drop_last=False)
        (2, 3)
    """
    _check_batch_size(n, batch_size, drop_last)
    return n // batch_size if drop_last else -(-n // batch_size)


def epoch_batches(key: jax.Array, n: int, batch_size: int, drop_last: bool = True) -> tuple[jax.Array, jax.Array]:
    r"""Indices of one epoch: a fresh permutation of $0..N-1$ cut into batches of $B$ (no replacement).

    Returns ``(indices, mask)`` of shape ``(steps, B)``. With ``drop_last=True`` there are
    $\lfloor N/B \rfloor$ full batches and the $N \bmod B$ examples left over (different ones every
    epoch, since the permutation changes) are not used; ``mask`` is all True. With
    ``drop_last=False`` there are $\lceil N/B \rceil$ batches ([001]'s count); the last one is
    padded with the first indices of the same permutation and ``mask`` is False on the padding,
    so a weighted loss can ignore it while every shape stays static.

    Lecture:
        [000] "Gradient Descent Variants", [001] §7.3 epochs; docs/spec/sgd.md.

    Raises:
        ValueError: ``batch_size`` is not an int >= 1, or exceeds ``n`` with ``drop_last``.

    References:
        Bottou, Stochastic gradient descent tricks, in Neural Networks: Tricks of the Trade, 2012.

    Example:
        >>> import jax
        >>> from jaxopt_lectures import data
        >>> idx, mask = data.epoch_batches(jax.random.key(0), 5, 2, drop_last=False)
        >>> print(idx.shape, mask.tolist())
        (3, 2) [[True, True], [True, True], [True, False]]
        >>> sorted(idx[mask].tolist())
        [0, 1, 2, 3, 4]
    """
    steps = num_batches(n, batch_size, drop_last)
    position = jnp.arange(steps * batch_size)
    perm = jax.random.permutation(key, n)
    indices = perm[position % n].reshape(steps, batch_size)
    return indices, (position < n).reshape(steps, batch_size)
