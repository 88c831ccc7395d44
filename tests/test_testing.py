"""The conformance kit (``jaxopt_lectures.testing``) on good and deliberately broken transformations.

Its passes on every registry row are tests/test_contract.py and tests/test_reference.py; here it
must pass on optax's own optimizers and fail, naming the right check, on each kind of defect.
"""

from __future__ import annotations

import functools
import pathlib
import re

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxopt_lectures as jol
from jaxopt_lectures import testing
from tests import harness
from tests.reference import rules as rules_ref

F32 = ("float32",)
ROOT = pathlib.Path(__file__).resolve().parents[1]


def failed_checks(error: pytest.ExceptionInfo) -> set[str]:
    """The check names the kit's AssertionError lists ("- <name>: <evidence>" lines)."""
    return set(re.findall(r"^- (\w+): ", str(error.value), flags=re.MULTILINE))


def transformation(init, update) -> optax.GradientTransformationExtraArgs:
    return optax.GradientTransformationExtraArgs(init, lambda u, s, p=None, **extra: update(u, s))


def dtype_changing() -> optax.GradientTransformationExtraArgs:
    """The step count starts int32 and becomes float32 after one step (``count + 1.0``)."""
    return transformation(lambda p: jnp.zeros([], jnp.int32), lambda u, count: (jax.tree.map(lambda g: -g, u), count + 1.0))


def growing() -> optax.GradientTransformationExtraArgs:
    """The state appends one entry per step, so every jitted step is a new shape: it retraces."""
    return transformation(lambda p: jnp.zeros(1), lambda u, hist: (jax.tree.map(lambda g: -g, u), jnp.append(hist, 1.0)))


def normalized_sign() -> optax.GradientTransformationExtraArgs:
    """−g/|g|: 0/0 = NaN where a gradient is exactly zero."""
    return transformation(lambda p: optax.EmptyState(), lambda u, s: (jax.tree.map(lambda g: -g / jnp.abs(g), u), s))


def sgd_loop(grads, params0, learning_rate=0.1):
    """The paper's loop of plain gradient descent: Δθ = −η g."""
    return [jax.tree.map(lambda g: -learning_rate * g, grad) for grad in grads]


def sgd_doubled_at_step(k: int) -> optax.GradientTransformationExtraArgs:
    """optax.sgd(0.1) except that its update at 0-based step k is twice as large."""

    def update(updates, count):
        factor = jnp.where(count == k, 2.0, 1.0)
        return jax.tree.map(lambda g: -0.1 * factor * g, updates), count + 1

    return transformation(lambda p: jnp.zeros([], jnp.int32), update)


@pytest.mark.slow  # every check in three dtypes: 15-85 s on a loaded 2-core machine
@pytest.mark.parametrize("factory", [functools.partial(optax.adam, learning_rate=1e-2),
                                     functools.partial(optax.sgd, learning_rate=0.1, momentum=0.9)],
                         ids=["adam", "sgd"])
def test_passes_on_optax_optimizers_with_every_check_and_dtype(factory):
    report = testing.check_transformation(factory)
    assert report.checks == testing.CHECKS and report.skipped == ()
    assert report.dtypes == ("float32", "bfloat16", "float64")


@pytest.mark.slow  # ten checks: ~20 s on a loaded 2-core machine
def test_a_transformation_without_a_factory_skips_the_learning_rate_checks():
    report = testing.check_transformation(optax.adam(1e-2), dtypes=F32, checks=None)
    assert report.skipped == ("inject_hyperparams", "vmap_learning_rate")
    assert set(report.checks) == set(testing.CHECKS) - set(report.skipped)


def test_a_state_leaf_whose_dtype_changes_fails_state_dtypes_naming_leaf_and_dtypes():
    with pytest.raises(AssertionError) as error:
        testing.check_transformation(dtype_changing(), dtypes=F32, checks=["state_dtypes", "state_structure", "finite"])
    assert failed_checks(error) == {"state_dtypes"}
    assert "float32: state leaf (root): int32 -> float32 after step 1" in str(error.value)


def test_a_growing_state_fails_jit_once_and_state_structure():
    with pytest.raises(AssertionError) as error:
        testing.check_transformation(growing(), dtypes=F32, checks=["jit_once", "state_dtypes", "state_structure"])
    assert failed_checks(error) == {"jit_once", "state_structure"}
    assert "traced 4 times" in str(error.value) and "float32[1] -> float32[5]" in str(error.value)


def test_nan_updates_from_a_zero_gradient_fail_finite_naming_the_leaf():
    with pytest.raises(AssertionError) as error:
        testing.check_transformation(normalized_sign(), checks=["finite", "state_dtypes", "jit_once"])
    assert failed_checks(error) == {"finite"}
    assert "update leaf ['zero'] at step 1 has 2 non-finite entries (first: nan)" in str(error.value)
    assert {"float32:", "bfloat16:", "float64:"} <= set(str(error.value).split())


