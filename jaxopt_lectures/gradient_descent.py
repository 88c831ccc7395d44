"""Plain gradient descent ([000] "Gradient Descent", [001] §7.1, [002], [003]); docs/spec/gradient-descent.md,
docs/spec/sgd.md."""

from __future__ import annotations

import optax

from jaxopt_lectures._validate import check_learning_rate, checked


@checked
def scale_by_sgd() -> optax.GradientTransformationExtraArgs:
    r"""The gradient-descent direction: the gradient itself, $d_t = g_t$ (the identity transform).

    Exported so that every alias has its ``scale_by_`` twin (docs/spec/conventions.md#conventions,
    docs/spec/gradient-descent.md). Lecture and paper:
    those of :func:`sgd` ([000] "Gradient Descent", [001] §7.1; Cauchy 1847).

    Example:
        >>> import jax.numpy as jnp, jaxopt_lectures as jol
        >>> tx = jol.scale_by_sgd()
        >>> u, _ = tx.update(jnp.array([1.0, -2.0]), tx.init(jnp.zeros(2)))
        >>> print(u)
        [ 1. -2.]
    """
    return optax.with_extra_args_support(optax.identity())


@checked
def sgd(learning_rate: optax.ScalarOrSchedule) -> optax.GradientTransformationExtraArgs:
    r"""Gradient descent: $\Delta_t = -\eta_t\, g_t$.

    The same transform serves batch GD, online SGD and minibatch SGD: the difference is how the
    gradient $g_t$ is estimated (all $N$ examples, one, or the mean over $B$; docs/spec/sgd.md).
    With a fixed rate $\eta \le 1/L$ on a convex $L$-smooth objective,
    $R(w_t) - R(w^*) \le \|w_0 - w^*\|^2 / (2\eta t)$ ([001] Theorem 7.1).

    Lecture:
        [000] "Gradient Descent" and "SGD"; [001] §7.1 and §7.3; [002] "Gradient Descent";
        [003] "Gradient descent". Same as ``optax.sgd(learning_rate)``.

    Args:
        learning_rate: $\eta \ge 0$, a float, a jax scalar or a schedule ``count -> rate``
            (evaluated at the 0-based update count).

    Raises:
        ValueError: ``learning_rate`` is a negative (or NaN, inf) number, a concrete JAX array included.
        TypeError: ``learning_rate`` is not a number or a schedule (a string, None, a list, ...).

    References:
        Cauchy, Méthode générale pour la résolution des systèmes d'équations simultanées, 1847.
        Robbins & Monro, A stochastic approximation method, Ann. Math. Stat. 1951.

    Example:
        >>> import jax.numpy as jnp, jaxopt_lectures as jol
        >>> tx = jol.sgd(0.1)
        >>> u, _ = tx.update(jnp.array([1.0, -2.0]), tx.init(jnp.zeros(2)))
        >>> print(u)
        [-0.1  0.2]
    """
    check_learning_rate(learning_rate)
    return optax.chain(scale_by_sgd(), optax.scale_by_learning_rate(learning_rate))
