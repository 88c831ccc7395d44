r"""The fast path: optimizer state in one flat buffer per dtype, updated chunk by chunk in one pass.

Why (measured, benchmarks/README.md and docs/performance.md): on CPU, XLA compiles an
elementwise optimizer into one full-array loop per output (Adam: $m$, $v$, then $\theta$; about 40
bytes move per parameter instead of the 28 that one pass needs), and a tree of many small leaves
costs a loop, a kernel launch and compile time per leaf. Here

* the state lives in **one flat buffer per dtype** (``fuse``), so a tree of 2048 leaves is one
  array per state field, and params kept flat by the user (:func:`ravel_by_dtype`) stay flat;
* optionally (``chunk_size=``, off by default), one step walks the flat buffers in **chunks**
  inside a ``lax.fori_loop``: each chunk is read once, the wrapped optimizer's per-leaf maths runs
  on it in cache, and every output (state fields, update, or the new params in :func:`fused_step`)
  is written back in place: one pass over memory, whatever the number of outputs. Measured on the
  project's shared 2-core CPU (benchmarks/README.md) the per-chunk dispatch costs more than the
  saved traffic (Adam on 16M: 22.2 ms chunked vs 12.3 ms whole), so it is opt-in.

On a params *tree* (the drop-in use, ``tx = fuse(adam(1e-3))``) leaves of ``own_leaf_size``
numbers or more (default $2^{16}$) keep their own state and are updated as they are, in one call of
the wrapped transform on their list: copying them into and out of a flat buffer would only add
memory traffic. For the smaller leaves, each step concatenates their gradients and splits the flat
updates back. The split reads each leaf's start from ``FusedState.offsets``, runtime uint32 scalars,
so XLA's CPU backend compiles one split kernel per leaf *shape* and reuses it (it deduplicates
identical kernels). Constant offsets made one LLVM kernel per leaf: 20 s instead of 2 s to compile
Adam on 256 leaves (benchmarks/README.md). A transform without per-parameter state (SGD) keeps
every leaf as it is.

The wrapped transform must be *elementwise* (each coordinate's update depends only on that
coordinate's history and on scalars such as ``count`` or ``value=``): every first-order optimizer
of this library (docs/spec/gradient-descent.md to docs/spec/rprop.md). A transform that mixes
coordinates (global-norm clipping, line searches, L-BFGS: a reduction, dot product, sort or
permutation of the flat buffer in its traced update) raises a ``ValueError`` naming it, and so does a
masked one (``adamw(mask=...)``, ``optax.masked``: the mask would see ``{dtype: buffer}``): chain
those *outside* ``fuse``. On a mesh, replicated params (data parallel) work with no collective in
the step, and so do params split over devices (FSDP) when they are own leaves: their state is
sharded like them. A split leaf below ``own_leaf_size`` raises a ``ValueError`` (its flat buffer
would gather it every step).

Lecture: none (engineering; docs/performance.md). References: torch's fused/foreach multi-tensor optimizers
(``torch.optim.Adam(fused=True)``); ``optax.flatten``, which re-concatenates the leaves every step.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxopt_lectures._validate import check_int, checked

CHUNK_SIZE = 1 << 18  # 256k elements: 1 MB per float32 field, the fields of one chunk fit in a 2 MB L2
# leaves of at least this many elements keep their own state and are updated as they are: one loop over a
# 256 kB leaf costs little next to its memory traffic, while copying it into and out of a flat buffer
# doubles that traffic and, on CPU, page-faults a fresh temporary every step (benchmarks/README.md)
OWN_LEAF_SIZE = 1 << 16


class FusedState(NamedTuple):
    # "float32", "bfloat16", ...: the wrapped transform's state on the flat buffer of that dtype's leaves
    # below ``own_leaf_size``; "own": its state on the list of the other leaves, as they are
    inner: dict
    # "leaf<i>" -> uint32 scalar for each leaf i (in ``jax.tree.leaves`` order) of a flat buffer: where it
    # starts in its dtype's buffer (unsigned: no negative-index arithmetic per leaf); the leaves not named
    # here are the own leaves. Runtime values, not constants, so that cutting the flat updates into the
    # leaves compiles one kernel per leaf *shape* (XLA's CPU backend reuses identical kernels) instead of
    # one per leaf (benchmarks/README.md)
    offsets: dict = {}


def _is_abstract(tree: Any) -> bool:
    return any(isinstance(x, jax.ShapeDtypeStruct) for x in jax.tree.leaves(tree))


def _size(leaf: Any) -> int:
    return math.prod(jnp.shape(leaf))


def _key(i: int) -> str:
    return f"leaf{i}"


def _groups(leaves: list[Any], own: set[int]) -> dict[str, list[int]]:
    """dtype name -> the indices of the leaves (not in ``own``) that share that dtype's flat buffer, sorted by dtype."""
    groups: dict[str, list[int]] = {}
    for i, leaf in enumerate(leaves):
        if i not in own:
            groups.setdefault(jnp.dtype(leaf.dtype).name, []).append(i)
    return dict(sorted(groups.items()))


