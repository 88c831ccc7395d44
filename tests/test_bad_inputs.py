"""No silent wrong answers: bad hyperparameters, non-float leaves, mismatched trees (tests/bad_inputs.py).

For every registry entry and public factory, each numeric hyperparameter gets each bad value of
``bad_inputs.BAD_VALUES``: the factory raises ``TypeError``/``ValueError`` naming the argument (or,
for a cross-argument bound, the argument whose bound it sets), or what it builds works: three updates
with finite float32 gradients give finite updates of the gradients' dtype (a transformation), or
values at counts 0…1000 (a schedule) without NaN. Never a crash at update time, never a NaN from
finite inputs (a huge value may overflow to ±inf: 1e30 is accepted where the range is unbounded).
Each accepted (method, argument, kind) is run once, for the first entry of that method selected.
"""

from __future__ import annotations

import re

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxopt_lectures as jol
from tests import bad_inputs, harness
from tests.registry import ROWS
from tests.rows import one_per_method_fast


def value_fn(params):
    return sum(jnp.sum(jnp.asarray(x, jnp.float32) ** 2) for x in jax.tree.leaves(params))


def assert_no_nan(tree) -> None:
    leaves = [np.asarray(x, np.float64) for x in jax.tree.leaves(tree)]
    assert not any(np.isnan(x).any() for x in leaves), leaves


def works(obj, entry) -> None:
    """What an accepted bad value built is usable: outputs without NaN from finite inputs."""
    params, grads = harness.tree_pair(seed=3)
    if bad_inputs.is_transformation(obj):
        state = obj.init(params)
        for k in range(2):  # the params stay put: every input is finite at every step
            g = jax.tree.map(lambda x: x * (1.0 - 1.7 * k), grads)
            updates, state = obj.update(g, state, params, value=value_fn(params), value_fn=value_fn)
            chex.assert_trees_all_equal_dtypes(updates, g)
            assert_no_nan(updates)
    elif entry.id == "fused_step":
        flat, _ = jol.ravel_by_dtype(params)
        out, _ = obj(flat, jol.ravel_by_dtype(grads)[0], jol.fuse(entry.kwargs["tx"]).init(flat))
        assert_no_nan(out)
    elif callable(obj):  # a schedule
        assert_no_nan([obj(c) for c in (0, 1, 7, 100, 1000)])
    else:  # a function of params (nesterov_iterate)
        assert_no_nan(obj)


def method_of(entry) -> str:
    """"adam" for "adam/cosine" and "fused/adam/amsgrad"; the id itself for one-part ids."""
    parts = entry.id.split("/")
    return parts[-2] if len(parts) > 1 else parts[0]


RUN: set = set()  # (method, argument, kind) already run by an earlier entry


def named(message: str, arg: str, entry) -> bool:
    """The error names ``arg``, or starts with another argument whose allowed range ``arg`` sets."""
    first = re.match(r"^(\w+)=", message)
    return arg in message or (first is not None and first.group(1) in entry.kwargs)


@pytest.mark.parametrize("entry", [pytest.param(e, id=e.id, marks=[pytest.mark.slow] if "second_order" in e.make.__module__ else [])
                                   for e in bad_inputs.entries()])  # second-order entries: 5-35 s each
def test_every_bad_value_is_rejected_by_name_or_builds_a_working_optimizer(entry):
    failures = []
    for arg, kind, value in bad_inputs.cases(entry):
        result, obj = bad_inputs.outcome(entry, arg, value)
        if result != "accepted":
            if not named(obj, arg, entry):
                failures.append(f"{arg}={kind}: {result} does not name it: {obj}")
            continue
        if kind not in ("zero", "huge", "None"):
            failures.append(f"{arg}={kind} was accepted")  # only a number in range may pass
        if (method_of(entry), arg, kind) in RUN:
            continue
        RUN.add((method_of(entry), arg, kind))
        try:
            works(obj, entry)
        except Exception as error:  # noqa: BLE001 — any crash or non-finite output is the finding
            failures.append(f"{arg}={kind} accepted but fails at use: {type(error).__name__}: {error}"[:300])
    assert not failures, "\n".join(failures)


def test_none_is_accepted_only_where_documented():
    """None passes only for the arguments whose API documents it (line-search rates, optional options)."""
    documented = {"learning_rate": ("bfgs", "lbfgs"), "momentum": ("rmsprop",), "min_learning_rate": ("delta_delta",),
                  "max_cg_steps": ("newton_cg",), "approx_dec_rtol": ("wolfe_linesearch",)}
    for entry in bad_inputs.entries():
        for arg, kind, value in bad_inputs.cases(entry):
            if kind == "None" and bad_inputs.outcome(entry, arg, value)[0] == "accepted":
                name = method_of(entry).removeprefix("scale_by_")
                assert name in documented.get(arg, ()), (entry.id, arg)


# ---- the examples of the issue, one by one --------------------------------------------------------


@pytest.mark.parametrize("make, arg", [(lambda v: jol.sgd(v), "learning_rate"), (lambda v: jol.adam(v), "learning_rate"),
                                       (lambda v: jol.adam(1e-3, b1=v), "b1")])
