"""Run by tests/test_sharding.py in a subprocess with 8 host CPU devices; prints one JSON object.

``python -m tests.sharding_check`` (XLA_FLAGS=--xla_force_host_platform_device_count=8) shards
the params over a 4 x 2 mesh and, for every registry row, runs ``init`` and two ``update``s
under ``jit``, with an Auto mesh (``jax.sharding.Mesh``) and, for the rows that keep shardings,
with an Explicit one (``jax.set_mesh``); the ``fused/`` rows run on a data-parallel mesh instead
(:func:`check_fused`). It prints ``{row_id: "ok" | "<what went wrong>"}``; an argument restricts the
rows to the ids that start with it (``python -m tests.sharding_check fused/``).
"""

from __future__ import annotations

import contextlib
import json
import sys
import traceback
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import AxisType, NamedSharding, PartitionSpec as P

import jaxopt_lectures as jol
from jaxopt_lectures.interop import state_shardings
from tests.registry import ROWS
from tests.registry.row import Row

# the harness's leaf names (rows with a mask tree use them)
SPECS = {"a": P("data", "model"), "b": P("data"), "c": P()}
SHAPES = {"a": (8, 6), "b": (16,), "c": ()}


def sharded_tree(mesh: jax.sharding.Mesh, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    return {k: jax.device_put(jnp.asarray(rng.normal(size=SHAPES[k]), jnp.float32), NamedSharding(mesh, SPECS[k]))
            for k in SHAPES}


def mismatches(tree: Any, params: dict, what: str) -> list[str]:
    """Leaves of params-structured subtrees of ``tree`` whose sharding differs from the param's."""
    treedef = jax.tree.structure(params)
    like = lambda t: jax.tree.structure(t) == treedef
    out = []
    for path, sub in jax.tree_util.tree_flatten_with_path(tree, is_leaf=like)[0]:
        if not like(sub):
            continue
        for key, leaf, p in zip(sorted(params), treedef.flatten_up_to(sub), jax.tree.leaves(params)):
            if leaf.shape == p.shape and not leaf.sharding.is_equivalent_to(p.sharding, p.ndim):
                out.append(f"{what}{jax.tree_util.keystr(path)}[{key!r}]: {leaf.sharding} != {p.sharding}")
    return out


def check(row: Row, mesh: jax.sharding.Mesh, explicit: bool) -> list[str]:
    tx = row.build()
    params, grads = sharded_tree(mesh, 0), sharded_tree(mesh, 1)
    value_fn = lambda p: sum(jnp.sum(x**2) for x in jax.tree.leaves(p))
    step = jax.jit(lambda g, s, p: tx.update(g, s, p, value=value_fn(p), value_fn=value_fn))
    keeps = row.elementwise if row.keeps_sharding is None else row.keeps_sharding
    init = jax.jit(tx.init) if explicit else jax.jit(tx.init, out_shardings=state_shardings(tx, params))
    state = init(params)
    errors = mismatches(tx.init(params), params, "eager init") + mismatches(state, params, "jit init")
    for k in range(2):
        updates, state = step(grads, state, params)
        params = optax.apply_updates(params, updates)
        errors += mismatches(updates, params, f"updates {k}") + mismatches(state, params, f"state {k}")
        if not all(bool(jnp.all(jnp.isfinite(u))) for u in jax.tree.leaves(updates)):
            errors.append(f"updates {k} not finite")
    return errors if keeps else [e for e in errors if "finite" in e]


COLLECTIVES = ("all-gather", "all-reduce", "all-to-all", "collective-permute", "reduce-scatter")


def _fused_run(tx: Any, reference: Any, params: dict, grads: dict, rtol: float) -> tuple[list[str], list]:
    """Two jitted updates of ``tx`` (state from ``state_shardings``) against ``reference``: collectives in the
    compiled step and differing updates; returns them and the states after init and after the updates."""
    states = [None, None]
    value_fn = lambda p: sum(jnp.sum(x**2) for x in jax.tree.leaves(p))
    value = value_fn(params)  # outside the step: the loss's reduction over split params is not the optimizer's
    update = lambda tx: jax.jit(lambda g, s, p, v: tx.update(g, s, p, value=v, value_fn=value_fn))
    state = states[0] = jax.jit(tx.init, out_shardings=state_shardings(tx, params))(params)
    hlo = update(tx).lower(grads, state, params, value).compile().as_text()
    errors = [f"{op} in the compiled fused step" for op in COLLECTIVES if f" {op}(" in hlo or f" {op}-start(" in hlo]
    plain_state = reference.init(params)
    for k in range(2):
        got, state = update(tx)(grads, state, params, value)
        want, plain_state = update(reference)(grads, plain_state, params, value)
        errors += [f"step {k}: fused != plain" for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(want))
                   if not np.allclose(a, b, rtol=rtol, atol=1e-7)]
        errors += mismatches(got, params, f"updates {k}")
    states[1] = state
    return errors, states


