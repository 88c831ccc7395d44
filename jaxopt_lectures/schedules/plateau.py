r"""Reduce-on-plateau ([001] "decay at plateaus"): scale the updates down when the loss stops improving;
docs/spec/schedules.md.

A gradient transformation placed after an optimizer that reads ``value=`` in ``update``; its
scale sequence is that of ``optax.contrib.reduce_on_plateau`` (docs/spec/experiments.md E14).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from jaxopt_lectures._validate import check_range, checked, is_python_number


class ReduceOnPlateauState(NamedTuple):
    """State of :func:`reduce_on_plateau` (contents and initial values as ``optax.contrib``'s)."""

    count: jax.Array  # int32: values averaged in the current accumulation window (init 0)
    scale: jax.Array  # the factor applied to the updates (init 1), lowest params dtype
    best_value: jax.Array  # best averaged value so far (init +inf)
    plateau_count: jax.Array  # int32: evaluations without improvement (init 0)
    cooldown_count: jax.Array  # int32: evaluations left in the cooldown (init 0)
    avg_value: jax.Array  # running mean of the current window (init 0)


def _check_plateau(factor, patience, rtol, atol, cooldown, accumulation_size, min_scale) -> None:
    check_range("factor", factor, 0.0, 1.0, low_open=True, high_open=True)
    check_range("patience", patience, 1.0)
    check_range("rtol", rtol, 0.0, 1.0)
    check_range("atol", atol, 0.0)
    if is_python_number(rtol) and is_python_number(atol) and rtol == 0 and atol == 0:
        raise ValueError(f"atol={atol!r} must be > 0 when rtol=0 (no change would count as an improvement)")
    check_range("cooldown", cooldown, 0.0)
    check_range("accumulation_size", accumulation_size, 1.0)
    check_range("min_scale", min_scale, 0.0)


@checked
def reduce_on_plateau(factor: float = 0.1, patience: int = 10, rtol: float = 1e-4, atol: float = 0.0,
                      cooldown: int = 0, accumulation_size: int = 1,
                      min_scale: float = 0.0) -> optax.GradientTransformationExtraArgs:
    r"""Reduce the updates by ``factor`` when the monitored ``value=`` stops improving.

    Placed *after* an optimizer, it multiplies the updates by a state ``scale`` (init 1). Each
    ``update`` reads ``value=`` (a loss); ``accumulation_size`` consecutive values are averaged
    into $\bar v$, which then *improves* if $\bar v < (1 - \mathrm{rtol})\,\mathrm{best} - \mathrm{atol}$
    (best starts at $+\infty$, so the first evaluation always improves). Otherwise a plateau
    counter increments; when it reaches ``patience`` the scale becomes
    $\max(\mathrm{scale}\cdot\mathrm{factor}, \mathrm{min\_scale})$, the counter restarts at 0 and a
    cooldown of ``cooldown`` evaluations begins, during which the plateau counter is held at 0.
    The new scale already applies to the update of the call that triggered it.

    Patience counting: with a constant value after the first evaluation, the scale drops at
    evaluation ``patience + 1`` (the first is the improvement from $+\infty$). This is
    ``optax.contrib.reduce_on_plateau`` with the same arguments (identical scale sequence);
    ``torch.optim.lr_scheduler.ReduceLROnPlateau`` reduces one evaluation later, i.e. ours with
    ``patience=p`` equals torch with ``patience=p - 1`` (``threshold_mode="rel"``,
    ``threshold=rtol``, same ``cooldown``). Unlike optax, ``patience=0`` (which never fires in
    optax) raises, and the updates keep the gradients' dtype.

    Lecture: [001] "decay at plateaus" in the list of learning-rate decays. docs/spec/schedules.md,
    docs/spec/experiments.md E14.
    Robbins–Monro: a data-driven step schedule; with ``min_scale > 0`` $\sum\eta^2 = \infty$.

    Args:
        factor: $0 <$ factor $< 1$.
        patience: evaluations without improvement before a reduction, $\ge 1$.
        rtol: relative improvement threshold in $[0, 1]$.
        atol: absolute improvement threshold $\ge 0$ (not both 0).
        cooldown: evaluations after a reduction during which no plateau is counted, $\ge 0$.
        accumulation_size: values averaged per evaluation, $\ge 1$ (e.g. minibatch losses of an epoch).
        min_scale: the scale never drops below this, $\ge 0$.

    Raises:
        ValueError: a hyperparameter outside its range (named in the message).

    References:
        PyTorch ``ReduceLROnPlateau``; optax ``contrib.reduce_on_plateau``.

    Example:
        >>> import jax.numpy as jnp, optax, jaxopt_lectures as jol
        >>> tx = optax.chain(jol.sgd(1.0), jol.reduce_on_plateau(factor=0.5, patience=2))
        >>> state, g = tx.init(jnp.zeros(1)), jnp.ones(1)
        >>> for loss in [3.0, 2.0, 2.0, 2.0, 2.0]:
        ...     u, state = tx.update(g, state, value=loss)
        ...     print(u)
        [-1.]
        [-1.]
        [-1.]
        [-0.5]
        [-0.5]
    """
    _check_plateau(factor, patience, rtol, atol, cooldown, accumulation_size, min_scale)

    def init_fn(params: optax.Params) -> ReduceOnPlateauState:
        dtypes = [jnp.dtype(x.dtype) for x in jax.tree.leaves(params)] or [jnp.dtype(jnp.float32)]
        value_dtype = jnp.promote_types(jnp.result_type(*dtypes), jnp.float32)  # losses: at least float32
        zero = jnp.asarray(0, jnp.int32)
        return ReduceOnPlateauState(count=zero, scale=jnp.asarray(1, min(dtypes, key=lambda d: d.itemsize)),
                                    best_value=jnp.asarray(jnp.inf, value_dtype), plateau_count=zero,
                                    cooldown_count=zero, avg_value=jnp.asarray(0, value_dtype))

    def evaluate(state: ReduceOnPlateauState) -> ReduceOnPlateauState:
        avg = state.avg_value
        improved = avg < (1 - rtol) * state.best_value - atol
        plateau = jnp.where(improved, 0, state.plateau_count + 1)
        cooling = state.cooldown_count > 0
        fire = jnp.logical_and(~cooling, plateau >= patience)
        scale = jnp.where(cooling, state.scale,
                          jnp.maximum(jnp.where(fire, state.scale * factor, state.scale), min_scale))
        cooldown_count = jnp.where(cooling, state.cooldown_count - 1, jnp.where(fire, cooldown, 0))
        return ReduceOnPlateauState(
            count=jnp.zeros_like(state.count), scale=scale.astype(state.scale.dtype),
            best_value=jnp.where(improved, avg, state.best_value).astype(avg.dtype),
            plateau_count=jnp.where(cooling | fire, 0, plateau).astype(jnp.int32),
            cooldown_count=cooldown_count.astype(jnp.int32), avg_value=jnp.zeros_like(avg))

    def update_fn(updates: optax.Updates, state: ReduceOnPlateauState, params: optax.Params | None = None,
                  *, value: Any, **extra_args: Any) -> tuple[optax.Updates, ReduceOnPlateauState]:
        del params, extra_args
        count = state.count + 1
        avg = (state.count * state.avg_value + jnp.asarray(value, state.avg_value.dtype)) / count
        state = state._replace(count=count, avg_value=avg.astype(state.avg_value.dtype))
        evaluated = evaluate(state)
        state = jax.tree.map(lambda a, b: jnp.where(count >= accumulation_size, a, b), evaluated, state)
        return jax.tree.map(lambda u: (state.scale * u).astype(u.dtype), updates), state

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)
