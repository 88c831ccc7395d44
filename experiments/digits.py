"""Classifiers on sklearn's bundled digits with every optimizer: learning curves, seeds, sweeps, batch size.

Softmax regression, a linear multiclass SVM (hinge, margin 1, coupled L2) and a 64-128-10 tanh MLP
on ``load_digits`` (1797 × 64, pixels scaled to [0, 1], stratified split 1437/360, seed 0).
(1) learning curves (train loss, test accuracy per epoch) and final test accuracy mean ± std over
seeds for every optimizer ([001] learning curves, [002] linear classifiers); (2) a learning-rate ×
optimizer sweep over ≥16 log-spaced rates × 5 seeds, all lanes in ONE compiled ``jax.vmap`` per
optimizer, over rates from 1e-5 up to 1e4, so the largest ones diverge (a run diverges when its final
train loss is above the loss at the zero initialisation, log 10, or is not finite) ([001] "learning rate
too high: update may overshoot its goal; too slow: progress may be slow"); (3) the linear scaling
rule ([002] "if you increase the batch size by N, also scale the initial learning rate by N"): batch
B₀ = 32 with rate η against kB₀ with kη and kB₀ with η, same epochs, same seed, no warmup; and the
minibatch gradient noise, whose RMS falls like B^(−1/2) ([001] standard error σ/√B).
Specification: docs/spec/experiments.md.
"""

from __future__ import annotations

import functools
import pathlib
import sys

import jax
import jax.numpy as jnp
import numpy as np

import jaxopt_lectures as jol
from experiments import _claims, _common

FULL = dict(epochs=50, seeds=5, models=("softmax", "svm", "mlp"), sweep_rates=22, sweep_epochs=20,
            batch_sizes=(32, 64, 128, 256, 512), batch_epochs=30, full_batch_steps=300)
QUICK = dict(epochs=8, seeds=2, models=("softmax", "mlp"), sweep_rates=16, sweep_epochs=3,
             batch_sizes=(32, 128, 512), batch_epochs=5, full_batch_steps=60)
BATCH = 64

# minibatch optimizers (B = 64) and full-batch ones (Rprop and Quickprop need exact gradients)
OPTIMIZERS = {
    "sgd": lambda: jol.sgd(0.3),
    "momentum": lambda: jol.momentum(0.05, 0.9),
    "nesterov": lambda: jol.nesterov(0.05, 0.9),
    "adagrad": lambda: jol.adagrad(0.05),
    "rmsprop": lambda: jol.rmsprop(1e-3),
    "adadelta": lambda: jol.adadelta(1.0),
    "adam": lambda: jol.adam(1e-2),
    "adamw": lambda: jol.adamw(1e-2, weight_decay=1e-4),
}
FULL_BATCH = {
    "rprop (full batch)": lambda: jol.rprop(1e-3),
    "quickprop (full batch)": lambda: jol.quickprop(1e-2),
}
SWEEP = ("sgd", "momentum", "adam")
TWINS = ("nesterov", "adamw")  # curves that lie on momentum's and adam's: drawn dashed with markers
SWEEP_RANGE = (1e-5, 1e4)  # one log grid for all, so the heatmap columns share a rate
INITIAL_LOSS = float(np.log(10.0))  # softmax regression at its zero initialisation


