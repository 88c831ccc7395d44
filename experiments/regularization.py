"""Regularization: L2 in the loss vs decoupled weight decay, and L1's exact zeros vs L2's shrinkage.

(a) [000] "L2 regularization (also called weighted decay)": softmax regression on sklearn's bundled
digits (full batch, the split of ``experiments.digits``) trained with L2 in the loss,
``chain(add_l2(λ), opt)``, and with decoupled weight decay, ``chain(opt, decoupled_weight_decay(ηλ))``.
Under SGD the two are the same update −η(g + λθ), so the parameter vectors stay equal (up to float
rounding); under Adam the coupled decay is divided by √v̂ and the two drift apart. Both runs of one
optimizer are lanes of ONE ``jax.vmap`` (a mixing weight a: ``add_l2(aλ)`` and
``decoupled_weight_decay((1 − a)ηλ)``, a ∈ {1, 0}) × seeds.
(b) [002] "L2 regularization: R(W) = ΣW², L1 regularization: R(W) = Σ|W|": softmax regression on the
digits with λR(W) for λ on a log grid, L1 by the proximal step (``jol.proximal(η, l1=λ)``,
soft-thresholding: exact zeros), L2 by its gradient (``jol.add_l2(2λ)``: shrinks, never to 0); one
vmap over λ × {L1, L2}. Also [002]'s example x = [1, 1, 1, 1], w₁ = [1, 0, 0, 0], w₂ = [¼, ¼, ¼, ¼]:
from w₁, L2 spreads the weights out, L1 keeps w₁'s zeros. docs/spec/regularization.md.
"""

from __future__ import annotations

import pathlib
import sys

import jax
import jax.numpy as jnp
import numpy as np
import optax

import jaxopt_lectures as jol
from experiments import _claims, _common
from experiments.digits import load

FULL = dict(decay_steps=600, seeds=5, sparsity_steps=600, lambdas=12)
QUICK = dict(decay_steps=200, seeds=2, sparsity_steps=200, lambdas=8)
RECORD = 10  # keep the params every 10 steps
DECAY = {  # optimizer -> (factory, rate η, λ)
    "sgd": (jol.sgd, 0.5, 1e-2),
    "adam": (jol.adam, 1e-2, 1e-2),
}
SPARSITY_ETA, LAMBDA_RANGE = 1.0, (1e-4, 3e-2)


def _linear_init(seed: int) -> dict:
    """Softmax-regression params: W ~ 0.01·N(0, 1) (NumPy: no jax.random compile), b = 0."""
    rng = np.random.default_rng(seed)
    return {"W": jnp.asarray(0.01 * rng.standard_normal((64, 10)), jnp.float32), "b": jnp.zeros(10)}


def _linear_scores(params: dict, X: jax.Array) -> jax.Array:
    return X @ params["W"] + params["b"]


def _accuracy(scores, params, X, y) -> jax.Array:
    return jnp.mean(jnp.argmax(scores(params, X), axis=1) == y)


def _flat(tree) -> jax.Array:
    """The leaves of a stacked params tree as one (steps, n) matrix."""
    return jnp.concatenate([x.reshape(x.shape[0], -1) for x in jax.tree.leaves(tree)], axis=1)


def coupled_vs_decoupled(config: dict) -> dict:
    """Per optimizer: distance between the L2-in-the-loss and weight-decay params, and their accuracies."""
    X_tr, y_tr, X_te, y_te = map(jnp.asarray, load())
    loss = lambda p: jol.losses.softmax_cross_entropy(_linear_scores(p, X_tr), y_tr)
    inits = jax.tree.map(lambda *xs: jnp.stack(xs), *[_linear_init(s) for s in range(config["seeds"])])
    out = {}
    for name, (factory, eta, lam) in _common.progress(DECAY.items(), desc="optimizers"):
        def one(a, params):
            tx = optax.chain(jol.add_l2(a * lam), factory(eta), jol.decoupled_weight_decay((1 - a) * eta * lam))
            return jol.minimize(loss, params, tx, config["decay_steps"], record_every=RECORD)[1].params

        lanes = jax.vmap(lambda a: jax.vmap(lambda p: one(a, p))(inits))  # (coupling, seed, record, ...)
        params = jax.jit(lanes)(jnp.array([1.0, 0.0]))
        flat = jax.vmap(jax.vmap(_flat))(params)
        distance = np.asarray(jnp.linalg.norm(flat[0] - flat[1], axis=-1) / jnp.linalg.norm(flat[1], axis=-1))
        final = jax.tree.map(lambda x: x[:, :, -1], params)
        accuracy = np.asarray(jax.vmap(jax.vmap(lambda p: _accuracy(_linear_scores, p, X_te, y_te)))(final))
        norms = np.asarray(jnp.linalg.norm(flat[:, :, -1], axis=-1))
        out[name] = {"eta": eta, "lambda": lam, "distance": distance.mean(0), "max_distance": float(distance.max()),
                     "accuracy_l2": float(accuracy[0].mean()), "accuracy_decay": float(accuracy[1].mean()),
                     "norm_l2": float(norms[0].mean()), "norm_decay": float(norms[1].mean())}
    out["steps"] = np.arange(0, config["decay_steps"] + 1, RECORD)
    return out