def _starts(leaves: list[Any], groups: dict[str, list[int]]) -> dict[int, int]:
    """Each grouped leaf's first index in its dtype's flat buffer."""
    starts = {}
    for idx in groups.values():
        for i, start in zip(idx, np.cumsum([0] + [_size(leaves[i]) for i in idx])):
            starts[i] = int(start)
    return starts


def _concat(leaves: list[Any], idx: list[int]) -> Any:
    """The leaves ``idx`` as one flat buffer (a single leaf is reshaped, not copied)."""
    if _is_abstract([leaves[i] for i in idx]):
        return jax.ShapeDtypeStruct((sum(_size(leaves[i]) for i in idx),), leaves[idx[0]].dtype)
    parts = [jnp.reshape(leaves[i], (-1,)) for i in idx]
    return parts[0] if len(parts) == 1 else jnp.concatenate(parts)


def _cut(flat: jax.Array, start: Any, like: Any) -> jax.Array:
    """The piece of ``flat`` from ``start`` shaped like ``like``; a runtime ``start`` reuses one kernel per shape."""
    if isinstance(start, int):
        part = jax.lax.slice_in_dim(flat, start, start + _size(like))
    else:
        part = jax.lax.dynamic_slice_in_dim(flat, start, _size(like))
    return part.reshape(jnp.shape(like))


def ravel_by_dtype(tree: Any) -> tuple[dict[str, jax.Array], Callable[[dict[str, jax.Array]], Any]]:
    """Concatenate the leaves of ``tree`` into one flat 1-D array per dtype; return it and the inverse.

    Do it once, keep the flat dict as your params, and call ``unravel`` inside the loss: then the
    gradient is flat too, and an optimizer step runs on one buffer per dtype instead of one per leaf
    (the slicing in ``unravel`` is differentiated into the gradient's layout for free). A dtype with
    a single leaf is reshaped, not copied. Works on concrete arrays, tracers and
    ``jax.ShapeDtypeStruct`` leaves.

    Example:
        >>> import jax.numpy as jnp, jaxopt_lectures as jol
        >>> params = {"b": jnp.zeros(2), "w": jnp.ones((2, 2)), "n": jnp.arange(3)}
        >>> flat, unravel = jol.ravel_by_dtype(params)
        >>> {k: v.shape for k, v in flat.items()}
        {'float32': (6,), 'int32': (3,)}
        >>> print(unravel(flat)["w"])
        [[1. 1.]
         [1. 1.]]
    """
    leaves, treedef = jax.tree.flatten(tree)
    groups = _groups(leaves, set())
    starts = _starts(leaves, groups)
    flat = {name: _concat(leaves, idx) for name, idx in groups.items()}

    def unravel(flat_: dict[str, jax.Array]) -> Any:
        out = {i: _cut(flat_[name], starts[i], leaves[i]) for name, idx in groups.items() for i in idx}
        return treedef.unflatten([out[i] for i in range(len(leaves))])

    return flat, unravel