def check_fused(row: Row, plain: Row, mesh: jax.sharding.Mesh, explicit: jax.sharding.Mesh) -> list[str]:
    """``jol.fuse`` on a mesh, with no collective in the compiled step and the plain path's updates:

    * data parallel (replicated params): the flat state is replicated;
    * FSDP (params split over the mesh, ``own_leaf_size=2``: the split leaves keep their own state): every
      own leaf's state is sharded like its param, the scalar leaf's flat buffer is replicated;
    * a split leaf bound for the flat buffer (default ``own_leaf_size``): a ValueError naming it, eagerly and,
      on an Explicit mesh, under ``jit``, instead of a silent gather.
    """
    spmd = lambda x: jax.device_put(x, NamedSharding(mesh, P()))
    params, grads = jax.tree.map(spmd, sharded_tree(mesh, 0)), jax.tree.map(spmd, sharded_tree(mesh, 1))
    errors, states = _fused_run(row.build(), plain.build(), params, grads, row.rtol)
    errors += [f"data parallel: {x.sharding} not replicated" for x in jax.tree.leaves(states)
               if not x.sharding.is_fully_replicated]
    fsdp = jol.fuse(plain.build(), own_leaf_size=2)
    params, grads = sharded_tree(mesh, 0), sharded_tree(mesh, 1)
    fsdp_errors, states = _fused_run(fsdp, plain.build(), params, grads, row.rtol)
    errors += [f"fsdp: {e}" for e in fsdp_errors]
    own = [params["a"], params["b"]]  # the leaves of at least 2 elements, in leaf order
    for when, state in zip(("init", "step 2"), states):
        lists = [x for x in jax.tree.leaves(state.inner["own"], is_leaf=lambda t: isinstance(t, list) and len(t) == 2)
                 if isinstance(x, list)]  # the per-leaf state fields (m, v, ...) on the own leaves
        for x in lists:
            errors += [f"fsdp {when}: own state {s.sharding} != {p.sharding}" for s, p in zip(x, own)
                       if s.shape == p.shape and not s.sharding.is_equivalent_to(p.sharding, p.ndim)]
        if not lists and any(np.size(x) > 1 for x in jax.tree.leaves(plain.build().init(params))):
            errors.append(f"fsdp {when}: no per-leaf state on the own leaves")
        errors += [f"fsdp {when}: flat {x.sharding} not replicated" for x in jax.tree.leaves(state.inner.get("float32"))
                   if not x.sharding.is_fully_replicated]
    if not jax.eval_shape(row.build().init, params).offsets:  # no flat buffer (no per-parameter state): nothing
        return errors                                                 # is gathered, split leaves are fine
    for what, init in [("eager", row.build().init), ("explicit mesh, jit", jax.jit(row.build().init))]:
        try:
            with jax.set_mesh(explicit) if what.startswith("explicit") else contextlib.nullcontext():
                init(sharded_tree(explicit if what.startswith("explicit") else mesh, 0))
            errors.append(f"{what}: params split over the mesh below own_leaf_size: no ValueError")
        except ValueError as e:
            if "is split over 8 devices" not in str(e) or "own_leaf_size" not in str(e):
                errors.append(f"{what}: {e}")
    return errors


def main() -> None:
    assert jax.device_count() == 8, "run with XLA_FLAGS=--xla_force_host_platform_device_count=8"
    devices = np.array(jax.devices()).reshape(4, 2)
    auto = jax.sharding.Mesh(devices, ("data", "model"))
    explicit = jax.make_mesh((4, 2), ("data", "model"), axis_types=(AxisType.Explicit,) * 2)
    results, by_id = {}, {row.id: row for row in ROWS}
    only = sys.argv[1] if len(sys.argv) > 1 else ""  # e.g. "fused/": the rows whose id starts with it
    for row in (row for row in ROWS if row.id.startswith(only)):
        try:
            if row.id.startswith("fused/"):
                results[row.id] = "; ".join(check_fused(row, by_id[row.id.removeprefix("fused/")], auto, explicit)) or "ok"
                continue
            errors = check(row, auto, explicit=False)
            if row.elementwise if row.keeps_sharding is None else row.keeps_sharding:
                with jax.set_mesh(explicit):  # flattening methods cannot concatenate differently sharded leaves
                    errors += [f"explicit mesh: {e}" for e in check(row, explicit, explicit=True)]
            results[row.id] = "; ".join(errors) or "ok"
        except Exception:  # report, so the other rows are still checked
            results[row.id] = traceback.format_exc(limit=4)
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
