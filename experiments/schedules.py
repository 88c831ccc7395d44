"""Every learning-rate schedule of the lectures on one grid, with optax/torch overplotted (docs/spec/schedules.md).

One panel per schedule over a common horizon (10 000 updates; ``--quick``: 2 000): step decay at
epochs 30/60/90, exponential (continuous and staircase), 1/t, inverse sqrt with and without warmup,
the Transformer schedule, polynomial, linear, cosine, SGDR with period_mult 1 and 2, warmup + cosine,
cyclic, batch-size scaling and reduce_on_plateau on a scripted loss. Dashed lines are the optax /
torch.optim.lr_scheduler configurations that must coincide with ours (the torch curves only where
torch is installed: it is in the test extra, not the experiments one; the figure's title says which
were drawn); the JSON holds every value and the largest deviation max|ours − ref| / max|ref| per
reference.

    python -m experiments.schedules [--quick] [--out DIR]
"""

from __future__ import annotations

import pathlib
import sys
from collections.abc import Callable
from typing import Any

import jax
import numpy as np
import optax

import jaxopt_lectures as jol
from experiments import _claims, _common
from tests.reference.schedules import plateau_scales, scripted_loss, torch_plateau_rates, torch_rates

FULL, QUICK = dict(steps=10_000), dict(steps=2_000)


def _optax(schedule: Callable[[Any], Any]) -> Callable[[np.ndarray], np.ndarray]:
    return lambda t: np.asarray(jax.vmap(schedule)(t), np.float64)