@functools.lru_cache(maxsize=1)
def load() -> tuple[np.ndarray, ...]:
    """(X_train, y_train, X_test, y_test): pixels / 16, stratified 1437/360 split with seed 0."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X / 16.0, y, test_size=360, stratify=y, random_state=0)
    return (X_tr.astype(np.float32), y_tr.astype(np.int32), X_te.astype(np.float32), y_te.astype(np.int32))


def init(model: str, key: jax.Array) -> dict:
    if model in ("softmax", "svm"):
        return {"W": jnp.zeros((64, 10)), "b": jnp.zeros(10)}
    k1, k2 = jax.random.split(key)
    return {"W1": jax.random.normal(k1, (64, 128)) / 8.0, "b1": jnp.zeros(128),
            "W2": jax.random.normal(k2, (128, 10)) / jnp.sqrt(128.0), "b2": jnp.zeros(10)}


def scores(params: dict, X: jax.Array) -> jax.Array:
    if "W" in params:
        return X @ params["W"] + params["b"]
    return jnp.tanh(X @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]


def loss_fn(model: str):
    loss = jol.losses.multiclass_hinge if model == "svm" else jol.losses.softmax_cross_entropy
    return lambda params, batch: loss(scores(params, batch[0]), batch[1])


def train(model: str, tx, key: jax.Array, epochs: int, batch_size: int) -> tuple[dict, jax.Array, jax.Array]:
    """One run: (params, per-epoch train loss, per-epoch test accuracy)."""
    X_tr, y_tr, X_te, y_te = map(jnp.asarray, load())
    if model == "svm":  # the linear SVM's regulariser λ‖W‖² as coupled L2 (docs/spec/experiments.md)
        import optax

        tx = optax.chain(jol.add_l2(1e-3), tx)
    accuracy = lambda p: jnp.mean(jnp.argmax(scores(p, X_te), axis=1) == y_te)
    k_init, k_fit = jax.random.split(key)
    params, hist = jol.fit(loss_fn(model), init(model, k_init), tx, (X_tr, y_tr), batch_size, epochs, k_fit,
                           eval_fn=accuracy)
    return params, hist.train_loss, hist.eval


def curves(config: dict) -> dict:
    """Learning curves of every optimizer and model, vmapped over seeds."""
    n_train = len(load()[0])
    keys = jax.random.split(jax.random.key(0), config["seeds"])
    out = {}
    runs = [(name, make, BATCH, config["epochs"]) for name, make in OPTIMIZERS.items()]
    runs += [(name, make, n_train, config["full_batch_steps"]) for name, make in FULL_BATCH.items()]
    for model in config["models"]:
        out[model] = {}
        for name, make, batch_size, epochs in _common.progress(runs, desc=model):
            _, loss, acc = jax.vmap(lambda k: train(model, make(), k, epochs, batch_size))(keys)
            loss, acc = np.asarray(loss), np.asarray(acc)
            out[model][name] = {"train_loss": loss.mean(0), "test_accuracy": acc.mean(0),
                                "final_accuracy_mean": float(acc[:, -1].mean()),
                                "final_accuracy_std": float(acc[:, -1].std()), "epochs": epochs}
    return out


def sweep(config: dict) -> dict:
    """Final train loss of softmax regression for rates × seeds, one vmap over both per optimizer."""
    keys = jax.random.split(jax.random.key(1), 5)
    out = {}
    rates = jnp.geomspace(*SWEEP_RANGE, config["sweep_rates"])
    for name in SWEEP:
        factory = getattr(jol, name)
        one = lambda lr, k: train("softmax", factory(lr), k, config["sweep_epochs"], BATCH)[1][-1]
        losses = jax.jit(jax.vmap(jax.vmap(one, (None, 0)), (0, None)))(rates, keys)
        losses = np.asarray(losses, np.float64)
        finite = np.isfinite(losses)
        mean = np.array([row[ok].mean() if ok.any() else np.inf for row, ok in zip(losses, finite)])
        diverged = ~finite | (losses > INITIAL_LOSS)
        out[name] = {"rates": np.asarray(rates), "final_loss_mean": mean, "diverged_fraction": diverged.mean(1)}
    return out


def batch_size(config: dict) -> dict:
    """Linear scaling rule: (B₀, η) vs (kB₀, kη) vs (kB₀, η), no warmup; gradient-noise RMS vs B (with replacement).

    B₀ is the smallest batch size of the config, η = 0.1; every run has the same epochs and seed.
    """
    X_tr, y_tr = map(jnp.asarray, load()[:2])
    n, loss = len(X_tr), loss_fn("softmax")
    out = {"fixed": {}, "scaled": {}}
    base, B0 = 0.1, min(config["batch_sizes"])
    for B in config["batch_sizes"]:
        for rule, lr in (("fixed", base), ("scaled", base * B / B0)):
            if B == B0 and rule == "scaled":  # the same run as fixed
                out[rule][str(B)] = out["fixed"][str(B)]
                continue
            _, tl, acc = train("softmax", jol.sgd(lr), jax.random.key(0), config["batch_epochs"], B)
            out[rule][str(B)] = {"rate": lr, "train_loss": np.asarray(tl), "test_accuracy": np.asarray(acc)}
    # RMS deviation of the minibatch gradient from the full gradient at a fixed point, batches with replacement
    params = jax.tree.map(lambda x: x + 0.01, init("softmax", jax.random.key(0)))
    full = jax.grad(loss)(params, (X_tr, y_tr))
    flat = lambda t: jnp.concatenate([x.ravel() for x in jax.tree.leaves(t)])
    rms = []
    for B in config["batch_sizes"]:
        idx = jax.random.randint(jax.random.key(B), (64, B), 0, n)
        devs = jax.vmap(lambda i: flat(jax.grad(loss)(params, (X_tr[i], y_tr[i]))) - flat(full))(idx)
        rms.append(float(jnp.sqrt(jnp.mean(jnp.sum(devs**2, 1)))))
    slope = float(np.polyfit(np.log(config["batch_sizes"]), np.log(rms), 1)[0])
    out["noise"] = {"batch_sizes": list(config["batch_sizes"]), "rms": rms, "slope": slope}
    return out


def run(config: dict) -> dict:
    """Numbers only: learning curves per model/optimizer, the rate sweep, the batch-size study."""
    return {"curves": curves(config), "sweep": sweep(config), "batch_size": batch_size(config)}


def _curves_figure(plt, model: str, runs: dict):
    """Minibatch runs (x: epoch) and full-batch runs (x: step = one pass over the data) in separate columns."""
    fig, axes = plt.subplots(2, 2, figsize=(14, 9), layout="constrained", sharey="row")
    for col, full in enumerate((False, True)):
        for name, r in ((n, r) for n, r in runs.items() if ("full batch" in n) == full):
            style = dict(ls="--", marker="x", markevery=max(1, len(r["train_loss"]) // 8)) if name in TWINS else {}
            x = np.arange(1, len(r["train_loss"]) + 1)
            axes[0, col].semilogy(x, r["train_loss"], label=name, **style)
            axes[1, col].plot(x, r["test_accuracy"], label=name, **style)
        xlabel = "full-batch step (= one epoch)" if full else f"epoch (minibatch B = {BATCH})"
        axes[0, col].set(xlabel=xlabel, ylabel="train loss", title=f"{model}: " + ("full batch" if full else "minibatch"))
        axes[1, col].set(xlabel=xlabel, ylabel="test accuracy", ylim=(0.5, 1.0))
        axes[1, col].legend(fontsize=8, ncol=2)
    return fig


def _sweep_figure(plt, sweep: dict):
    fig, ax = plt.subplots(figsize=(9, 4))
    names = list(sweep)
    grid = np.array([sweep[n]["final_loss_mean"] for n in names])
    im = ax.imshow(np.log10(np.clip(grid, 1e-3, 1e4)), aspect="auto", cmap="viridis")
    for i, n in enumerate(names):
        for j in np.nonzero(np.asarray(sweep[n]["diverged_fraction"]) > 0.5)[0]:
            ax.text(j, i, "×", ha="center", va="center", color="red", fontsize=14, fontweight="bold")
    ax.set_yticks(range(len(names)), names)
    rates = sweep[names[0]]["rates"]
    ax.set_xticks(range(len(rates))[::3], [f"{r:.0e}" for r in rates[::3]])
    ax.set(xlabel="learning rate", title="softmax regression: log10 final train loss (× = diverged)")
    fig.colorbar(im, ax=ax)
    return fig


def _batch_figure(plt, batch: dict):
    fig, axes = plt.subplots(1, 3, figsize=(18, 4.8), layout="constrained")
    B0 = min(int(b) for b in batch["fixed"])
    for ax, rule in zip(axes[:2], ("fixed", "scaled")):
        for B, r in batch[rule].items():
            ax.semilogy(np.arange(1, len(r["train_loss"]) + 1), r["train_loss"], "o-", markersize=3,
                        label=f"B = {B}, η = {r['rate']:.2g}")
        ax.set(xlabel="epoch", ylabel="train loss",
               title="same η = 0.1 for every B" if rule == "fixed" else f"η = 0.1·B/{B0} (linear scaling, no warmup)")
        ax.legend(fontsize=8)
    axes[1].sharey(axes[0])
    noise = batch["noise"]
    axes[2].loglog(noise["batch_sizes"], noise["rms"], "o-", label=f"measured, slope {noise['slope']:.3f}")
    ref = noise["rms"][0] * (np.asarray(noise["batch_sizes"]) / noise["batch_sizes"][0]) ** -0.5
    axes[2].loglog(noise["batch_sizes"], ref, "k--", label="slope −1/2")
    axes[2].set(xlabel="batch size B", ylabel="RMS ‖g_B − g‖", title="minibatch gradient noise")
    axes[2].set_xticks(noise["batch_sizes"], [str(b) for b in noise["batch_sizes"]], minor=False)
    axes[2].minorticks_off()
    axes[2].legend()
    return fig


def figures(results: dict, out: pathlib.Path) -> list[pathlib.Path]:
    plt = _common.pyplot()
    paths = [_common.save_figure(_curves_figure(plt, model, runs), out, f"digits_{model}_curves")
             for model, runs in results["curves"].items()]
    paths.append(_common.save_figure(_sweep_figure(plt, results["sweep"]), out, "digits_lr_sweep"))
    paths.append(_common.save_figure(_batch_figure(plt, results["batch_size"]), out, "digits_batch_size"))
    return paths


def summary(results: dict) -> str:
    rows = [(model, name, f"{r['final_accuracy_mean']:.3f} ± {r['final_accuracy_std']:.3f}")
            for model, runs in results["curves"].items() for name, r in runs.items()]
    text = _common.table(rows, ["model", "optimizer", "test accuracy"])
    rows = [(n, f"{r['rates'][np.argmin(r['final_loss_mean'])]:.2g}", f"{r['final_loss_mean'][0]:.3g}",
             f"{min(r['final_loss_mean']):.3g}", f"{sweep_divergence(r):.2g}")
            for n, r in results["sweep"].items()]
    text += "\n\n" + _common.table(rows, ["swept optimizer", "best rate", "loss at smallest rate", "best loss",
                                           "smallest diverging rate"])
    rows = [(B, r["rate"], float(r["train_loss"][-1]), rule)
            for rule in ("fixed", "scaled") for B, r in results["batch_size"][rule].items()]
    text += "\n\n" + _common.table(rows, ["batch size", "rate", "final train loss", "rule"])
    return text + f"\ngradient-noise slope vs B: {results['batch_size']['noise']['slope']:.3f} (theory −0.5)"


def sweep_divergence(r: dict) -> float:
    """The smallest swept rate from which every larger rate diverged (inf: the largest did not)."""
    diverged = np.asarray(r["diverged_fraction"]) > 0.5
    if not diverged[-1]:
        return float("inf")
    converged = np.nonzero(~diverged)[0]
    return float(r["rates"][converged[-1] + 1 if converged.size else 0])


def sweep_shape(results: dict) -> dict:
    """[001] too small / too large: per swept optimizer, smallest rate barely moves, largest diverge, best inside."""
    ok = 0
    for r in results["sweep"].values():
        loss, div = np.asarray(r["final_loss_mean"]), np.asarray(r["diverged_fraction"])
        best = int(np.argmin(loss))
        ok += bool(loss[0] > 0.9 * INITIAL_LOSS and div[-1] == 1.0 and div[best] == 0 and 0 < best < len(loss) - 1)
    return {"optimizers_slow_then_diverging": ok, "optimizers": len(results["sweep"])}


def linear_scaling(results: dict) -> dict:
    """Final train loss of (kB₀, kη) and of (kB₀, η) over that of (B₀, η), at the largest k of the run."""
    batch = results["batch_size"]
    B0, Bk = str(min(int(b) for b in batch["fixed"])), str(max(int(b) for b in batch["fixed"]))
    final = lambda rule, B: float(batch[rule][B]["train_loss"][-1])
    return {"k": int(Bk) // int(B0), "scaled_over_base": final("scaled", Bk) / final("fixed", B0),
            "fixed_over_base": final("fixed", Bk) / final("fixed", B0)}


CAPTIONS = {
    "digits_softmax_curves": "Learning curves ([001]): every optimizer trains softmax regression on digits; mean over "
                             "seeds. Left: minibatch runs per epoch; right: full-batch Rprop and Quickprop per step "
                             "(one step = one pass over the data). Dashed with ×: AdamW lies on Adam (its decoupled "
                             "decay η·λ = 1e-6 per step is too small to show) and Nesterov on momentum.",
    "digits_svm_curves": "Linear multiclass SVM (Weston–Watkins hinge, margin 1, coupled L2) — [002]'s linear classifier; "
                         "minibatch runs per epoch (left), full-batch runs per step (right).",
    "digits_mlp_curves": "A 64-128-10 tanh MLP: minibatch runs per epoch (left), full-batch Rprop and Quickprop per step "
                         "(right). Dashed with ×: AdamW coincides with Adam (decay η·λ = 1e-6 per step) and "
                         "Nesterov with momentum. Adam and Adagrad lead after the first epoch; RMSprop (η = 1e-3) "
                         "trails; the final accuracies are in the table.",
    "digits_lr_sweep": "[001] choosing the learning rate: at the smallest rates the loss barely leaves log 10 (too slow), "
                       "the best rate is inside the grid, and from about 1–10 upwards every run diverges (×: final loss "
                       "above the starting loss log 10; the loss then grows with the rate). Every rate × 5 seeds ran in "
                       "one jax.vmap per optimizer.",
    "digits_batch_size": "Linear scaling rule ([002]), without warmup and with the same epochs and seed: batch kB₀ with "
                         "rate kη (middle) stays close to the curve of B₀ with η (final losses in the table; the "
                         "rule frays at the largest k), while kB₀ with the same η (left) is far behind — it takes k "
                         "times fewer steps of the same size. Right: the minibatch gradient noise "
                         "falls like B^(−1/2) ([001] σ/√B).",
}


CLAIMS = (
    _claims.Claim(
        "lr-too-small-too-large", "001", "Learning rate too high: update may “overshoot” its goal; "
        "learning rate too slow: progress may be slow", "digits_lr_sweep", measure=sweep_shape,
        verdict=_claims.at_least("optimizers_slow_then_diverging", 3, partly=1,
                                 what="swept optimizers (of 3) whose smallest rate stays within 10% of log 10, "
                                      "best rate is inside the grid and largest rate diverges"),
        examples=({"optimizers_slow_then_diverging": 3, "optimizers": 3},
                  {"optimizers_slow_then_diverging": 0, "optimizers": 3})),
    _claims.Claim(
        "linear-scaling-rule", "002", "If you increase the batch size by N, also scale the initial learning rate by N",
        "digits_batch_size", measure=linear_scaling,
        verdict=_claims.all_of(
            _claims.between("scaled_over_base", 0.7, 1.35, what="final loss (kB, kη) / (B, η)"),
            _claims.at_least("fixed_over_base", 1.5, what="final loss (kB, η) / (B, η)")),
        examples=({"k": 16, "scaled_over_base": 1.1, "fixed_over_base": 2.9},
                  {"k": 16, "scaled_over_base": 2.5, "fixed_over_base": 2.9})),
    _claims.Claim(
        "gradient-noise-sqrt-b", "001", "the standard error of the mean of B samples is given by σ/√B",
        "digits_batch_size", measure=lambda r: {"slope": r["batch_size"]["noise"]["slope"]},
        verdict=_claims.between("slope", -0.55, -0.45, what="log-log slope of RMS ‖g_B − g‖ against B"),
        examples=({"slope": -0.5}, {"slope": -0.2})),
    _claims.Claim(
        "adam-good-default", "002", "Adam is a good default choice in many cases; it often works ok even with "
        "constant learning rate", "digits_softmax_curves",
        measure=lambda r: {"adam_worst_accuracy": min(m["adam"]["final_accuracy_mean"] for m in r["curves"].values()),
                           "adam_minus_sgd": min(m["adam"]["final_accuracy_mean"] - m["sgd"]["final_accuracy_mean"]
                                                 for m in r["curves"].values())},
        verdict=_claims.all_of(
            _claims.at_least("adam_worst_accuracy", 0.93, what="Adam (constant 1e-2) test accuracy, worst model"),
            _claims.at_least("adam_minus_sgd", -0.01, what="Adam − SGD accuracy, worst model")),
        examples=({"adam_worst_accuracy": 0.96, "adam_minus_sgd": 0.01},
                  {"adam_worst_accuracy": 0.80, "adam_minus_sgd": -0.1})),
)


def main(argv=None) -> None:
    _common.cli(sys.modules[__name__], argv)


if __name__ == "__main__":
    main()
