"""Losses of the lectures, L1/L2 penalties and the numeric gradient check; docs/spec/regularization.md,
docs/spec/losses.md.

Every loss averages over the leading (batch) axes and returns a scalar. The penalty functions
follow the seeds ([002] $R(W) = \\sum W^2$, no ½); the regularization *transforms* in
:mod:`jaxopt_lectures.regularization` follow the gradient convention, so adding
$\\lambda\\cdot$``l2_penalty`` to a loss equals ``add_l2(2λ)``.

Example:
    >>> import jax.numpy as jnp
    >>> from jaxopt_lectures import losses
    >>> print(round(float(losses.softmax_cross_entropy(jnp.zeros((4, 10)), jnp.arange(4))), 4))  # log 10
    2.3026
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from jaxopt_lectures._validate import check_choice, check_int, check_range


def _same_shape(name_a: str, a: jax.Array, name_b: str, b: jax.Array) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{name_a}.shape={a.shape!r} and {name_b}.shape={b.shape!r} must be equal")


def _int_labels(logits: jax.Array, labels: jax.Array) -> None:
    if labels.shape != logits.shape[:-1]:
        raise ValueError(f"labels.shape={labels.shape!r} must be logits.shape[:-1]={logits.shape[:-1]!r} "
                         "for integer labels (or equal logits.shape for one-hot/probabilities)")


def mse(pred: jax.Array, target: jax.Array) -> jax.Array:
    r"""Mean squared error $\frac1N\sum_i (\hat y_i - y_i)^2$ over all entries (no ½).

    It is the Gaussian negative log-likelihood up to constants and a factor $1/(2\sigma^2)$.

    Lecture:
        [000] "Loss" and MLE slides; docs/spec/losses.md.

    Raises:
        ValueError: ``pred`` and ``target`` shapes differ (no silent broadcasting of (N,) against (N, 1)).

    References:
        Goodfellow, Bengio & Courville, Deep Learning, 2016, §5.5.1.

    Example:
        >>> import jax.numpy as jnp
        >>> from jaxopt_lectures import losses
        >>> print(losses.mse(jnp.array([1.0, 2.0]), jnp.array([0.0, 4.0])))
        2.5
    """
    pred, target = jnp.asarray(pred), jnp.asarray(target)
    _same_shape("pred", pred, "target", target)
    return jnp.mean((pred - target) ** 2)


def softmax_cross_entropy(logits: jax.Array, labels: jax.Array) -> jax.Array:
    r"""Softmax cross-entropy $L_i = -\log \frac{e^{s_{y_i}}}{\sum_j e^{s_j}} = \operatorname{logsumexp}(s) - s_{y_i}$, averaged.

    ``labels`` are integer class indices (shape ``logits.shape[:-1]``) or float one-hot /
    probability vectors (shape ``logits.shape``, $L_i = -\sum_j p_j \log\operatorname{softmax}(s)_j$).
    Computed with log-sum-exp, so logits of size 1e4 are fine. All-zero scores give $\log C$.
    Integer labels are not range-checked (they may be traced); an out-of-range index is clamped.

    Lecture:
        [002] "Softmax classifier" (scores cat/car/frog give 2.0404, 0.0791, 6.1565); [000] MLE.
        docs/spec/losses.md. Same as ``optax.losses.softmax_cross_entropy_with_integer_labels(...).mean()``.

    Raises:
        ValueError: label shape matches neither ``logits.shape[:-1]`` (int) nor ``logits.shape`` (float).

    References:
        Bridle, Probabilistic interpretation of feedforward classification network outputs, 1990.

    Example:
        >>> import jax.numpy as jnp
        >>> from jaxopt_lectures import losses
        >>> s = jnp.array([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]])
        >>> print(round(float(losses.softmax_cross_entropy(s, jnp.array([0, 1, 2]))), 4))  # (2.0404+0.0791+6.1565)/3
        2.7587
    """
    logits, labels = jnp.asarray(logits), jnp.asarray(labels)
    log_p = jax.nn.log_softmax(logits, axis=-1)
    if jnp.issubdtype(labels.dtype, jnp.integer):
        _int_labels(logits, labels)
        return -jnp.mean(jnp.take_along_axis(log_p, labels[..., None], axis=-1))
    _same_shape("logits", logits, "labels", labels)
    return -jnp.mean(jnp.sum(labels * log_p, axis=-1))


def multiclass_hinge(scores: jax.Array, labels: jax.Array, margin: float = 1.0) -> jax.Array:
    r"""Multiclass SVM loss $L_i = \sum_{j \ne y_i} \max(0,\ s_j - s_{y_i} + \Delta)$ (Weston–Watkins), averaged.

    Integer ``labels`` of shape ``scores.shape[:-1]`` (docs/spec/decisions.md#decision-6). Not the Crammer–Singer max
    form of ``optax.losses.multiclass_hinge_loss``.

    Lecture:
        [002] "Multiclass SVM loss" with $\Delta = 1$: the cat/car/frog scores give 2.9, 0, 12.9
        (mean 5.2667); the car example stays 0 when the scores are doubled. docs/spec/losses.md.

    Raises:
        ValueError: label shape is not ``scores.shape[:-1]``, or ``margin`` is a negative number.

    References:
        Weston & Watkins, Support vector machines for multi-class pattern recognition, ESANN 1999.

    Example:
        >>> import jax.numpy as jnp
        >>> from jaxopt_lectures import losses
        >>> s = jnp.array([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]])
        >>> print(round(float(losses.multiclass_hinge(s, jnp.array([0, 1, 2]))), 4))
        5.2667
    """
    check_range("margin", margin, 0.0)
    scores, labels = jnp.asarray(scores), jnp.asarray(labels)
    _int_labels(scores, labels)
    s_y = jnp.take_along_axis(scores, labels[..., None], axis=-1)
    is_y = jax.nn.one_hot(labels, scores.shape[-1], dtype=bool)
    margins = jnp.where(is_y, 0.0, jnp.maximum(0.0, scores - s_y + margin))
    return jnp.mean(jnp.sum(margins, axis=-1))


def logistic(logits: jax.Array, labels: jax.Array, *, signed: bool = False) -> jax.Array:
    r"""Logistic (binary cross-entropy) loss on logits $z$: $\operatorname{mean}(\log(1 + e^{z}) - y z)$, $y \in \{0, 1\}$.

    ``signed=True`` takes labels $y \in \{-1, +1\}$: $\operatorname{mean}\log(1 + e^{-y z})$ (the
    same loss with $y_{\pm} = 2y - 1$). Computed with ``softplus``, stable for large $|z|$.

    Lecture:
        [000] MLE for Bernoulli outputs; [001] logistic regression (GD theorem experiment).
        docs/spec/losses.md. Same as ``optax.losses.sigmoid_binary_cross_entropy(logits, labels).mean()``.

    Raises:
        ValueError: ``logits`` and ``labels`` shapes differ.

    References:
        Cox, The regression analysis of binary sequences, JRSS B 1958.

    Example:
        >>> import jax.numpy as jnp
        >>> from jaxopt_lectures import losses
        >>> print(round(float(losses.logistic(jnp.zeros(3), jnp.array([0.0, 1.0, 1.0]))), 4))  # log 2
        0.6931
    """
    logits, labels = jnp.asarray(logits), jnp.asarray(labels)
    _same_shape("logits", logits, "labels", labels)
    labels = labels.astype(logits.dtype)
    if signed:
        return jnp.mean(jax.nn.softplus(-labels * logits))
    return jnp.mean(jax.nn.softplus(logits) - labels * logits)


def l1_penalty(params: Any) -> jax.Array:
    r"""$R(\theta) = \sum |\theta|$ over every leaf of the params tree.

    Lecture:
        [002] "L1 regularization"; docs/spec/regularization.md. Its proximal step is :func:`jaxopt_lectures.proximal`.

    References:
        Tibshirani, Regression shrinkage and selection via the lasso, JRSS B 1996.

    Example:
        >>> import jax.numpy as jnp
        >>> from jaxopt_lectures import losses
        >>> print(losses.l1_penalty({"w": jnp.array([1.0, -2.0]), "b": jnp.array(-0.5)}))
        3.5
    """
    return sum((jnp.sum(jnp.abs(x)) for x in jax.tree.leaves(params)), jnp.zeros(()))


def l2_penalty(params: Any) -> jax.Array:
    r"""$R(\theta) = \sum \theta^2$ over every leaf — **no ½** (the seeds' convention, [002] $\sum W^2$).

    Its gradient is $2\theta$: $\lambda\cdot$``l2_penalty`` in the loss equals ``add_l2(2λ)``
    (optax/torch "weight decay λ" is the gradient of $(\lambda/2)\|\theta\|^2$). [002]'s example:
    $w_1 = (1, 0, 0, 0)$ gives 1, $w_2 = (\tfrac14, \tfrac14, \tfrac14, \tfrac14)$ gives 0.25.

    Lecture:
        [000] regularization, [001] objective, [002] "L2 regularization"; docs/spec/regularization.md.

    References:
        Krogh & Hertz, A simple weight decay can improve generalization, NIPS 1991.

    Example:
        >>> import jax.numpy as jnp
        >>> from jaxopt_lectures import losses
        >>> print(losses.l2_penalty(jnp.array([1.0, 0, 0, 0])), losses.l2_penalty(jnp.full(4, 0.25)))
        1.0 0.25
    """
    return sum((jnp.sum(jnp.square(x)) for x in jax.tree.leaves(params)), jnp.zeros(()))


class CheckGradResult(NamedTuple):
    """Result of :func:`check_grad`; vectors run over the checked coordinates of the flattened params."""

    max_rel_error: jax.Array  # scalar: the number to judge (see check_grad's bands)
    rel_error: jax.Array  # |a - n| / max(|a|, |n|), 0 where both are 0
    analytic: jax.Array  # jax.grad
    numeric: jax.Array  # finite differences
    index: jax.Array  # which coordinates of ravel_pytree(x) were checked
    compute_dtype: str = "float64"  # check_grad always differentiates in float64, whatever x's dtype

    def verdict(self) -> str:
        """CS231n's reading of ``max_rel_error``: "wrong", "suspicious", "kinks only" or "good"."""
        e = float(self.max_rel_error)
        return "wrong" if e > 1e-2 else "suspicious" if e > 1e-4 else "kinks only" if e > 1e-7 else "good"


def check_grad(fun: Callable[[Any], jax.Array], x: Any, eps: float = 1e-5, *, method: str = "centered",
               num_checks: int | None = None, seed: int = 0, dtype: str = "float64") -> CheckGradResult:
    r"""Compare ``jax.grad(fun)(x)`` with finite differences, coordinate by coordinate.

    Centered (default): $n_i = (f(x + h e_i) - f(x - h e_i))/(2h)$, error $O(h^2)$; ``"forward"``:
    $(f(x + h e_i) - f(x))/h$, error $O(h)$ (the seed's worked example, $h = 10^{-4}$:
    $(1.25322 - 1.25347)/0.0001 = -2.5$). Relative error $|a_i - n_i| / \max(|a_i|, |n_i|)$ (0 where
    both are 0). ``num_checks`` tests that many random coordinates (``seed``) instead of all
    (2 evaluations per coordinate: the seed's "slow").

    It runs in float64 whatever the dtype of ``x`` (``x`` is cast and ``jax.enable_x64`` is on
    during the call; ``compute_dtype`` in the result says so): in float32 even a correct gradient
    shows ~1e-2 errors at $h = 10^{-5}$ (2e-4 at best), in float64 ~1e-9. ``fun`` must therefore
    accept float64 inputs. ``dtype="float32"`` computes in float32, only to show why not.
    Interpretation bands (CS231n course notes, ``CheckGradResult.verdict``): > 1e-2 the gradient
    is wrong; 1e-4…1e-2 suspicious; 1e-7…1e-4 acceptable only for objectives with kinks (hinge,
    ReLU, where a difference may straddle a kink), too large for smooth ones; ≤ 1e-7 good.

    Lecture:
        [002] "Numeric Gradient" / "In practice: always use analytic gradient, but check
        implementation with numerical gradient"; docs/spec/losses.md.

    Args:
        fun: scalar function of a pytree of arrays.
        x: the point (any pytree; flattened with ``ravel_pytree``).
        eps: the step $h > 0$.
        method: ``"centered"`` or ``"forward"``.
        num_checks: number of random coordinates to test; ``None`` tests all.
        seed: for the random coordinates.
        dtype: ``"float64"`` (default) or ``"float32"``, the dtype the differences are computed in.

    Raises:
        ValueError: ``eps <= 0``, unknown ``method`` or ``dtype``, ``num_checks < 1``.

    References:
        Karpathy et al., CS231n notes "Neural Networks 3: gradient checks".

    Example:
        >>> import jax, jax.numpy as jnp
        >>> from jaxopt_lectures import losses
        >>> r = losses.check_grad(lambda w: jnp.sum(jnp.sin(w) * w), jnp.array([0.3, -1.2, 2.0]))
        >>> print(bool(r.max_rel_error < 1e-7), r.verdict(), r.compute_dtype)  # float32 x, float64 check
        True good float64
    """
    check_range("eps", eps, 0.0, low_open=True)
    check_choice("method", method, ("centered", "forward"))
    check_choice("dtype", dtype, ("float64", "float32"))
    with jax.enable_x64(dtype == "float64"):
        return _check_grad_in(fun, x, eps, method, num_checks, seed, dtype)


def _check_grad_in(fun: Callable[[Any], jax.Array], x: Any, eps: float, method: str,
                   num_checks: int | None, seed: int, dtype: str) -> CheckGradResult:
    """:func:`check_grad`'s computation, with ``x`` cast to ``dtype`` (x64 enabled for float64)."""
    flat, unravel = ravel_pytree(jax.tree.map(lambda leaf: jnp.asarray(leaf, dtype), x))
    f = lambda v: fun(unravel(v))
    n = flat.shape[0]
    if num_checks is None:
        index = np.arange(n)
    else:
        check_int("num_checks", num_checks, 1)
        index = np.sort(np.random.default_rng(seed).choice(n, size=min(num_checks, n), replace=False))

    @jax.jit
    def compare(flat: jax.Array, index: jax.Array) -> tuple[jax.Array, ...]:
        analytic = jax.grad(f)(flat)[index]
        bump = lambda i, h: f(flat.at[i].add(h))
        if method == "centered":
            numeric = jax.vmap(lambda i: (bump(i, eps) - bump(i, -eps)) / (2 * eps))(index)
        else:
            f0 = f(flat)
            numeric = jax.vmap(lambda i: (bump(i, eps) - f0) / eps)(index)
        denom = jnp.maximum(jnp.abs(analytic), jnp.abs(numeric))
        rel = jnp.where(denom > 0, jnp.abs(analytic - numeric) / jnp.where(denom > 0, denom, 1.0), 0.0)
        return jnp.max(rel, initial=0.0), rel, analytic, numeric, index

    return CheckGradResult(*compare(flat, jnp.asarray(index)), str(flat.dtype))


