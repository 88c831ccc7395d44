"""Small helpers for using the optimizers inside JAX training stacks; see docs/interop.md.

Nothing here imports flax, equinox or orbax: the helpers work on any object with the same
fields (``flax.training.train_state.TrainState``) or on plain pytrees and shardings.

- :func:`apply_gradients`: ``TrainState.apply_gradients`` that forwards ``value=`` (and any other
  extra keyword) to the optimizer, which flax's method does not (Rprop+, iRprop+ and
  ``reduce_on_plateau`` read the loss from it).
- :func:`inject_hyperparams`: ``optax.inject_hyperparams`` with float32 hyperparameters by default
  that keeps the updates in the gradients' dtype and the state in its own dtypes (with bfloat16
  params optax stores ``b2=0.999`` as bfloat16, i.e. exactly 1.0).
- :func:`state_shardings`: the shardings of ``tx.init(params)`` that follow the params', for
  ``jax.jit(tx.init, out_shardings=...)`` (a plain ``jax.jit(tx.init)`` on an Auto-sharded mesh
  puts the zeros it creates on one device).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxopt_lectures.fused import FusedState, _key


def apply_gradients(state: Any, grads: optax.Updates, **extra_args: Any) -> Any:
    """One optimizer step on a flax ``TrainState`` that passes ``extra_args`` (e.g. ``value=loss``) on.

    Equivalent to ``state.apply_gradients(grads=grads)`` except that ``state.tx.update`` receives
    ``**extra_args``: ``TrainState.apply_gradients(grads=..., **kwargs)`` uses its keywords to
    replace dataclass fields, so ``value=`` never reaches the optimizer there.

    Example:
        >>> import jax.numpy as jnp, jaxopt_lectures as jol
        >>> from jaxopt_lectures.interop import apply_gradients
        >>> from flax.training.train_state import TrainState
        >>> tx = jol.sgd(0.5)
        >>> state = TrainState.create(apply_fn=None, params=jnp.array([2.0]), tx=tx)
        >>> state = apply_gradients(state, jnp.array([2.0]), value=jnp.float32(4.0))
        >>> print(state.step, state.params)
        1 [1.]
    """
    updates, opt_state = state.tx.update(grads, state.opt_state, state.params, **extra_args)
    params = optax.apply_updates(state.params, updates)
    return state.replace(step=state.step + 1, params=params, opt_state=opt_state)


def _cast_like(new: Any, old: Any) -> Any:
    """``new`` with the dtype of each corresponding leaf of ``old`` (same tree structure)."""
    return jax.tree.map(lambda n, o: jnp.asarray(n).astype(jnp.asarray(o).dtype), new, old)


def inject_hyperparams(
    inner_factory: Callable[..., optax.GradientTransformation],
    static_args: str | Iterable[str] = (),
    hyperparam_dtype: Any = jnp.float32,
) -> Callable[..., optax.GradientTransformationExtraArgs]:
    r"""``optax.inject_hyperparams`` that keeps float32 hyperparameters and the optimizer's dtypes.

    optax stores the injected hyperparameters in the params' dtype unless told otherwise; with
    bfloat16 params $\beta_2 = 0.999$ becomes exactly 1.0 (bfloat16 has 8 significant bits), and
    Adam's second moment never moves. Here ``hyperparam_dtype`` defaults to float32; the updates
    are cast back to the gradients' dtype and the inner state to its previous dtypes (a float32
    hyperparameter times a bfloat16 state would otherwise promote it to float32 and change the
    state's dtype between steps, which ``lax.scan`` rejects).

    Example:
        >>> import jax.numpy as jnp, jaxopt_lectures as jol
        >>> from jaxopt_lectures.interop import inject_hyperparams
        >>> tx = inject_hyperparams(jol.momentum, static_args=("form",))(learning_rate=0.1, beta=0.999)
        >>> params = jnp.ones(2, jnp.bfloat16)
        >>> state = tx.init(params)
        >>> print(state.hyperparams["beta"].dtype, float(state.hyperparams["beta"]) < 1.0)
        float32 True
        >>> updates, state = tx.update(params, state, params)
        >>> print(updates.dtype, state.inner_state[0].m.dtype)
        bfloat16 bfloat16
    """
    injected = optax.inject_hyperparams(inner_factory, static_args, hyperparam_dtype)

    @functools.wraps(inner_factory)
    def factory(*args: Any, **kwargs: Any) -> optax.GradientTransformationExtraArgs:
        tx = optax.with_extra_args_support(injected(*args, **kwargs))

        def update(updates, state, params=None, **extra_args):
            new_updates, new_state = tx.update(updates, state, params, **extra_args)
            inner = _cast_like(new_state.inner_state, state.inner_state)
            return _cast_like(new_updates, updates), new_state._replace(inner_state=inner)

        return optax.GradientTransformationExtraArgs(tx.init, update)

    return factory


def state_shardings(tx: optax.GradientTransformation, params: optax.Params) -> Any:
    """Shardings for ``tx.init(params)``: a params-shaped subtree gets the params' shardings.

    Every subtree of the state with the params' tree structure (momenta, second moments, ...)
    gets the shardings of the params where the shapes agree; every other leaf (counters,
    scalars, flattened buffers) is replicated over the mesh (or device set) of the first param. In a
    :func:`~jaxopt_lectures.fuse` state, the own leaves' state is sharded like those leaves and the flat
    buffers are replicated.
    Use it as ``jax.jit(tx.init, out_shardings=state_shardings(tx, params))``.

    Example:
        >>> import jax, jax.numpy as jnp, jaxopt_lectures as jol
        >>> from jaxopt_lectures.interop import state_shardings
        >>> params = {"w": jnp.ones(4)}
        >>> tx = jol.momentum(0.1)
        >>> shardings = state_shardings(tx, params)
        >>> state = jax.jit(tx.init, out_shardings=shardings)(params)
        >>> state[0].m["w"].sharding == params["w"].sharding
        True
    """
    param_leaves, treedef = jax.tree.flatten(params)
    shardings = [p.sharding for p in param_leaves]
    if not shardings:
        return jax.tree.map(lambda _: None, jax.eval_shape(tx.init, params))
    first = shardings[0]
    devices = jax.sharding.Mesh(np.array(list(first.device_set)), ("devices",))
    replicated = jax.sharding.NamedSharding(getattr(first, "mesh", devices), jax.sharding.PartitionSpec())
    abstract = jax.eval_shape(tx.init, params)

    def like(subtree: Any, treedef: Any, params: list, shardings: list) -> Any:
        """``subtree``'s shardings if it has the structure ``treedef`` of ``params``, else None."""
        if subtree is None or jax.tree.structure(subtree) != treedef:
            return None
        leaves = treedef.flatten_up_to(subtree)
        return treedef.unflatten([s if leaf.shape == p.shape else replicated
                                  for leaf, p, s in zip(leaves, params, shardings)])

    def fused(state: FusedState) -> FusedState:
        """The own leaves' state (on the list of the leaves without an offset) sharded like those leaves."""
        own = [i for i in range(len(param_leaves)) if _key(i) not in state.offsets]
        mine = ([param_leaves[i] for i in own], [shardings[i] for i in own])
        own_def = jax.tree.structure([0] * len(own))
        is_own = lambda t: like(t, own_def, *mine) is not None
        own_state = jax.tree.map(lambda t: like(t, own_def, *mine) if is_own(t) else replicated,
                                 state.inner.get("own"), is_leaf=is_own)
        rest = jax.tree.map(lambda _: replicated, ({k: v for k, v in state.inner.items() if k != "own"}, state.offsets))
        return FusedState({**rest[0], **({"own": own_state} if "own" in state.inner else {})}, rest[1])

    def assign(subtree: Any) -> Any:
        if isinstance(subtree, FusedState):
            return fused(subtree)
        return like(subtree, treedef, param_leaves, shardings) or replicated

    stop = lambda t: isinstance(t, FusedState) or like(t, treedef, param_leaves, shardings) is not None
    return jax.tree.map(assign, abstract, is_leaf=stop)