def panels(H: int) -> dict[str, dict[str, Any]]:
    """Panel -> {"ours": {label: schedule}, "refs": {label: counts -> values}} for the horizon H."""
    epoch = H // 100
    w_tf = 4000 * H // 10_000
    n = lambda t: len(t)
    return {
        "constant": {"ours": {"0.05": jol.constant_schedule(0.05)},
                     "refs": {"optax constant": _optax(optax.constant_schedule(0.05))}},
        "step decay ×0.1 at epochs 30/60/90": {
            "ours": {"per_epoch(step_decay)": jol.per_epoch(jol.step_decay(0.1, [30, 60, 90]), epoch)},
            "refs": {"torch MultiStepLR": lambda t: np.repeat(torch_rates("MultiStepLR", 0.1, 100, milestones=[30, 60, 90],
                                                                          gamma=0.1), epoch)[: n(t)]}},
        "exponential": {
            "ours": {"continuous": jol.exponential_decay(0.1, 0.5, H // 5),
                     "staircase": jol.exponential_decay(0.1, 0.5, H // 5, staircase=True)},
            "refs": {"optax continuous": _optax(optax.exponential_decay(0.1, H // 5, 0.5)),
                     "optax staircase": _optax(optax.exponential_decay(0.1, H // 5, 0.5, staircase=True))}},
        "inverse time 1/t": {"ours": {"η0/(1+10t/H)": jol.inverse_time_decay(0.1, 10.0, H)}, "refs": {}},
        "inverse sqrt": {"ours": {"w = 0": jol.inverse_sqrt_decay(0.1),
                                  f"w = {H // 20}": jol.inverse_sqrt_decay(0.1, H // 20)}, "refs": {}},
        f"transformer d=512, w={w_tf}": {"ours": {"transformer": jol.transformer_schedule(512, w_tf)}, "refs": {}},
        "polynomial p=2": {"ours": {"to 0": jol.polynomial_decay(0.1, 0.0, 2.0, H)},
                           "refs": {"optax polynomial": _optax(optax.polynomial_schedule(0.1, 0.0, 2.0, H)),
                                    "torch PolynomialLR": lambda t: torch_rates("PolynomialLR", 0.1, n(t), total_iters=H,
                                                                                power=2.0)}},
        "linear": {"ours": {"to 0.01": jol.linear_decay(0.1, 0.01, H)},
                   "refs": {"optax linear": _optax(optax.linear_schedule(0.1, 0.01, H))}},
        "cosine alpha=0.1": {"ours": {"cosine": jol.cosine_decay(0.1, H, alpha=0.1)},
                             "refs": {"optax cosine": _optax(optax.cosine_decay_schedule(0.1, H, alpha=0.1)),
                                      "torch CosineAnnealingLR": lambda t: torch_rates(
                                          "CosineAnnealingLR", 0.1, n(t), T_max=H, eta_min=0.01)}},
        "SGDR": {"ours": {"mult 1": jol.sgdr(0.1, H // 5), "mult 2": jol.sgdr(0.1, H // 31, period_mult=2)},
                 "refs": {"torch mult 1": lambda t: torch_rates("CosineAnnealingWarmRestarts", 0.1, n(t), T_0=H // 5),
                          "torch mult 2": lambda t: torch_rates("CosineAnnealingWarmRestarts", 0.1, n(t),
                                                                T_0=H // 31, T_mult=2)}},
        "linear warmup + cosine": {
            "ours": {"warmup": jol.linear_warmup(jol.cosine_decay(0.1, H - H // 10), H // 10)},
            "refs": {"optax warmup_cosine": _optax(optax.warmup_cosine_decay_schedule(0.0, 0.1, H // 10, H))}},
        "cyclic triangular": {
            "ours": {"cyclic": jol.cyclic_triangular(0.01, 0.1, H // 8)},
            "refs": {"torch CyclicLR": lambda t: torch_rates("CyclicLR", 0.01, n(t), base_lr=0.01, max_lr=0.1,
                                                             step_size_up=H // 8, cycle_momentum=False)}},
        "batch-size scaled (B=256, B0=32)": {
            "ours": {"8 × cosine": jol.batch_size_scaled(jol.cosine_decay(0.01, H), 256, 32),
                     "cosine": jol.cosine_decay(0.01, H)}, "refs": {}},
    }


def _overlaid(ref_label: str, ours: dict[str, np.ndarray]) -> np.ndarray:
    """The curve a reference overlays: "<library> <our label>", or the only curve of the panel."""
    return ours[ref_label.split(" ", 1)[1]] if len(ours) > 1 else next(iter(ours.values()))


def _deviation(ours: np.ndarray, ref: np.ndarray) -> float:
    ok = np.isfinite(ref)
    return float(np.abs(ours[ok] - ref[ok]).max() / np.abs(ref[ok]).max())


def _torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:  # torch is in the test extra only
        return False
    return True


def run(config: dict) -> dict:
    """Values of every schedule, its references and the deviations (numbers only, no files)."""
    H = config["steps"]
    t = np.arange(H)
    use_torch = config.get("torch", _torch_available())
    results: dict[str, Any] = {"counts": t, "panels": {}, "torch": bool(use_torch)}
    for name, panel in _common.progress(panels(H).items(), desc="schedules"):
        ours = {label: np.asarray(jax.jit(s)(t), np.float64) for label, s in panel["ours"].items()}
        refs = {label: ref(t) for label, ref in panel["refs"].items() if use_torch or not label.startswith("torch")}
        deviation = {label: _deviation(_overlaid(label, ours), ref) for label, ref in refs.items()}
        results["panels"][name] = {"ours": ours, "refs": refs, "max_rel_dev": deviation}
    losses = scripted_loss(min(H, 400))
    plateau = dict(factor=0.5, patience=10, cooldown=5)
    results["plateau"] = {
        "loss": losses,
        "ours": plateau_scales(jol.reduce_on_plateau(**plateau), losses),
        "optax.contrib": plateau_scales(optax.contrib.reduce_on_plateau(**plateau), losses),
        **({"torch (patience − 1)": torch_plateau_rates(losses, factor=0.5, patience=9, cooldown=5)} if use_torch else {}),
    }
    sgdr2 = jol.sgdr(0.1, 7, period_mult=2)
    restarts = np.array([7 * (2**i - 1) for i in range(20)])
    results["sgdr_restart_values"] = np.asarray(sgdr2(restarts), np.float64)
    return results


def figure(results: dict, out: pathlib.Path) -> pathlib.Path:
    plt = _common.pyplot()
    names = list(results["panels"])
    cols = 4
    rows = -(-(len(names) + 1) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False)
    t = results["counts"]
    for ax, name in zip(axes.flat, names):
        panel = results["panels"][name]
        for label, v in panel["ours"].items():
            ax.plot(t, v, label=label)
        for label, v in panel["refs"].items():
            ax.plot(t, v, "--", lw=1.2, label=label)
        ax.set_title(name)
        ax.set_ylabel("learning rate")
        ax.legend(fontsize=7)
    ax = axes.flat[len(names)]
    p = results["plateau"]
    for label in ("ours", "optax.contrib", "torch (patience − 1)"):
        if label in p:
            ax.plot(p[label], "-" if label == "ours" else "--", label=f"scale: {label}")
    ax.plot(p["loss"] / p["loss"].max(), ":", label="loss / max")
    ax.set_title("reduce_on_plateau (patience 10)")
    ax.set_ylabel("rate scale / loss")
    ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(names) + 1:]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("count (0-based)")
    refs = "optax and torch" if results.get("torch") else "optax only (torch not installed)"
    fig.suptitle(f"ours: solid; references dashed: {refs}")
    fig.tight_layout()
    return _common.save_figure(fig, out, "schedules")


def figures(results: dict, out: pathlib.Path) -> list[pathlib.Path]:
    return [figure(results, out)]


def summary(results: dict) -> str:
    rows = [(name, label, dev) for name, panel in results["panels"].items() for label, dev in panel["max_rel_dev"].items()]
    return _common.table(rows, ["schedule", "reference", "max|ours − ref| / max|ref|"])


CAPTIONS = {
    "schedules": "Every learning-rate schedule of the lectures ([000], [001], [002]), rate against update count, with "
                 "the optax reference dashed and, where torch is installed (the figure's title says whether it was), "
                 "the torch.optim.lr_scheduler one; the deviations are in the table. Panels without a dashed line "
                 "(1/t, inverse sqrt, Transformer, batch-size scaling) have no library counterpart. The last panel drives "
                 "reduce_on_plateau with a scripted loss: ours equals optax.contrib, and torch's ReduceLROnPlateau "
                 "needs patience − 1 for the same sequence.",
}


def _deviation_of(*panels: str):
    """measure(results): the largest deviation from any reference of the named panels (and how many refs)."""

    def measure(results: dict) -> dict:
        devs = [d for name in panels for d in results["panels"][name]["max_rel_dev"].values()]
        return {"max_rel_dev": max(devs) if devs else float("nan"), "references": len(devs)}

    return measure


def step_decay_levels(results: dict) -> dict:
    """The distinct rates of the step-decay panel and the update counts where they change."""
    values = np.asarray(results["panels"]["step decay ×0.1 at epochs 30/60/90"]["ours"]["per_epoch(step_decay)"])
    epoch = len(values) // 100
    changes = (np.nonzero(np.diff(values))[0] + 1) // epoch
    levels = values[np.r_[0, np.nonzero(np.diff(values))[0] + 1]]
    return {"change_epochs": changes.tolist(), "levels_over_first": (levels / levels[0]).tolist(),
            "as_lecture": changes.tolist() == [30, 60, 90] and np.allclose(levels / levels[0], [1, 0.1, 0.01, 0.001],
                                                                            rtol=1e-5)}


_AGREES = dict(verdict=_claims.at_most("max_rel_dev", 1e-6, what="max |ours − reference| / max |reference|"),
               examples=({"max_rel_dev": 1e-7, "references": 2}, {"max_rel_dev": 0.05, "references": 2}))

CLAIMS = (
    _claims.Claim(
        "step-decay-resnet", "002", "Step: Reduce learning rate at a few fixed points. E.g. for ResNets, multiply LR "
        "by 0.1 after epochs 30, 60, and 90.", "schedules", measure=step_decay_levels,
        verdict=_claims.is_true("as_lecture", what="rate ×0.1 exactly at epochs 30, 60, 90"),
        examples=({"as_lecture": True}, {"as_lecture": False})),
    _claims.Claim(
        "decay-schedules-match-references", "000", "Polynomial decay: learning rate is multiplied by some polynomial "
        "of t; exponential decay: learning rate is multiplied by a constant each batch/epoch; cosine decay",
        "schedules", measure=_deviation_of("exponential", "polynomial p=2", "linear", "cosine alpha=0.1"), **_AGREES),
    _claims.Claim(
        "sgdr-cosine-annealing", "001", "“Cosine annealing” with warm restarts (SGDR, Loshchilov & Hutter)",
        "schedules",
        measure=lambda r: {"restart_max_dev": float(np.max(np.abs(np.asarray(r["sgdr_restart_values"]) - 0.1))),
                           **_deviation_of("SGDR", "cosine alpha=0.1")(r)},
        verdict=_claims.all_of(
            _claims.at_most("restart_max_dev", 1e-7, what="max |rate at each restart − η_max|"),
            _claims.at_most("max_rel_dev", 1e-6, what="max deviation from the cosine/SGDR references")),
        examples=({"restart_max_dev": 0.0, "max_rel_dev": 1e-7, "references": 3},
                  {"restart_max_dev": 0.02, "max_rel_dev": 1e-7, "references": 3})),
    _claims.Claim(
        "linear-warmup", "002", "linearly increasing learning rate from 0 over the first ~5,000 iterations",
        "schedules", measure=_deviation_of("linear warmup + cosine"), **_AGREES),
)


def main(argv=None) -> None:
    _common.cli(sys.modules[__name__], argv)


if __name__ == "__main__":
    main()
