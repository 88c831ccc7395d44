"""L-BFGS in full batch against L-BFGS on mini-batches and Adam, on one convex problem.

[002] on L-BFGS: "Usually works very well in full batch, deterministic mode ... Does not transfer
very well to mini-batch setting. Gives bad results." The problem: L2-regularised softmax regression
on scikit-learn's digits (1437 training images, 64 pixels / 16, 10 classes: 650 parameters),
$F(W, b) = \\operatorname{mean}_i \\mathrm{CE}(x_i W + b, y_i) + \\tfrac{\\lambda}{2}\\|W\\|^2$ with
$\\lambda = 10^{-3}$, started at zero. Its minimum $F^*$ comes from SciPy's L-BFGS-B in float64 (an
independent reference). Runs, all in float32:

* full-batch ``jol.lbfgs()`` (memory 10, zoom line search) by ``jol.minimize``: one iteration = one
  pass over the data for the gradient (plus the line search's evaluations);
* mini-batch ``jol.lbfgs()`` by ``jol.fit`` (batch 64: the curvature pairs and the line search see a
  different batch each step);
* mini-batch ``jol.adam(1e-2)`` by ``jol.fit`` (batch 64);

and the full objective gap $F - F^*$ after every epoch (full batch: iteration), mean over seeds.

    python -m experiments.lbfgs_minibatch [--quick] [--out DIR]
"""

from __future__ import annotations

import pathlib
import sys

import jax
import jax.numpy as jnp
import numpy as np

import jaxopt_lectures as jol
from experiments import _claims, _common, digits

FULL = dict(epochs=40, iterations=200, seeds=3)
QUICK = dict(epochs=10, iterations=100, seeds=2)
L2, BATCH = 1e-3, 64
MINIBATCH = {"L-BFGS, mini-batch 64": lambda: jol.lbfgs(), "Adam 1e-2, mini-batch 64": lambda: jol.adam(1e-2)}


def objective(params: dict, batch: tuple) -> jax.Array:
    """Mean softmax cross-entropy of the batch plus (λ/2)‖W‖²."""
    X, y = batch
    return jol.losses.softmax_cross_entropy(X @ params["W"] + params["b"], y) + 0.5 * L2 * jnp.sum(params["W"] ** 2)


def reference_minimum() -> float:
    """F* by SciPy's L-BFGS-B in float64 (gtol 1e-10)."""
    from scipy.optimize import minimize as scipy_minimize

    X = np.asarray(digits.load()[0], np.float64)
    Y = np.eye(10)[digits.load()[1]]

    def value_and_grad(theta):
        W, b = theta[:640].reshape(64, 10), theta[640:]
        z = X @ W + b
        z = z - z.max(1, keepdims=True)
        p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
        value = -np.mean(np.sum(Y * np.log(p), 1)) + 0.5 * L2 * np.sum(W**2)
        dz = (p - Y) / len(X)
        return value, np.concatenate([(X.T @ dz + L2 * W).ravel(), dz.sum(0)])

    result = scipy_minimize(value_and_grad, np.zeros(650), jac=True, method="L-BFGS-B",
                            options={"gtol": 1e-10, "ftol": 1e-15, "maxiter": 5000})
    return float(result.fun)


def run(config: dict) -> dict:
    """Numbers only: per method the gap F − F* per epoch (full batch: per iteration), its final value, test accuracy."""
    X_tr, y_tr, X_te, y_te = map(jnp.asarray, digits.load())
    p0 = {"W": jnp.zeros((64, 10)), "b": jnp.zeros(10)}
    full = lambda p: objective(p, (X_tr, y_tr))
    accuracy = lambda p: jnp.mean(jnp.argmax(X_te @ p["W"] + p["b"], axis=1) == y_te)
    f_star = reference_minimum()
    params, trace = jol.minimize(full, p0, jol.lbfgs(), config["iterations"])
    gap = np.asarray(trace.loss, np.float64) - f_star
    methods = {"L-BFGS, full batch": {"gap": gap, "final_gap": float(gap[-1]), "final_accuracy": float(accuracy(params))}}
    keys = jax.random.split(jax.random.key(0), config["seeds"])
    for name, make in _common.progress(MINIBATCH.items(), desc="mini-batch"):
        one = lambda k: jol.fit(objective, p0, make(), (X_tr, y_tr), BATCH, config["epochs"], k,
                                eval_fn=lambda p: (full(p), accuracy(p)))[1].eval
        values, acc = (np.asarray(a, np.float64) for a in jax.vmap(one)(keys))
        gap = np.concatenate([[float(full(p0)) - f_star], (values - f_star).mean(0)])  # epoch 0 = start
        half = config["epochs"] // 2
        methods[name] = {"gap": gap, "final_gap": float(gap[-1]), "final_accuracy": float(acc[:, -1].mean()),
                         "gap_last_over_half": float(gap[-1] / gap[half])}
    return {"f_star": f_star, "epochs": config["epochs"], "iterations": config["iterations"], "methods": methods}