def l1_vs_l2(config: dict) -> dict:
    """Softmax regression with λΣ|W| (proximal) or λΣW² (gradient) for each λ: exact zeros and accuracy."""
    X_tr, y_tr, X_te, y_te = map(jnp.asarray, load())
    loss = lambda p: jol.losses.softmax_cross_entropy(_linear_scores(p, X_tr), y_tr)
    params0 = _linear_init(0)
    lambdas = np.geomspace(*LAMBDA_RANGE, config["lambdas"])
    mask = {"W": True, "b": False}  # the penalty is on the weights, as in [002]

    def one(l1, l2):
        tx = optax.chain(jol.add_l2(2 * l2, mask=mask), jol.sgd(SPARSITY_ETA),
                         optax.masked(jol.proximal(SPARSITY_ETA, l1=l1), mask))
        return jol.minimize(loss, params0, tx, config["sparsity_steps"])[0]

    none = np.zeros_like(lambdas)
    l1s, l2s = (jnp.asarray(np.concatenate(v), jnp.float32) for v in ((lambdas, none), (none, lambdas)))
    final = jax.jit(jax.vmap(one))(l1s, l2s)  # lanes: L1 at each λ, then L2 at each λ
    zeros = np.asarray(jnp.mean(final["W"] == 0, axis=(1, 2)))
    accuracy = np.asarray(jax.vmap(lambda p: _accuracy(_linear_scores, p, X_te, y_te))(final))
    n = len(lambdas)
    return {"lambdas": lambdas, "l1_zeros": zeros[:n], "l2_zeros": zeros[n:],
            "l1_accuracy": accuracy[:n], "l2_accuracy": accuracy[n:],
            "l2_min_abs_weight": float(jnp.min(jnp.abs(final["W"][n:])))}


def lecture_example(config: dict) -> dict:
    """[002]'s x = [1,1,1,1]: minimise (wᵀx − 1)² + λR(w) from w₁ = [1,0,0,0] with L2 and with L1."""
    x, lam, eta = jnp.ones(4), 0.5, 0.1
    data = lambda w: (w @ x - 1.0) ** 2
    w1 = jnp.array([1.0, 0.0, 0.0, 0.0])
    l2 = jol.minimize(data, w1, optax.chain(jol.add_l2(2 * lam), jol.sgd(eta)), config["sparsity_steps"])[0]
    l1 = jol.minimize(data, w1, optax.chain(jol.sgd(eta), jol.proximal(eta, l1=lam)), config["sparsity_steps"])[0]
    return {"l2": np.asarray(l2), "l1": np.asarray(l1), "l2_spread": float(l2.max() / l2.min()),
            "l1_zeros": int(jnp.sum(l1 == 0)), "lambda": lam}


def run(config: dict) -> dict:
    return {"decay": coupled_vs_decoupled(config), "sparsity": l1_vs_l2(config), "example": lecture_example(config)}


def figures(results: dict, out: pathlib.Path) -> list[pathlib.Path]:
    plt = _common.pyplot()
    d = results["decay"]
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    steps = np.asarray(d["steps"])
    for name in DECAY:
        r = d[name]
        ax.semilogy(steps[1:], np.maximum(r["distance"][1:], 1e-9), "o-", markersize=3,
                    label=f"{name} (η = {r['eta']:g}, λ = {r['lambda']:g}): test acc. "
                          f"{r['accuracy_l2']:.3f} (L2) / {r['accuracy_decay']:.3f} (decay)")
    ax.set(xlabel="full-batch step", ylabel=r"$\|\theta_{L2} - \theta_{decay}\| / \|\theta_{decay}\|$",
           title="L2 in the loss vs decoupled weight decay (digits, softmax)\n(a distance of exactly 0 is drawn at 1e-9)",
           ylim=(5e-10, 10))
    ax.legend(fontsize=9)
    paths = [_common.save_figure(fig, out, "regularization_weight_decay")]

    s, e = results["sparsity"], results["example"]
    fig, (ax, ax2, ax3) = plt.subplots(1, 3, figsize=(16, 4.6))
    ax.semilogx(s["lambdas"], s["l1_zeros"], "o-", label="L1 (proximal step)")
    ax.semilogx(s["lambdas"], s["l2_zeros"], "s-", label="L2 (gradient step)")
    ax.set(xlabel="λ", ylabel="fraction of weights exactly 0", title="Softmax regression on digits", ylim=(-0.03, 1))
    ax2.semilogx(s["lambdas"], s["l1_accuracy"], "o-", label="L1")
    ax2.semilogx(s["lambdas"], s["l2_accuracy"], "s-", label="L2")
    ax2.set(xlabel="λ", ylabel="test accuracy", title="Accuracy vs regularization strength")
    idx = np.arange(4)
    ax3.bar(idx - 0.2, e["l2"], 0.4, label="L2 from w₁")
    ax3.bar(idx + 0.2, e["l1"], 0.4, label="L1 from w₁")
    ax3.set(xticks=idx, xticklabels=[f"w[{i}]" for i in idx], ylabel="final weight",
            title=f"[002]'s x = [1,1,1,1], λ = {e['lambda']:g}")
    for a in (ax, ax2, ax3):
        a.legend()
    paths.append(_common.save_figure(fig, out, "regularization_l1_l2"))
    return paths