def _chunked(
    fn: Callable[..., tuple[jax.Array, Any]], carried: jax.Array, read: jax.Array | None, state: Any, chunk: int | None
) -> tuple[jax.Array, Any]:
    """Apply ``fn(carried_c, read_c, state_c) -> (out_c, state_c')`` chunk by chunk, in place.

    ``carried`` (length n) is overwritten chunk by chunk with ``out``; state leaves of shape (n,)
    are sliced and overwritten likewise; other state leaves (``count``, hyperparameters) are
    passed whole and their new value is the one every chunk computes. Each chunk's results are
    materialized (a ``lax.cond`` whose branches are the same function) before they are written,
    so XLA neither recomputes them from half-updated buffers nor copies a whole buffer.
    """
    n = carried.shape[0]
    leaves, treedef = jax.tree.flatten(state)
    is_buf = [tuple(x.shape) == (n,) for x in leaves]
    if chunk is None or n <= chunk or not any(is_buf):  # no state field: XLA already makes one loop
        return fn(carried, read, state)
    fixed = [x for x, b in zip(leaves, is_buf) if not b]

    def call(start: Any, size: int, bufs: list[jax.Array], out_buf: jax.Array) -> tuple:
        cut = lambda x: jax.lax.dynamic_slice_in_dim(x, start, size)
        it_b, it_f = iter(bufs), iter(fixed)
        state_c = treedef.unflatten([cut(next(it_b)) if b else next(it_f) for b in is_buf])
        args = (cut(out_buf), None if read is None else cut(read), state_c)
        return jax.lax.cond(jnp.asarray(start) >= 0, fn, fn, *args)

    def write(start: Any, out_buf, bufs, out_c, state_c) -> tuple:
        put = lambda x, y: jax.lax.dynamic_update_slice_in_dim(x, y.astype(x.dtype), start, 0)
        new = jax.tree.leaves(state_c)
        bufs = [put(x, y) for x, y in zip(bufs, [y for y, b in zip(new, is_buf) if b])]
        return put(out_buf, out_c), bufs, [y for y, b in zip(new, is_buf) if not b]

    def body(i, carry):
        out_buf, bufs, _ = carry
        start = i * chunk
        return write(start, out_buf, bufs, *call(start, chunk, bufs, out_buf))

    bufs0 = [x for x, b in zip(leaves, is_buf) if b]
    carry = jax.lax.fori_loop(0, n // chunk, body, (carried, bufs0, fixed))
    if n % chunk:  # the tail, once, with a static size
        start = (n // chunk) * chunk
        carry = write(start, carry[0], carry[1], *call(start, n - start, carry[1], carry[0]))
    out_buf, bufs, new_fixed = carry
    it_b, it_f = iter(bufs), iter(new_fixed)
    return out_buf, treedef.unflatten([next(it_b) if b else next(it_f) for b in is_buf])


def _new_state(inner: dict, starts: dict[int, int], abstract: bool) -> FusedState:
    """``FusedState`` with distinct buffers (so that it can be donated) and the flat leaves' start offsets."""
    if abstract:
        return FusedState(inner, {_key(i): jax.ShapeDtypeStruct((), jnp.uint32) for i in starts})
    return FusedState(jax.tree.map(jnp.copy, inner), {_key(i): jnp.array(s, jnp.uint32) for i, s in starts.items()})


# primitives whose output mixes coordinates of the flat buffer
_NON_ELEMENTWISE = {"reduce_sum", "reduce_max", "reduce_min", "reduce_prod", "reduce_and", "reduce_or", "argmax",
                    "argmin", "dot_general", "cumsum", "cumprod", "cummax", "cummin", "cumlogsumexp", "sort", "top_k",
                    "reduce", "rev", "transpose", "gather", "scatter", "scatter-add", "conv_general_dilated"}


def _name(tx: optax.GradientTransformation) -> str:
    """The transform's factory, read from its ``update`` (``clip_by_global_norm.<locals>.update_fn``)."""
    qualname = getattr(tx.update, "__qualname__", type(tx).__name__)
    return qualname.split(".<locals>")[0]


def _mixing(jaxpr: Any, n: int) -> list[str]:
    """The equations of ``jaxpr`` (and its sub-jaxprs) that mix the coordinates of a length-``n`` operand."""
    found = []
    for eqn in jaxpr.eqns:
        if eqn.primitive.name in _NON_ELEMENTWISE and any(n in getattr(v.aval, "shape", ()) for v in eqn.invars):
            found.append(f"{eqn.primitive.name}{_where(eqn)}")
        for param in eqn.params.values():
            for sub in param if isinstance(param, (tuple, list)) else (param,):
                inner = getattr(sub, "jaxpr", sub)
                if hasattr(inner, "eqns"):
                    found += _mixing(inner, n)
    return found


def _where(eqn: Any) -> str:
    """" at <file:line>" of a traced equation, where this JAX version exposes it (a private module)."""
    try:
        from jax._src import source_info_util
    except ImportError:  # pragma: no cover - the location is a courtesy
        return ""
    return f" at {source_info_util.summarize(eqn.source_info)}"


def _check_elementwise(fn: Callable, carried: Any, read: Any, state: Any, name: str, seen: dict) -> bool:
    """Raise if ``fn`` (the wrapped update on one flat buffer) mixes coordinates: reduces, sorts, permutes.

    Returns whether ``fn`` reads ``read`` (most transforms ignore the params: then they are not
    concatenated). Traced once per input signature (``seen`` maps those already checked to that answer):
    eager loops stay fast.
    """
    n = jax.tree.leaves(carried)[0].shape[0]  # one 1-D buffer, or a list of 1-D stand-ins of one length
    leaves, treedef = jax.tree.flatten((carried, read, state))
    key = (treedef, tuple((jnp.shape(x), jnp.result_type(x).name) for x in leaves))
    if n < 2:
        return True
    if key not in seen:
        jaxpr = jax.make_jaxpr(fn)(carried, read, state).jaxpr
        found = _mixing(jaxpr, n)
        if found:
            raise ValueError(
                f"fuse({name}): the wrapped transform is not elementwise ({found[0]}), so on the flat buffer it "
                "would act on all leaves at once; chain it outside fuse, e.g. optax.chain("
                "optax.clip_by_global_norm(1.0), jol.fuse(jol.adam(1e-3)))")
        used = {id(v) for eqn in jaxpr.eqns for v in eqn.invars} | {id(v) for v in jaxpr.outvars}
        k, m = len(jax.tree.leaves(carried)), len(jax.tree.leaves(read))
        seen[key] = any(id(v) in used for v in jaxpr.invars[k:k + m])
    return seen[key]


def _check_unmasked(state: Any, name: str) -> None:
    """Raise if the wrapped transform holds a mask (``optax.masked``): in ``fuse`` it would see ``{dtype: buffer}``."""
    is_masked = lambda x: isinstance(x, optax.MaskedState)
    if any(is_masked(x) for x in jax.tree.leaves(state, is_leaf=is_masked)):
        raise ValueError(f"fuse({name}): the wrapped transform is masked (optax.masked, mask=...), and inside fuse "
                         "the mask would see the flat buffers {dtype: buffer}, not the params tree; apply the mask "
                         "outside fuse, e.g. optax.masked(jol.fuse(tx), mask)")


def _devices_split_over(leaf: Any) -> int:
    """How many devices ``leaf`` is split over (0: one device or replicated); under ``jit``, seen on Explicit meshes."""
    if isinstance(leaf, jax.core.Tracer):
        sharding = getattr(jax.typeof(leaf), "sharding", None)
        spec, mesh = getattr(sharding, "spec", None), getattr(sharding, "mesh", None)
        axes = [a for entry in (spec or ()) if entry is not None for a in ((entry,) if isinstance(entry, str) else entry)]
        return math.prod(mesh.shape[a] for a in axes) if axes and mesh is not None else 0
    sharding = getattr(leaf, "sharding", None)
    if sharding is None or len(sharding.device_set) < 2 or sharding.is_fully_replicated:
        return 0
    return len(sharding.device_set)


def _check_mesh(tree: Any, flat: list[int], own_leaf_size: int | None) -> None:
    """Raise if a leaf bound for a flat buffer is split over devices: concatenating it would gather it every step."""
    paths = jax.tree_util.tree_flatten_with_path(tree)[0]
    for i in flat:
        path, leaf = paths[i]
        n = _devices_split_over(leaf)
        if n:
            raise ValueError(
                f"fuse: the leaf {jax.tree_util.keystr(path)} ({_size(leaf)} numbers) is split over {n} devices "
                f"({getattr(leaf, 'sharding', None) or jax.typeof(leaf).sharding}); leaves below "
                f"own_leaf_size={own_leaf_size} share one flat buffer per dtype, which would gather it on every step. "
                f"Pass own_leaf_size <= {_size(leaf)} (it then keeps its own state, sharded like it) or replicate "
                "it (NamedSharding(mesh, P()))")


def _check_fits(x: Any, inner_state: Any, name: str) -> None:
    """``ValueError`` when a flat buffer (or the list of own leaves) does not fit the state that init built for it."""
    shapes = lambda t: sorted({jnp.shape(s) for s in jax.tree.leaves(t) if jnp.ndim(s) > 0})
    state_shapes = shapes(inner_state)
    if inner_state is None or (state_shapes and not set(shapes(x)) <= set(state_shapes)):
        raise ValueError(f"the updates do not have the tree structure given to init: their {name} part has shapes "
                         f"{shapes(x)}, init's had {state_shapes or 'none'}. update needs the structure "
                         "(leaf names and shapes) that init was given; call init again for a new model")


def _apply(fn: Callable, carried: Any, read: Any, state: FusedState, chunk_size: int | None,
           check: Callable[..., None], own_leaf_size: int | None) -> tuple[Any, FusedState]:
    """``fn(carried_c, read_c, state_c) -> (out_c, state_c')`` on each flat buffer and on the own leaves of ``carried``.

    The leaves named in ``state.offsets`` are concatenated per dtype, ``fn`` runs on the flat buffer,
    and its output is cut back into the leaves at their offsets; the other (own) leaves go through
    ``fn`` together, as a list. Returns the tree of outputs and the new state.
    """
    leaves, treedef = jax.tree.flatten(carried)
    reads = None if read is None else treedef.flatten_up_to(read)
    own = [i for i in range(len(leaves)) if _key(i) not in state.offsets]
    groups = _groups(leaves, set(own))
    flat = sorted(i for idx in groups.values() for i in idx)
    _check_mesh(carried, flat, own_leaf_size)
    if read is not None:
        _check_mesh(read, flat, own_leaf_size)
    pick = lambda xs: None if xs is None else [xs[i] for i in own]
    out, inner, new = {}, {}, {}
    for name, idx in groups.items():
        _check_fits(_probe(leaves, idx), state.inner.get(name), name)
        reads_used = check(fn, _probe(leaves, idx), _probe(reads, idx), state.inner[name])
        r = _concat(reads, idx) if reads_used else None
        out[name], inner[name] = _chunked(fn, _concat(leaves, idx), r, state.inner[name], chunk_size)
        new |= {i: _cut(out[name], state.offsets[_key(i)], leaves[i]) for i in idx}
    if own:
        _check_fits(pick(leaves), state.inner.get("own"), "own")
        # traced on 1-D stand-ins of one length n: a mixing operation then shows as an operand of length n
        n = max(_size(leaves[own[0]]), 3)
        probe = lambda xs: None if xs is None else [jax.ShapeDtypeStruct((n,), xs[i].dtype) for i in own]
        reads_used = check(fn, probe(leaves), probe(reads), None)
        out_own, inner["own"] = fn(pick(leaves), pick(reads) if reads_used else None, state.inner["own"])
        new |= dict(zip(own, out_own))
    return treedef.unflatten([new[i] for i in range(len(leaves))]), FusedState(inner, state.offsets)


def _probe(leaves: list | None, idx: list[int]) -> Any:
    """A 1-D ``ShapeDtypeStruct`` as long as the leaves ``idx`` together, in the first's dtype."""
    if leaves is None:
        return None
    return jax.ShapeDtypeStruct((sum(_size(leaves[i]) for i in idx),), leaves[idx[0]].dtype)


def _per_parameter_state(tx: optax.GradientTransformation) -> bool:
    """Whether ``tx`` keeps state per parameter (momenta, accumulators), seen on a 1-D probe of 7 numbers."""
    probe = jax.ShapeDtypeStruct((7,), jnp.float32)
    return any(jnp.shape(x) == (7,) for x in jax.tree.leaves(jax.eval_shape(tx.init, probe)))


def _checker(tx: optax.GradientTransformation) -> Callable[..., None]:
    """``check(fn, carried, read, state) -> reads_used``: raises unless ``fn`` is elementwise (``state=None``:
    ``tx.init``'s on ``carried``); traced once per input signature."""
    name, seen, tx = _name(tx), {}, optax.with_extra_args_support(tx)

    def check(fn: Callable, carried: Any, read: Any, state: Any) -> bool:
        state = jax.eval_shape(tx.init, carried) if state is None else state
        return _check_elementwise(fn, carried, read, state, name, seen)

    return check


@checked
def fuse(
    tx: optax.GradientTransformation, *, chunk_size: int | None = None, own_leaf_size: int | None = OWN_LEAF_SIZE
) -> optax.GradientTransformationExtraArgs:
    r"""``tx`` with the state of the small leaves in one flat buffer per dtype, updated in one pass.

    Same updates as ``tx`` up to float32 rounding (tests/test_fused.py: rtol 1e-6): for an
    elementwise $\mathcal{T}$, $\mathcal{T}(\text{concat}(g)) = \text{concat}(\mathcal{T}(g))$.
    Leaves with fewer than ``own_leaf_size`` elements share one flat buffer per dtype (when ``tx`` keeps
    state per parameter; a stateless ``tx`` such as SGD has nothing to gather, and every leaf is then an
    own leaf): ``update``
    concatenates their gradients, runs ``tx.update`` on it (chunk by chunk with ``chunk_size``) and
    cuts the flat updates back into the leaves at the start offsets kept in the state
    (``FusedState.offsets``, runtime values, so that the cut compiles once per leaf shape). Bigger
    leaves keep their own state and go through ``tx.update`` as they are: for them one loop per leaf
    is already cheap, and a copy into and out of the flat buffer would double their memory traffic.
    The state is ``FusedState(inner={"float32": tx's state on the flat buffer, ..., "own": tx's state
    on the list of own leaves}, offsets={"leaf<i>": start of leaf i in its flat buffer})``. Pair it
    with :func:`fused_step` to also apply the updates in the same pass.

    On a mesh: replicated params (data parallel) give a step with no collective; a leaf split over
    devices (FSDP) must be an own leaf (``own_leaf_size`` at most its size), whose state is then
    sharded like it, again with no collective; a split leaf bound for the flat buffer raises a
    ``ValueError`` (seen on concrete arrays, and under ``jit`` on Explicit meshes).

    Lecture: none (the optimizers' maths is ``tx``'s). docs/performance.md.

    Args:
        tx: an elementwise gradient transformation (any alias of this library except the
            second-order ones; ``optax.chain`` of elementwise parts).
        chunk_size: elements per chunk of an in-place loop over the flat buffers (``CHUNK_SIZE`` =
            $2^{18}$ fits a 2 MB L2); ``None`` (default) updates each buffer whole (XLA then makes
            one loop per output, as for a single-leaf tree). Own leaves are not chunked: pass
            ``own_leaf_size=None`` with it to walk every leaf in the loop.
        own_leaf_size: leaves with at least this many elements keep their own state (default
            ``OWN_LEAF_SIZE`` = $2^{16}$ elements); ``None``: every leaf goes into the flat buffers;
            0: none does (``tx`` itself, on a list of the leaves).

    Raises:
        ValueError: ``chunk_size`` < 1 or ``own_leaf_size`` < 0; ``tx`` not elementwise (at the first
            ``update``: its traced update reduces, sorts or permutes the flat buffer) or masked (at
            ``init``); a leaf below ``own_leaf_size`` split over several devices.
        TypeError: ``chunk_size`` or ``own_leaf_size`` not an int (2.5, True).

    References:
        torch.optim's ``fused=True`` multi-tensor kernels; optax.flatten.

    Example:
        >>> import jax.numpy as jnp, jaxopt_lectures as jol
        >>> params = {"w": jnp.ones((2, 2)), "b": jnp.zeros(2)}
        >>> grads = {"w": jnp.full((2, 2), 2.0), "b": jnp.ones(2)}
        >>> tx = jol.fuse(jol.adam(0.1))
        >>> state = tx.init(params)
        >>> print(state.inner["float32"][0].mu.shape)  # adam = chain(scale_by_adam, lr)
        (6,)
        >>> u, state = tx.update(grads, state, params)
        >>> print(u["w"])  # Adam's first step: -lr * sign(g)
        [[-0.1 -0.1]
         [-0.1 -0.1]]
    """
    check_int("chunk_size", chunk_size, 1, allow_none=True)
    check_int("own_leaf_size", own_leaf_size, 0, allow_none=True)
    name_, check = _name(tx), _checker(tx)
    tx = optax.with_extra_args_support(tx)

    def init(params: optax.Params) -> FusedState:
        leaves = jax.tree.leaves(params)
        own = [] if own_leaf_size is None else [i for i, x in enumerate(leaves) if _size(x) >= own_leaf_size]
        _check_unmasked(jax.eval_shape(tx.init, params), name_)  # on the tree: a mask may not fit the flat dict
        if not _per_parameter_state(tx):  # nothing to gather: a flat buffer would only add copies
            own = list(range(len(leaves)))
        groups = _groups(leaves, set(own))
        _check_mesh(params, sorted(i for idx in groups.values() for i in idx), own_leaf_size)
        inner = {name: tx.init(_concat(leaves, idx)) for name, idx in groups.items()}
        if own:
            inner["own"] = tx.init([leaves[i] for i in own])
        return _new_state(inner, _starts(leaves, groups), _is_abstract(params))

    def update(updates, state, params=None, **extra_args):
        fn = lambda g_c, p_c, s_c: tx.update(g_c, s_c, p_c, **extra_args)
        return _apply(fn, updates, params, state, chunk_size, check, own_leaf_size)

    return optax.GradientTransformationExtraArgs(init, update)


def fused_step(
    tx: optax.GradientTransformation, *, chunk_size: int | None = None
) -> Callable[..., tuple[Any, FusedState]]:
    r"""One training step ``step(params, grads, state, **extra) -> (params, state)`` in one pass.

    $\theta \leftarrow \theta + \mathcal{T}(g)$ where $\mathcal{T}$ is ``tx``, with the state of
    ``fuse(tx, chunk_size=chunk_size, own_leaf_size=None).init(params)`` (``None``: every buffer is
    walked by the chunked loop; a state with own leaves updates those as they are). With ``chunk_size`` each chunk of $\theta$,
    $g$ and the state is read once and the new $\theta$ and state are written in place, so Adam
    moves 28 bytes per float32 parameter (read $g, \theta, m, v$; write $\theta, m, v$), momentum
    20, SGD 12; without, XLA makes one loop per output on the flat buffers. Equal to
    ``optax.apply_updates(params, fuse(tx).update(grads, state, params)[0])``. Keep ``params`` flat
    (:func:`ravel_by_dtype`) so that no concatenation happens per step, and jit it with
    ``donate_argnums=(0, 2)`` so the buffers are updated in place.

    Lecture: none; docs/performance.md.

    Args:
        tx: an elementwise gradient transformation (see :func:`fuse`).
        chunk_size: elements per chunk of the in-place loop; ``None`` (default) updates each flat
            buffer whole.

    Raises:
        ValueError: ``chunk_size`` < 1; ``tx`` not elementwise (see :func:`fuse`).
        TypeError: ``chunk_size`` not an int (2.5, True).

    Example:
        >>> import jax, jax.numpy as jnp, jaxopt_lectures as jol
        >>> flat, unravel = jol.ravel_by_dtype({"w": jnp.ones(3)})
        >>> tx = jol.momentum(0.5, beta=0.9)
        >>> state = jol.fuse(tx).init(flat)
        >>> step = jax.jit(jol.fused_step(tx), donate_argnums=(0, 2))
        >>> flat, state = step(flat, {"float32": jnp.ones(3)}, state)
        >>> print(unravel(flat)["w"])
        [0.5 0.5 0.5]
    """
    check_int("chunk_size", chunk_size, 1, allow_none=True)
    check = _checker(tx)
    tx = optax.with_extra_args_support(tx)

    def step(params, grads, state: FusedState, **extra_args):
        def fn(p_c, g_c, s_c):
            u_c, s_c = tx.update(g_c, s_c, p_c, **extra_args)
            return optax.apply_updates(p_c, u_c), s_c

        return _apply(fn, params, grads, state, chunk_size, check, None)

    return step