def figures(results: dict, out: pathlib.Path) -> list[pathlib.Path]:
    plt = _common.pyplot()
    fig, ax = plt.subplots(figsize=(8, 5))
    for (name, r), style in zip(results["methods"].items(), ("o-", "s-", "^-")):
        gap = np.maximum(np.asarray(r["gap"]), 1e-8)
        ax.semilogy(np.arange(gap.size), gap, style, markersize=3, label=f"{name}: final {r['final_gap']:.1e}")
    ax.set(xlabel="epoch (full batch: iteration, one gradient over all data)", ylabel="F − F* (full training objective)",
           title="digits softmax regression + L2: F* from SciPy L-BFGS-B (float64)", ylim=(1e-8, 10))
    ax.legend()
    return [_common.save_figure(fig, out, "lbfgs_minibatch")]


def summary(results: dict) -> str:
    rows = [(name, float(r["final_gap"]), r["final_accuracy"]) for name, r in results["methods"].items()]
    text = _common.table(rows, ["method", "final F − F*", "test accuracy"])
    return text + (f"\nF* = {results['f_star']:.6f}; full batch: {results['iterations']} iterations, "
                   f"mini-batch: {results['epochs']} epochs (mean over seeds)")


CAPTIONS = {
    "lbfgs_minibatch": "[002]: L-BFGS 'works very well in full batch, deterministic mode' (blue: the gap to F* keeps "
                       "falling, below 1e-5 after 100 iterations) but 'does not transfer very well to mini-batch "
                       "setting': fed batches of 64, the same L-BFGS gains fast in the first epochs, then stalls at a "
                       "gap of a few 1e-2, thousands of times the full-batch gap, while Adam on the same batches "
                       "is still improving.",
}

_FULL_NAME, _MB, _ADAM = "L-BFGS, full batch", *MINIBATCH


def _measure(r: dict) -> dict:
    m = r["methods"]
    return {"full_gap": m[_FULL_NAME]["final_gap"], "minibatch_gap": m[_MB]["final_gap"], "adam_gap": m[_ADAM]["final_gap"],
            "minibatch_over_full": m[_MB]["final_gap"] / max(m[_FULL_NAME]["final_gap"], 1e-12),
            "minibatch_over_adam": m[_MB]["final_gap"] / m[_ADAM]["final_gap"],
            "minibatch_stall": m[_MB]["gap_last_over_half"]}


CLAIMS = (
    _claims.Claim(
        "lbfgs-deterministic-full-batch", "002", "L-BFGS: Usually works very well in full batch, deterministic mode",
        "lbfgs_minibatch", measure=_measure,
        verdict=_claims.at_most("full_gap", 1e-4, partly=1e-3, what="full-batch L-BFGS: final F − F*"),
        examples=({"full_gap": 1e-6}, {"full_gap": 0.05})),
    _claims.Claim(
        "lbfgs-minibatch-bad", "002", "L-BFGS: Does not transfer very well to mini-batch setting. Gives bad results.",
        "lbfgs_minibatch", measure=_measure,
        verdict=_claims.all_of(
            _claims.at_least("minibatch_over_full", 100.0, what="mini-batch ÷ full-batch L-BFGS final gap"),
            _claims.at_least("minibatch_over_adam", 1.0, partly=0.25, what="mini-batch L-BFGS ÷ Adam final gap")),
        examples=({"minibatch_over_full": 1e4, "minibatch_over_adam": 2.0},
                  {"minibatch_over_full": 2.0, "minibatch_over_adam": 0.1})),
)


def main(argv=None) -> None:
    _common.cli(sys.modules[__name__], argv)


if __name__ == "__main__":
    main()