def summary(results: dict) -> str:
    d = results["decay"]
    rows = [(name, d[name]["max_distance"], d[name]["accuracy_l2"], d[name]["accuracy_decay"], d[name]["norm_l2"],
             d[name]["norm_decay"]) for name in DECAY]
    text = _common.table(rows, ["optimizer", "max ‖θ_L2 − θ_decay‖/‖θ‖", "test acc. L2", "test acc. decay",
                                "‖θ‖ L2", "‖θ‖ decay"])
    s = results["sparsity"]
    rows = [(f"{lam:.2g}", float(z1), float(z2), float(a1), float(a2)) for lam, z1, z2, a1, a2 in
            zip(s["lambdas"], s["l1_zeros"], s["l2_zeros"], s["l1_accuracy"], s["l2_accuracy"])]
    text += "\n" + _common.table(rows, ["λ", "zeros L1", "zeros L2", "test acc. L1", "test acc. L2"])
    e = results["example"]
    l2, l1 = (np.round(np.asarray(e[k], float), 4).tolist() for k in ("l2", "l1"))
    return text + (f"\n[002] example from w₁: L2 → {l2} (max/min {e['l2_spread']:.4f}), "
                   f"L1 → {l1} ({e['l1_zeros']} exact zeros)")


CAPTIONS = {
    "regularization_weight_decay": "Relative distance between softmax regressions on digits trained with L2 in "
                                   "the loss and with decoupled weight decay (same λ, decay rate ηλ, same init), mean "
                                   "over seeds. Under SGD the two stay equal to float rounding (here bitwise: drawn at "
                                   "1e-9); under Adam the coupled decay is divided by √v̂ and the parameter vectors "
                                   "drift apart (legend: test accuracies).",
    "regularization_l1_l2": "Left: the proximal L1 step sets a growing fraction of the softmax weights exactly to 0 as "
                            "λ grows; the L2 gradient step shrinks them but leaves none at 0. Middle: test accuracy "
                            "of both. Right: [002]'s example started at w₁ = [1,0,0,0]: L2 spreads the weights "
                            "out evenly, L1 keeps w₁'s zeros (L1 ties w₁ and w₂: both have ‖w‖₁ = 1).",
}

CLAIMS = (
    _claims.Claim(
        "reg-l2-is-weight-decay", "000",
        "L2 regularization (also called weighted decay) penalizes models with large weights",
        "regularization_weight_decay",
        measure=lambda r: {"sgd_distance": r["decay"]["sgd"]["max_distance"],
                           "adam_distance": r["decay"]["adam"]["max_distance"]},
        verdict=_claims.all_of(_claims.at_most("sgd_distance", 1e-4, what="SGD: max ‖θ_L2 − θ_decay‖/‖θ‖"),
                               _claims.at_most("adam_distance", 1e-4, what="Adam: max ‖θ_L2 − θ_decay‖/‖θ‖")),
        examples=({"sgd_distance": 1e-7, "adam_distance": 1e-7}, {"sgd_distance": 0.1, "adam_distance": 0.1})),
    _claims.Claim(
        "reg-l1-sparse", "002",
        "L2 regularization likes to \"spread out\" the weights … Which one would L1 regularization prefer?",
        "regularization_l1_l2",
        measure=lambda r: {"l1_zeros": float(np.max(r["sparsity"]["l1_zeros"])),
                           "l2_zeros": float(np.max(r["sparsity"]["l2_zeros"]))},
        verdict=_claims.all_of(_claims.at_least("l1_zeros", 0.3, what="L1: largest fraction of exact zeros"),
                               _claims.at_most("l2_zeros", 0.0, what="L2: largest fraction of exact zeros")),
        examples=({"l1_zeros": 0.8, "l2_zeros": 0.0}, {"l1_zeros": 0.0, "l2_zeros": 0.0})),
    _claims.Claim(
        "reg-l2-spreads-out", "002",
        "L2 regularization likes to \"spread out\" the weights",
        "regularization_l1_l2",
        measure=lambda r: {"l2_spread": r["example"]["l2_spread"], "l1_zeros": r["example"]["l1_zeros"]},
        verdict=_claims.at_most("l2_spread", 1.01, what="x = [1,1,1,1], L2 from w₁: max/min weight"),
        examples=({"l2_spread": 1.0, "l1_zeros": 3}, {"l2_spread": 1e6, "l1_zeros": 3})),
)


def main(argv=None) -> None:
    _common.cli(sys.modules[__name__], argv)


if __name__ == "__main__":
    main()