def test_concrete_jax_arrays_are_range_checked(make, arg):
    with pytest.raises(ValueError, match=rf"^{arg}=.* must be "):
        make(jnp.asarray(-0.1 if arg == "learning_rate" else 1.5))


@pytest.mark.parametrize("bad", [None, "0.001", [1e-3], 1e-3 + 0j, True])
def test_a_rate_of_the_wrong_kind_is_a_type_error(bad):
    for make in (jol.sgd, jol.adam, jol.rprop):
        with pytest.raises(TypeError, match="^learning_rate="):
            make(bad)


@pytest.mark.parametrize("chunk_size", [2.5, True, "4"])
def test_fuse_chunk_size_must_be_an_int(chunk_size):
    with pytest.raises(TypeError, match="^chunk_size="):
        jol.fuse(jol.sgd(0.1), chunk_size=chunk_size)


def test_a_switch_must_be_a_bool():
    with pytest.raises(TypeError, match="^safeguard='yes' must be True or False"):
        jol.quickprop(0.1, safeguard="yes")


def test_traced_hyperparameters_still_work_under_jit_and_vmap():
    g = jnp.ones(2)
    run = lambda lr, b1: (tx := jol.adam(lr, b1=b1)).update(g, tx.init(g))[0]
    np.testing.assert_allclose(jax.jit(run)(0.1, 0.9), [-0.1, -0.1], rtol=1e-5)
    np.testing.assert_allclose(jax.vmap(run)(jnp.array([0.1, 0.2]), jnp.array([0.9, 0.5])), [[-0.1] * 2, [-0.2] * 2], rtol=1e-5)


# ---- trees: non-float leaves, structure mismatch, output dtype ------------------------------------


MIXED = {"w": jnp.ones(3), "steps": jnp.zeros((), jnp.int32), "on": jnp.array([True, False])}


@pytest.mark.parametrize("row", one_per_method_fast(ROWS))
def test_integer_and_bool_leaves_are_named_at_init(row):
    with pytest.raises(TypeError, match=r"\['on'\] \(bool\), \['steps'\] \(int32\).*optax.masked"):
        row.build().init(MIXED)


def test_masking_the_integer_leaves_is_the_fix():
    labels = {"w": "train", "steps": "frozen", "on": "frozen"}
    tx = optax.multi_transform({"train": jol.adam(0.1), "frozen": optax.set_to_zero()}, labels)
    grads = {"w": jnp.ones(3), "steps": jnp.zeros((), jnp.int32), "on": jnp.array([False, False])}
    updates, _ = tx.update(grads, tx.init(MIXED), MIXED)
    np.testing.assert_allclose(updates["w"], -0.1, rtol=1e-5)
    assert int(optax.apply_updates(MIXED, updates)["steps"]) == 0


@pytest.mark.parametrize("row", one_per_method_fast(ROWS))
@pytest.mark.parametrize("change, where", [
    (lambda t: {**t, "extra": jnp.ones(2)}, r"\['extra'\] is not in the tree given to init"),
    (lambda t: {k: v for k, v in t.items() if k != "b"}, r"\['b'\] is missing"),
    (lambda t: {("renamed" if k == "a" else k): v for k, v in t.items()}, r"\['a'\] is missing"),
    (lambda t: {**t, "a": jnp.ones(4)}, r"\['a'\] has shape \(4,\), expected \(3,\)"),
], ids=["added", "removed", "renamed", "reshaped"])
def test_update_with_another_tree_than_init_names_the_first_difference(row, change, where):
    params, grads = harness.tree_pair(seed=5)
    tx = row.build()
    state = tx.init(params)
    new_params, new_grads = change(params), change(grads)
    update = jax.jit(lambda g, s, p: tx.update(g, s, p, value=value_fn(p), value_fn=value_fn))
    if "shape" in where and not any(np.size(x) > 1 for x in jax.tree.leaves(state)):
        chex.assert_trees_all_equal_shapes(update(new_grads, state, new_params)[0], new_grads)
        return  # no per-parameter state (sgd, Newton, ...): nothing is stale, a new shape is fine
    if "shape" in where and (row.id.startswith("fused/") or not row.elementwise):  # flat state: sizes
        where = where + r"|the params \(flattened\).*\(13,\), expected \(12,\)|float32 part has shapes \[\(13,\)\], init's had \[\(12,\)\]"
    with pytest.raises(ValueError, match=rf"({where}).*update needs the structure"):
        update(new_grads, state, new_params)


def test_injected_float32_hyperparameters_keep_bfloat16_updates():
    """optax.inject_hyperparams with hyperparam_dtype=float32 on bfloat16 params: updates stay bfloat16."""
    tx = optax.inject_hyperparams(jol.adam, hyperparam_dtype=jnp.float32)(learning_rate=1e-3)
    params = jnp.ones(3, jnp.bfloat16)
    updates, _ = tx.update(params, tx.init(params))
    assert updates.dtype == jnp.bfloat16


def test_a_missing_params_argument_is_a_type_error_everywhere():
    x = jnp.ones(2)
    for tx in (jol.bfgs(), jol.lbfgs(), jol.newton(), jol.proximal(0.1, l1=0.1), jol.armijo_linesearch()):
        with pytest.raises(TypeError, match=r"\.update requires params"):
            tx.update(x, tx.init(x), value_fn=value_fn, value=value_fn(x))
