"""Regularization as gradient transformations: coupled L2, decoupled weight decay, proximal L1/elastic net;
docs/spec/adamw.md, docs/spec/regularization.md.

Seed conventions differ by a factor 2 ([002] writes λΣW², optax/torch "weight decay" is the
gradient of (λ/2)‖θ‖²). The penalty *functions* in :mod:`jaxopt_lectures.losses` follow the
seeds; the *transforms* here follow the gradient convention: adding ``λ·l2_penalty`` to the loss
is ``add_l2(2λ)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from jaxopt_lectures._tree import tree_map_unzip, value_at
from jaxopt_lectures._validate import check_learning_rate, check_range, checked, is_python_number, require_params

Mask = Any | Callable[[optax.Params], Any] | None


def _decay(weight: optax.ScalarOrSchedule, mask: Mask) -> optax.GradientTransformationExtraArgs:
    """``optax.add_decayed_weights(weight, mask)`` with the updates kept in the gradients' dtype.

    optax adds ``weight * params`` in the params' dtype, which promotes bfloat16 gradients of
    float32 params to float32; the library's updates keep the incoming dtype (docs/spec/api.md).
    """
    tx = optax.add_decayed_weights(weight, mask)

    def update(updates, state, params=None, **extra_args):
        del extra_args
        new, state = tx.update(updates, state, params)
        return jax.tree.map(lambda n, u: n.astype(u.dtype), new, updates), state

    return optax.GradientTransformationExtraArgs(tx.init, update)


@checked
def add_l2(weight: optax.ScalarOrSchedule, *, mask: Mask = None) -> optax.GradientTransformationExtraArgs:
    r"""Coupled L2 ("L2 in the loss"): $u \leftarrow u + \lambda\theta$, placed *before* the optimizer.

    The gradient of $(\lambda/2)\|\theta\|^2$ is added to the incoming gradient, so an adaptive
    optimizer after it divides the decay by its own preconditioner (for Adam: by $\sqrt{\hat v}$,
    which makes the decay weak for parameters with large gradients). This is what torch's
    ``weight_decay=`` argument of SGD/Adam does; for SGD it coincides with decoupled decay.
    Same as ``optax.add_decayed_weights(weight, mask)``.

    Lecture:
        [000] regularization slide; [002] "λR(W)" with $R = \sum W^2$ (i.e. ``add_l2(2λ)``).
        docs/spec/adamw.md, docs/spec/regularization.md.

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
    return _decay(weight, mask)


@checked
def decoupled_weight_decay(rate: optax.ScalarOrSchedule, *, mask: Mask = None) -> optax.GradientTransformationExtraArgs:
    r"""Decoupled weight decay: $u \leftarrow u - r\,\theta$, placed *after* the learning-rate scaling.

    The decay bypasses the optimizer's preconditioner (Loshchilov & Hutter). With a constant
    rate $\eta$, ``adamw(η, weight_decay=λ)`` equals ``chain(adam(η), decoupled_weight_decay(η·λ))``.
    ``rate`` may be a schedule (e.g. ``lambda t: η(t)·λ``).

    Lecture:
        [000] regularization; Loshchilov & Hutter 2019 (AdamW). docs/spec/adamw.md, docs/spec/regularization.md.

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
    return _decay(negative, mask)


class ProximalState(NamedTuple):
    """State of :func:`proximal`: the 0-based update count at which the rate schedule is read."""

    count: jax.Array  # int32 scalar


@checked
def proximal(learning_rate: optax.ScalarOrSchedule, *, l1: float | jax.Array = 0.0,
             l2: float | jax.Array = 0.0) -> optax.GradientTransformationExtraArgs:
    r"""Proximal step for L1 / elastic net, placed *last* in a chain after any optimizer.

    With $z = \theta + u$ (the point the preceding optimizer proposes) it returns
    $\operatorname{prox}(z) - \theta$, where
    $$\operatorname{prox}(z) = \frac{\operatorname{sign}(z)\max(|z| - \eta\,l_1,\ 0)}{1 + \eta\,l_2}$$
    is the proximal map of $\eta\,(l_1\|\theta\|_1 + \tfrac{l_2}{2}\|\theta\|^2)$: soft-thresholding,
    then ridge shrinkage. Coordinates with $|z| \le \eta l_1$ become *exactly* 0 (the update is
    $-\theta$), unlike a subgradient step on $l_1\|\theta\|_1$, which oscillates around 0.
    ``chain(sgd(η), proximal(η, l1=a))`` is ISTA (proximal gradient descent). ``learning_rate``
    must be the rate of the preceding optimizer (float or the same schedule; this transform keeps
    its own count). With $l_1 = l_2 = 0$ it is the identity. [002]'s elastic net
    $\lambda\sum(\beta W^2 + |W|)$ is ``l1=λ, l2=2λβ``.

    Lecture:
        [002] "Regularization" (L1, elastic net; L1 prefers sparse weights); docs/spec/regularization.md.
        Same iterates as ``jaxopt.ProximalGradient(fun, prox=jaxopt.prox.prox_elastic_net,
        stepsize=η, acceleration=False)`` with ``hyperparams_prox=(l1, l2 / l1)``.

    Args:
        learning_rate: $\eta > 0$ (float, jax scalar or schedule), the preceding optimizer's rate.
        l1: $l_1 \ge 0$, weight of $\|\theta\|_1$.
        l2: $l_2 \ge 0$, weight of $\tfrac12\|\theta\|^2$.

    Raises:
        ValueError: ``learning_rate <= 0`` or a negative ``l1``/``l2`` (concrete numbers).
        TypeError: an argument of the wrong kind; ``update`` without ``params``.

    References:
        Daubechies, Defrise & De Mol, An iterative thresholding algorithm for linear inverse
        problems with a sparsity constraint, CPAM 2004. Beck & Teboulle, FISTA, SIAM J. Imaging 2009.
        Zou & Hastie, Regularization and variable selection via the elastic net, JRSS B 2005.

    Example:
        >>> import jax.numpy as jnp, optax, jaxopt_lectures as jol
        >>> tx = optax.chain(jol.sgd(0.5), jol.proximal(0.5, l1=1.0))
        >>> theta = jnp.array([0.2, -3.0])
        >>> u, _ = tx.update(jnp.zeros(2), tx.init(theta), theta)
        >>> print(optax.apply_updates(theta, u))  # |z| <= η·l1 = 0.5 -> exactly 0
        [ 0.  -2.5]
    """
    check_learning_rate(learning_rate, positive=True)
    check_range("l1", l1, 0.0)
    check_range("l2", l2, 0.0)
    identity = is_python_number(l1) and is_python_number(l2) and l1 == 0 and l2 == 0

    def init(params: optax.Params) -> ProximalState:
        del params
        return ProximalState(jnp.zeros([], jnp.int32))

    def update(updates, state, params=None, **extra_args):
        del extra_args
        require_params(params, "proximal", "the prox is taken at θ + u")
        eta = value_at(learning_rate, state.count)

        def prox_step(u: jax.Array, theta: jax.Array) -> tuple[jax.Array]:
            z = theta + u
            shrunk = jnp.sign(z) * jnp.maximum(jnp.abs(z) - eta * l1, 0) / (1 + eta * l2)
            return ((shrunk - theta).astype(u.dtype),)

        new = updates if identity else tree_map_unzip(prox_step, updates, params)[0]
        return new, ProximalState(optax.safe_increment(state.count))

    return optax.GradientTransformationExtraArgs(init, update)
