"""Regularization as gradient transformations: coupled L2, decoupled weight decay; SPEC.md §9, §19.

Seed conventions differ by a factor 2 ([002] writes λΣW², optax/torch "weight decay" is the
gradient of (λ/2)‖θ‖²). The penalty *functions* in :mod:`jaxopt_lectures.losses` follow the
seeds; the *transforms* here follow the gradient convention: adding ``λ·l2_penalty`` to the loss
is ``add_l2(2λ)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import optax

from jaxopt_lectures._validate import check_learning_rate

Mask = Any | Callable[[optax.Params], Any] | None


def add_l2(weight: optax.ScalarOrSchedule, *, mask: Mask = None) -> optax.GradientTransformationExtraArgs:
    r"""Coupled L2 ("L2 in the loss"): $u \leftarrow u + \lambda\theta$, placed *before* the optimizer.

    The gradient of $(\lambda/2)\|\theta\|^2$ is added to the incoming gradient, so an adaptive
    optimizer after it divides the decay by its own preconditioner (for Adam: by $\sqrt{\hat v}$,
    which makes the decay weak for parameters with large gradients). This is what torch's
    ``weight_decay=`` argument of SGD/Adam does; for SGD it coincides with decoupled decay.
    Same as ``optax.add_decayed_weights(weight, mask)``.

    Lecture:
        [000] regularization slide; [002] "λR(W)" with $R = \sum W^2$ (i.e. ``add_l2(2λ)``).
        SPEC.md §9, §19.

    Args:
        weight: $\lambda \ge 0$ (float or schedule).
        mask: a bool pytree matching the params (or a prefix of them), or a callable
            ``params -> such a tree``; ``True`` where the penalty applies (as in ``optax.masked``).

    Raises:
        ValueError: ``weight`` is a negative Python number.

    References:
        Krogh & Hertz, A simple weight decay can improve generalization, NIPS 1991.

    Example:
        >>> import jax.numpy as jnp, jaxopt_lectures as jol
        >>> tx, theta = jol.add_l2(0.1), jnp.array([2.0, -4.0])
        >>> u, _ = tx.update(jnp.zeros(2), tx.init(theta), theta)
        >>> print(u)
        [ 0.2 -0.4]
    """
    check_learning_rate(weight, "weight")
    return optax.with_extra_args_support(optax.add_decayed_weights(weight, mask))


def decoupled_weight_decay(rate: optax.ScalarOrSchedule, *, mask: Mask = None) -> optax.GradientTransformationExtraArgs:
    r"""Decoupled weight decay: $u \leftarrow u - r\,\theta$, placed *after* the learning-rate scaling.

    The decay bypasses the optimizer's preconditioner (Loshchilov & Hutter). With a constant
    rate $\eta$, ``adamw(η, weight_decay=λ)`` equals ``chain(adam(η), decoupled_weight_decay(η·λ))``.
    ``rate`` may be a schedule (e.g. ``lambda t: η(t)·λ``).

    Lecture:
        [000] regularization; Loshchilov & Hutter 2019 (AdamW). SPEC.md §9, §19.

    Args:
        rate: $r \ge 0$, the fraction of $\theta$ removed per step (float or schedule).
        mask: as in :func:`add_l2`.

    Raises:
        ValueError: ``rate`` is a negative Python number.

    References:
        Loshchilov & Hutter, Decoupled weight decay regularization, ICLR 2019.

    Example:
        >>> import jax.numpy as jnp, jaxopt_lectures as jol
        >>> tx, theta = jol.decoupled_weight_decay(0.01), jnp.array([2.0, -4.0])
        >>> u, _ = tx.update(jnp.zeros(2), tx.init(theta), theta)
        >>> print(u)
        [-0.02  0.04]
    """
    check_learning_rate(rate, "rate")
    negative = (lambda count: -rate(count)) if callable(rate) else -rate
    return optax.with_extra_args_support(optax.add_decayed_weights(negative, mask))
