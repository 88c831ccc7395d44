"""Classifiers on sklearn's bundled digits with every optimizer: learning curves, seeds, sweeps, batch size.

Softmax regression, a linear multiclass SVM (hinge, margin 1, coupled L2) and a 64-128-10 tanh MLP
on ``load_digits`` (1797 × 64, pixels scaled to [0, 1], stratified split 1437/360, seed 0).
(1) learning curves (train loss, test accuracy per epoch) and final test accuracy mean ± std over
seeds for every optimizer ([001] learning curves, [002] linear classifiers); (2) a learning-rate ×
optimizer sweep over ≥16 log-spaced rates × 5 seeds, all lanes in ONE compiled ``jax.vmap`` per
optimizer ([002] "choosing the learning rate": too small is slow, too large diverges);
(3) the linear scaling rule ([002]): batch size B with a fixed rate vs rate ∝ B (+ warmup), and the
minibatch gradient noise, whose RMS falls like B^(−1/2) ([001] standard error σ/√B). SPEC.md E8–E10.
"""

from __future__ import annotations

import functools
import pathlib
import sys

import jax
import jax.numpy as jnp
import numpy as np

import jaxopt_lectures as jol
from experiments import _common

FULL = dict(epochs=50, seeds=5, models=("softmax", "svm", "mlp"), sweep_rates=22, sweep_epochs=20,
            batch_sizes=(16, 32, 64, 128, 256, 512), batch_epochs=30, full_batch_steps=300)
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
SWEEP_RANGE = (1e-5, 100.0)  # one log grid for all, so the heatmap columns share a rate


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
    if model == "svm":  # the linear SVM's regulariser λ‖W‖² as coupled L2 (SPEC.md E8)
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
        out[name] = {"rates": np.asarray(rates), "final_loss_mean": mean, "diverged_fraction": 1 - finite.mean(1)}
    return out


def batch_size(config: dict) -> dict:
    """Linear scaling rule: fixed rate vs rate·B/32 with warmup; gradient-noise RMS vs B (with replacement)."""
    X_tr, y_tr = map(jnp.asarray, load()[:2])
    n, loss = len(X_tr), loss_fn("softmax")
    out = {"fixed": {}, "scaled": {}}
    base = 0.1
    for B in config["batch_sizes"]:
        steps_per_epoch = n // B
        scaled = jol.linear_warmup(jol.batch_size_scaled(base, B, 32), warmup_steps=2 * steps_per_epoch)
        for rule, lr in (("fixed", base), ("scaled", scaled)):
            _, tl, acc = train("softmax", jol.sgd(lr), jax.random.key(B), config["batch_epochs"], B)
            out[rule][str(B)] = {"train_loss": np.asarray(tl), "test_accuracy": np.asarray(acc)}
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


def figures(results: dict, out: pathlib.Path) -> list[pathlib.Path]:
    plt = _common.pyplot()
    paths = []
    for model, runs in results["curves"].items():
        fig, (ax, ax2) = plt.subplots(1, 2, figsize=(14, 5))
        for name, r in runs.items():
            ax.semilogy(np.arange(1, len(r["train_loss"]) + 1), r["train_loss"], label=name)
            ax2.plot(np.arange(1, len(r["test_accuracy"]) + 1), r["test_accuracy"], label=name)
        ax.set(xlabel="epoch (full-batch runs: step)", ylabel="train loss", title=f"{model}: train loss")
        ax2.set(xlabel="epoch (full-batch runs: step)", ylabel="test accuracy", title=f"{model}: test accuracy",
                ylim=(0.5, 1.0))
        ax2.legend(fontsize=8, ncol=2)
        paths.append(_common.save_figure(fig, out, f"digits_{model}_curves"))

    fig, ax = plt.subplots(figsize=(8, 4))
    names = list(results["sweep"])
    grid = np.array([results["sweep"][n]["final_loss_mean"] for n in names])
    im = ax.imshow(np.log10(np.clip(grid, 1e-3, 1e2)), aspect="auto", cmap="viridis")  # diverged runs: inf -> top
    ax.set_yticks(range(len(names)), names)
    rates = results["sweep"][names[0]]["rates"]
    ax.set_xticks(range(len(rates))[::3], [f"{r:.0e}" for r in rates[::3]])
    ax.set(xlabel="learning rate", title="softmax regression: log10 final train loss (bright = high or diverged)")
    fig.colorbar(im, ax=ax)
    paths.append(_common.save_figure(fig, out, "digits_lr_sweep"))

    fig, axes = plt.subplots(1, 3, figsize=(18, 4.8), layout="constrained")
    for ax, rule in zip(axes[:2], ("fixed", "scaled")):
        for B, r in results["batch_size"][rule].items():
            ax.semilogy(np.arange(1, len(r["train_loss"]) + 1), r["train_loss"], label=f"B = {B}")
        ax.set(xlabel="epoch", ylabel="train loss", title=f"{rule} rate" + (" (η·B/32, warmup)" if rule == "scaled" else " η = 0.1"))
        ax.legend(fontsize=8)
    noise = results["batch_size"]["noise"]
    axes[2].loglog(noise["batch_sizes"], noise["rms"], "o-", label=f"measured, slope {noise['slope']:.3f}")
    ref = noise["rms"][0] * (np.asarray(noise["batch_sizes"]) / noise["batch_sizes"][0]) ** -0.5
    axes[2].loglog(noise["batch_sizes"], ref, "k--", label="slope −1/2")
    axes[2].set(xlabel="batch size B", ylabel="RMS ‖g_B − g‖", title="minibatch gradient noise")
    axes[2].set_xticks(noise["batch_sizes"], [str(b) for b in noise["batch_sizes"]], minor=False)
    axes[2].minorticks_off()
    axes[2].legend()
    paths.append(_common.save_figure(fig, out, "digits_batch_size"))
    return paths


def summary(results: dict) -> str:
    best = {n: float(r["rates"][np.argmin(r["final_loss_mean"])]) for n, r in results["sweep"].items()}
    rows = [(model, name, f"{r['final_accuracy_mean']:.3f} ± {r['final_accuracy_std']:.3f}")
            for model, runs in results["curves"].items() for name, r in runs.items()]
    text = _common.table(rows, ["model", "optimizer", "test accuracy"])
    text += "\nbest swept rate: " + ", ".join(f"{n} {r:.2g}" for n, r in best.items())
    return text + f"\ngradient-noise slope vs B: {results['batch_size']['noise']['slope']:.3f} (theory −0.5)"


CAPTIONS = {
    "digits_softmax_curves": "Learning curves ([001]): every optimizer trains softmax regression on digits; "
                             "test accuracy per epoch, mean over seeds.",
    "digits_svm_curves": "Linear multiclass SVM (Weston–Watkins hinge, margin 1, coupled L2) — [002]'s linear classifier.",
    "digits_mlp_curves": "A 64-128-10 tanh MLP: the adaptive methods and momentum reach high accuracy fastest.",
    "digits_lr_sweep": "[002] choosing the learning rate: too small is slow, too large diverges (bright = high loss). "
                       "Every rate × 5 seeds ran in one jax.vmap per optimizer.",
    "digits_batch_size": "Linear scaling rule ([002]): scaling η with B (plus warmup) keeps the per-epoch curves close; "
                         "the minibatch gradient noise falls like B^(−1/2) ([001] σ/√B).",
}


def main(argv=None) -> None:
    _common.cli(sys.modules[__name__], argv)


if __name__ == "__main__":
    main()