def test_a_plain_gradient_transformation_fails_unknown_kwargs():
    plain = optax.GradientTransformation(optax.sgd(0.1).init, lambda u, s, p=None: (u, s))
    with pytest.raises(AssertionError) as error:
        testing.check_transformation(plain, dtypes=F32, checks=["unknown_kwargs", "lax_cond"])
    assert failed_checks(error) == {"unknown_kwargs"}
    assert "with_extra_args_support" in str(error.value)


def test_matches_a_numpy_loop_and_names_the_first_differing_step_and_leaf():
    report = testing.check_matches_reference(optax.sgd(0.1), sgd_loop, steps=12)
    assert report.steps == 12 and report.max_abs_diff <= report.atol
    with pytest.raises(AssertionError, match=r"^step 5 \(0-based\) of 12, leaf \['matrix'\]\[0, 0\]: tx gave .*, "
                                             r"the reference .*; 14 of 168 entries differ, in 1 of 12 steps$"):
        testing.check_matches_reference(sgd_doubled_at_step(5), sgd_loop, steps=12)


def test_a_reference_transformation_runs_in_float64_and_catches_a_wrong_step():
    assert testing.check_matches_reference(optax.sgd(0.1), optax.sgd(0.1), steps=10).steps == 10
    with pytest.raises(AssertionError, match=r"^step 3 "):
        testing.check_matches_reference(sgd_doubled_at_step(3), optax.sgd(0.1), steps=10)


def paper_rprop(grads, params0, values):
    """Riedmiller & Braun's Rprop− on lists of pytrees (the project's float64 loop), Δ0 = 0.05."""
    flat = np.stack([harness.flat(g) for g in grads])
    updates = rules_ref.rprop(flat, np.asarray(values), harness.flat(params0), learning_rate=0.05, variant="rprop-")
    return [harness.numpy_tree(u) for u in updates]


def test_optax_rprop_one_step_lag_is_caught_against_the_papers_loop():
    params = harness.tree_of(np.ones(harness.N))
    ours = functools.partial(jol.rprop, learning_rate=0.05, variant="rprop-")
    testing.check_matches_reference(ours, paper_rprop, params=params, steps=30)
    with pytest.raises(AssertionError, match=r"^step 0 \(0-based\) of 30, leaf \['a'\]\[0\]: tx gave -?0.0, "):
        testing.check_matches_reference(optax.rprop(0.05, eta_minus=0.5, eta_plus=1.2, min_step_size=1e-6,
                                                    max_step_size=50.0), paper_rprop, params=params, steps=30)


def test_every_failed_check_is_listed_with_its_evidence():
    with pytest.raises(AssertionError, match=r"^2 of 3 checks failed:\n- jit_once: .*\n- state_dtypes: .*$"):
        testing.check_transformation(dtype_changing(), dtypes=F32, checks=["jit_once", "state_dtypes", "finite"])


@pytest.mark.parametrize("call, error, argument", [
    (lambda: testing.check_transformation(3), TypeError, "tx"),
    (lambda: testing.check_transformation(lambda: 3), TypeError, "tx"),
    (lambda: testing.check_transformation(optax.sgd(0.1), checks=["jit_twice"]), ValueError, "checks"),
    (lambda: testing.check_transformation(optax.sgd(0.1), checks=["inject_hyperparams"]), ValueError, "checks"),
    (lambda: testing.check_transformation(optax.sgd(0.1), dtypes=("int32",)), ValueError, "dtypes"),
    (lambda: testing.check_transformation(optax.sgd(0.1), extra_args=3), TypeError, "extra_args"),
    (lambda: testing.check_matches_reference(optax.sgd(0.1), sgd_loop, steps=0), ValueError, "steps"),
    (lambda: testing.check_matches_reference("sgd", sgd_loop), TypeError, "tx"),
    (lambda: testing.check_matches_reference(optax.sgd(0.1), 3), TypeError, "reference"),
    (lambda: testing.check_matches_reference(optax.sgd(0.1), lambda g, p: g[:-1], steps=3), ValueError, "reference"),
], ids=["tx", "factory", "check-name", "check-not-allowed", "dtype", "extra-args", "steps", "tx-reference",
        "reference", "reference-length"])
def test_bad_input_is_named(call, error, argument):
    with pytest.raises(error, match=rf"^{argument}\b"):
        call()


def test_the_default_pytree_has_scalar_vector_matrix_and_zero_leaves():
    shapes = {k: np.shape(v) for k, v in testing.default_params().items()}
    assert shapes == {"matrix": (2, 4), "scalar": (), "vector": (3,), "zero": (2,)}
    assert not np.any(testing.default_params()["zero"])


@pytest.mark.slow  # every check in three dtypes, and 100 reference steps
def test_the_docs_example_runs_and_passes():
    code = re.search(r"```python\n(.*?)```", (ROOT / "docs" / "testing.md").read_text(), re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "docs/testing.md", "exec"), namespace)  # noqa: S102 - the page's own example
    tests = [f for name, f in namespace.items() if name.startswith("test_")]
    assert len(tests) == 2
    for test in tests:
        test()
