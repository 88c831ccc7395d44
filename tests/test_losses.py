"""Losses, penalties and the gradient check (docs/spec/regularization.md, docs/spec/losses.md): [002]'s worked
numbers, optax, NumPy."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxopt_lectures as jol
from jaxopt_lectures import losses

# [002]: rows = images cat/car/frog, columns = class scores cat/car/frog; label = the image's class
SCORES = np.array([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]], np.float32)
LABELS = np.array([0, 1, 2])


def numpy_hinge(scores, labels, margin=1.0):
    """Weston–Watkins multiclass SVM loss per example, a float64 loop over the classes."""
    out = []
    for s, y in zip(np.asarray(scores, np.float64), labels):
        out.append(sum(max(0.0, s[j] - s[y] + margin) for j in range(len(s)) if j != y))
    return np.array(out)


def test_softmax_example_of_002_gives_2_0404_0_0791_6_1565():
    per_image = [float(losses.softmax_cross_entropy(SCORES[i], LABELS[i])) for i in range(3)]
    np.testing.assert_allclose(per_image, [2.0404, 0.0791, 6.1565], atol=5e-5)


def test_softmax_with_all_zero_scores_is_log_of_the_number_of_classes():
    assert float(losses.softmax_cross_entropy(jnp.zeros((5, 10)), jnp.arange(5))) == pytest.approx(np.log(10), rel=1e-6)


def test_hinge_example_of_002_gives_2_9_0_12_9_mean_5_2667():
    per_image = [float(losses.multiclass_hinge(SCORES[i], LABELS[i])) for i in range(3)]
    np.testing.assert_allclose(per_image, [2.9, 0.0, 12.9], atol=1e-5)
    assert float(losses.multiclass_hinge(SCORES, LABELS)) == pytest.approx(5.2667, abs=1e-4)


def test_hinge_of_the_car_example_stays_zero_when_scores_are_doubled():
    assert float(losses.multiclass_hinge(2 * SCORES[1], LABELS[1])) == 0.0  # "W is not unique" ([002])


def test_hinge_matches_a_numpy_loop_for_any_margin():
    rng = np.random.default_rng(0)
    scores, labels = rng.normal(size=(32, 7)).astype(np.float32), rng.integers(0, 7, 32)
    for margin in (0.0, 1.0, 2.5):
        assert float(losses.multiclass_hinge(scores, labels, margin)) == pytest.approx(
            numpy_hinge(scores, labels, margin).mean(), rel=1e-5)


def test_optax_multiclass_hinge_is_the_crammer_singer_max_not_the_sum():
    frog = float(optax.losses.multiclass_hinge_loss(SCORES[2], LABELS[2]))
    assert frog == pytest.approx(6.6, abs=1e-5) and float(losses.multiclass_hinge(SCORES[2], LABELS[2])) == pytest.approx(12.9)


def test_softmax_matches_optax_with_integer_and_one_hot_labels():
    rng = np.random.default_rng(1)
    logits, labels = rng.normal(size=(16, 5)).astype(np.float32), rng.integers(0, 5, 16)
    want = float(optax.losses.softmax_cross_entropy_with_integer_labels(logits, labels).mean())
    assert float(losses.softmax_cross_entropy(logits, labels)) == pytest.approx(want, rel=1e-6)
    one_hot = jax.nn.one_hot(labels, 5)
    assert float(losses.softmax_cross_entropy(logits, one_hot)) == pytest.approx(want, rel=1e-6)
    probs = jax.nn.softmax(jnp.asarray(rng.normal(size=(16, 5)), jnp.float32))
    assert float(losses.softmax_cross_entropy(logits, probs)) == pytest.approx(
        float(optax.losses.softmax_cross_entropy(logits, probs).mean()), rel=1e-6)


def test_softmax_is_stable_with_huge_logits_and_shift_invariant():
    logits = jnp.asarray(SCORES) * 1e4
    big = losses.softmax_cross_entropy(logits, LABELS)
    shifted = losses.softmax_cross_entropy(logits + 3e4, LABELS)
    assert np.isfinite(float(big)) and float(big) == pytest.approx(float(shifted), rel=1e-6)
    grad = jax.grad(losses.softmax_cross_entropy)(logits, LABELS)
    assert np.all(np.isfinite(np.asarray(grad)))


@pytest.mark.parametrize("labels", [np.array([0.0, 1.0, 1.0, 0.0]), np.array([0.2, 0.9, 1.0, 0.0])])
def test_logistic_matches_optax_sigmoid_binary_cross_entropy(labels):
    logits = np.array([-30.0, -0.5, 2.0, 40.0], np.float32)
    want = float(optax.losses.sigmoid_binary_cross_entropy(logits, labels.astype(np.float32)).mean())
    assert float(losses.logistic(logits, labels)) == pytest.approx(want, rel=1e-6)


def test_signed_logistic_is_the_same_loss_with_labels_plus_minus_one():
    logits, y = np.array([-3.0, 0.5, 2.0], np.float32), np.array([0.0, 1.0, 0.0], np.float32)
    signed = float(losses.logistic(logits, 2 * y - 1, signed=True))
    assert signed == pytest.approx(float(losses.logistic(logits, y)), rel=1e-6)
    assert signed == pytest.approx(np.mean(np.log1p(np.exp(-(2 * y - 1) * logits))), rel=1e-6)


def test_mse_is_the_mean_squared_difference_without_a_half():
    pred, target = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.0, 2.0], [5.0, 4.0]])
    assert float(losses.mse(pred, target)) == pytest.approx(np.mean((pred - target) ** 2))


@pytest.mark.parametrize("call", [
    lambda: losses.softmax_cross_entropy(jnp.zeros((4, 3)), jnp.zeros(5, jnp.int32)),
    lambda: losses.softmax_cross_entropy(jnp.zeros((4, 3)), jnp.zeros((4, 4))),
    lambda: losses.multiclass_hinge(jnp.zeros((4, 3)), jnp.zeros((4, 1), jnp.int32)),
    lambda: losses.mse(jnp.zeros(4), jnp.zeros((4, 1))),
    lambda: losses.logistic(jnp.zeros(4), jnp.zeros(3)),
], ids=["softmax-int", "softmax-onehot", "hinge", "mse", "logistic"])
def test_shape_mismatch_raises_value_error_naming_the_shapes(call):
    with pytest.raises(ValueError, match=r"shape=\("):
        call()


def test_penalties_sum_over_every_leaf_and_l2_has_no_half():
    tree = {"w": jnp.array([[1.0, -2.0]]), "b": jnp.array(-3.0)}
    assert float(losses.l1_penalty(tree)) == 6.0 and float(losses.l2_penalty(tree)) == 14.0
    grad = jax.grad(losses.l2_penalty)(tree)
    np.testing.assert_array_equal(np.asarray(grad["w"]), [[2.0, -4.0]])  # 2θ: no ½


def test_l2_preference_example_of_002():
    x, w1, w2 = jnp.ones(4), jnp.array([1.0, 0, 0, 0]), jnp.full(4, 0.25)
    assert float(x @ w1) == float(x @ w2) == 1.0  # same data fit
    assert float(losses.l2_penalty(w1)) == 1.0 and float(losses.l2_penalty(w2)) == 0.25  # L2 prefers w2
    assert float(losses.l1_penalty(w1)) == float(losses.l1_penalty(w2)) == 1.0  # L1 indifferent


def test_lambda_times_l2_penalty_in_the_loss_is_add_l2_of_two_lambda():
    lam, theta, g = 0.3, jnp.array([1.0, -2.0]), jnp.array([0.5, 0.5])
    coupled = jax.grad(lambda p: g @ p + lam * losses.l2_penalty(p))(theta)
    tx = jol.add_l2(2 * lam)
    u, _ = tx.update(g, tx.init(theta), theta)
    np.testing.assert_allclose(np.asarray(coupled), np.asarray(u), rtol=1e-6)


# ------------------------------------------------------------------------------- check_grad

def _every_loss():
    """(name, fun of params, params) in float64: each loss of a small linear model."""
    rng = np.random.default_rng(2)
    X = jnp.asarray(rng.normal(size=(12, 4)))
    y_int = jnp.asarray(rng.integers(0, 3, 12))
    W = jnp.asarray(rng.normal(size=(4, 3)))
    w = jnp.asarray(rng.normal(size=4))
    target = jnp.asarray(rng.normal(size=(12, 3)))
    return [
        ("mse", lambda W: losses.mse(X @ W, target), W),
        ("softmax", lambda W: losses.softmax_cross_entropy(X @ W, y_int), W),
        ("softmax-probs", lambda W: losses.softmax_cross_entropy(X @ W, jax.nn.softmax(X[:, :3])), W),
        ("hinge", lambda W: losses.multiclass_hinge(X @ W, y_int), W),
        ("logistic", lambda w: losses.logistic(X @ w, (y_int > 0).astype(jnp.float64)), w),
        ("logistic-signed", lambda w: losses.logistic(X @ w, 2.0 * (y_int > 0) - 1, signed=True), w),
        ("l1", losses.l1_penalty, {"a": w, "b": W}),
        ("l2", losses.l2_penalty, {"a": w, "b": W}),
    ]


def test_check_grad_passes_on_every_loss_in_float64():
    with jax.enable_x64(True):
        for name, fun, params in _every_loss():
            result = losses.check_grad(fun, params)
            # the random points are away from the kinks of hinge and |θ|, so all are "good"
            assert float(result.max_rel_error) < 1e-7, (name, float(result.max_rel_error))
            assert result.verdict() == "good"


def test_check_grad_numeric_part_matches_a_numpy_centered_difference():
    fun = lambda x: jnp.sum(jnp.sin(x) * jnp.exp(x / 3))
    with jax.enable_x64(True):
        x = np.array([0.3, -1.2, 2.0, 0.7])
        result = losses.check_grad(fun, jnp.asarray(x), eps=1e-4)
        f = lambda v: float(fun(jnp.asarray(v)))
        numeric = [(f(x + 1e-4 * e) - f(x - 1e-4 * e)) / 2e-4 for e in np.eye(4)]
        # jitted vs eager evaluations of f differ by ~1 ulp: that is ε|f|/h ≈ 1e-11 in the quotient
        np.testing.assert_allclose(np.asarray(result.numeric), numeric, rtol=0, atol=1e-10)
        exact = np.cos(x) * np.exp(x / 3) + np.sin(x) * np.exp(x / 3) / 3
        np.testing.assert_allclose(np.asarray(result.analytic), exact, rtol=1e-12)


def test_check_grad_flags_a_deliberately_wrong_gradient():
    @jax.custom_vjp
    def square(x):
        return jnp.sum(x**2)

    square.defvjp(lambda x: (square(x), x), lambda x, g: (g * x,))  # bug: forgot the factor 2
    with jax.enable_x64(True):
        result = losses.check_grad(square, jnp.array([1.0, -2.0, 3.0]))
        assert float(result.max_rel_error) == pytest.approx(0.5, rel=1e-6) and result.verdict() == "wrong"


def test_forward_differences_are_first_order_and_worse_than_centered():
    fun = lambda x: jnp.sum(jnp.exp(x))
    with jax.enable_x64(True):
        x = jnp.array([0.5, -0.2])
        centered = float(losses.check_grad(fun, x, 1e-4).max_rel_error)
        forward = float(losses.check_grad(fun, x, 1e-4, method="forward").max_rel_error)
    assert forward == pytest.approx(0.5e-4 * 1.0, rel=0.02)  # error h·f''/(2f') = h/2 for exp
    assert centered < 1e-8 < forward


def test_float32_gradient_checks_are_meaningless_for_correct_gradients():
    fun = lambda x: jnp.sum(jnp.sin(x) * x)
    x = jnp.asarray(np.random.default_rng(3).normal(size=20), jnp.float32)
    assert float(losses.check_grad(fun, x, dtype="float32").max_rel_error) > 1e-4  # docs/spec/pitfalls.md#pitfall-11
    result = losses.check_grad(fun, x)  # the default computes in float64 whatever x's dtype
    assert result.compute_dtype == "float64" and float(result.max_rel_error) < 1e-7


def test_check_grad_can_test_a_random_subset_of_coordinates():
    with jax.enable_x64(True):
        result = losses.check_grad(lambda x: jnp.sum(x**3), jnp.linspace(1.0, 2.0, 50), num_checks=7, seed=1)
        assert result.index.shape == (7,) and len(set(result.index.tolist())) == 7
        np.testing.assert_allclose(np.asarray(result.analytic), 3 * np.linspace(1.0, 2.0, 50)[np.asarray(result.index)] ** 2)


@pytest.mark.parametrize("kwargs, name", [({"eps": 0.0}, "eps"), ({"method": "backward"}, "method"),
                                          ({"num_checks": 0}, "num_checks")])
def test_check_grad_rejects_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name}="):
        losses.check_grad(jnp.sum, jnp.ones(3), **kwargs)
