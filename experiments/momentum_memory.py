"""Momentum's decaying memory: impulse response βᵏ, memory 1/(1−β), a low-pass filter, the canyon figure.

(1) One gradient g₁ = 1 followed by zeros, fed through ``jol.momentum(η, β)``'s update: the k-th
later update is −ηβᵏ (trace form, [002] ρ, [003] μ) and −η(1−β)βᵏ in [001]'s EMA form
m(t) = μᵗm(0) + (1−μ)Σ μ^{t−i} g^(i). The weights sum to the effective memory 1/(1−β) (trace);
[001]'s continuous-time picture m(t) = m(t₀)e^{−(1−μ)t} matches μᵏ for μ near 1.
(2) A constant gradient is amplified to 1/(1−β) (the terminal velocity), an alternating one
(+1, −1, …) damped to 1/(1+β): momentum "keeps the historic direction … and dampens oscillations" ([003]).
(3) [000]'s momentum figure (Goodfellow, Bengio & Courville, Deep Learning, Fig. 8.5): contours of an
ill-conditioned quadratic, the momentum path, and at each of its points the step gradient descent
would take; gradient descent's own path for comparison. (4) [002]: the trace form
(v ← ρv + ∇f, x ← x − αv) and the velocity form (v ← ρv − α∇f, x ← x + v) give the same x under a
constant rate (they differ under a schedule). docs/spec/momentum.md.
"""

from __future__ import annotations

import pathlib
import sys

import jax
import jax.numpy as jnp
import numpy as np

import jaxopt_lectures as jol
from experiments import _claims, _common

FULL = dict(response_steps=2000, canyon_steps=60)
QUICK = dict(response_steps=1000, canyon_steps=60)
BETAS = (0.5, 0.9, 0.99)
ETA = 0.1
SHOWN = 500  # updates of the constant / alternating responses kept for the figure
# start at the far end of the canyon, slightly up its steep wall: (flat, steep) eigen-coordinates (−10, 1)
CANYON = dict(curvatures=(1.0, 50.0), angle_deg=30.0, start=(-10.0, 1.0), eta=1.5 / 50.0, beta=0.8)


def responses(form: str, steps: int) -> np.ndarray:
    """−Δ_t/η of ``jol.momentum(η, β, form=form)`` for inputs (impulse, constant, alternating) × β × t."""
    t = jnp.arange(steps)
    inputs = jnp.stack([(t == 0).astype(jnp.float32), jnp.ones(steps), (-1.0) ** t])

    def one(beta, g):
        tx = jol.momentum(ETA, beta, form=form)

        def step(state, g_t):
            update, state = tx.update(g_t[None], state)
            return state, -update[0] / ETA

        return jax.lax.scan(step, tx.init(jnp.zeros(1)), g)[1]

    sweep = jax.jit(jax.vmap(lambda g: jax.vmap(lambda b: one(b, g))(jnp.asarray(BETAS))))
    return np.asarray(sweep(inputs), np.float64)


def memory(config: dict) -> dict:
    """Impulse, step and alternating responses of both forms, against βᵏ, 1/(1−β) and 1/(1+β)."""
    steps = config["response_steps"]
    k = np.arange(steps)
    trace, ema = responses("trace", steps), responses("ema", steps)
    out = {}
    for j, beta in enumerate(BETAS):
        impulse = trace[0, j]
        horizon = int(round(1 / (1 - beta)))
        out[str(beta)] = {
            "impulse": impulse, "impulse_error": float(np.max(np.abs(impulse - beta**k))),
            "ema_error": float(np.max(np.abs(ema[0, j] - (1 - beta) * beta**k))),
            "memory": float(impulse.sum()), "predicted_memory": 1 / (1 - beta),
            "constant_gain": float(trace[1, j, -1]), "alternating_gain": float(np.abs(trace[2, j, -1])),
            "constant": trace[1, j, :SHOWN], "alternating": trace[2, j, :SHOWN],
            "continuous_gap": float(abs(beta**horizon / np.exp(-(1 - beta) * horizon) - 1))}
    return out


def _canyon():
    """The quadratic ½(θ−0)ᵀA θ with eigenvalues CANYON['curvatures'], rotated by angle_deg; (f, Q)."""
    a = np.deg2rad(CANYON["angle_deg"])
    Q = jnp.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]], jnp.float32)
    A = Q @ jnp.diag(jnp.asarray(CANYON["curvatures"], jnp.float32)) @ Q.T
    return (lambda x: 0.5 * x @ A @ x), Q


def canyon(config: dict) -> dict:
    """GD and heavy ball (trace and velocity forms, constant rate and a step schedule) on the canyon.

    One ``jax.vmap`` per form over (β, schedule decay): β = 0 is gradient descent, decay 0.5 halves
    the rate every 10 steps (under it the two forms differ).
    """
    f, Q = _canyon()
    x0 = Q @ jnp.asarray(CANYON["start"], jnp.float32)
    eta, beta, steps = CANYON["eta"], CANYON["beta"], config["canyon_steps"]
    runs = {"trace": {"gd": (0.0, 1.0), "momentum": (beta, 1.0), "momentum, schedule": (beta, 0.5)},
            "velocity": {"momentum velocity form": (beta, 1.0), "momentum velocity form, schedule": (beta, 0.5)}}
    out = {}
    for form, lanes in runs.items():
        def one(b, decay):
            tx = jol.momentum(lambda count: eta * decay ** (count // 10), b, form=form)
            return jol.minimize(f, x0, tx, steps)[1]

        betas, decays = (jnp.asarray(v, jnp.float32) for v in zip(*lanes.values()))
        traces = jax.jit(jax.vmap(one))(betas, decays)
        for i, name in enumerate(lanes):
            path = np.asarray(traces.params[i], np.float64)
            eig = path @ np.asarray(Q)  # coordinates along the (flat, steep) eigenvectors
            out[name] = {"path": path, "loss": np.asarray(traces.loss[i]),
                         "flat_left": float(abs(eig[-1, 0]) / abs(eig[0, 0]))}
    scale = np.max(np.abs(out["momentum"]["path"]))
    gap = lambda a, b: float(np.max(np.abs(out[a]["path"] - out[b]["path"])) / scale)
    out["forms_gap"] = gap("momentum", "momentum velocity form")
    out["forms_gap_schedule"] = gap("momentum, schedule", "momentum velocity form, schedule")
    out["flat_progress_ratio"] = out["gd"]["flat_left"] / out["momentum"]["flat_left"]
    out["gd_arrows"] = -eta * np.asarray(jax.vmap(jax.grad(f))(jnp.asarray(out["momentum"]["path"], jnp.float32)))
    return out


def run(config: dict) -> dict:
    return {"memory": memory(config), "canyon": canyon(config)}


def figures(results: dict, out: pathlib.Path) -> list[pathlib.Path]:
    plt = _common.pyplot()
    paths = []
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(14, 5))
    for beta, r in results["memory"].items():
        b = float(beta)
        x = np.arange(len(r["impulse"])) * (1 - b)  # k in units of the memory 1/(1−β)
        shown = x <= 6
        every = max(1, int(shown.sum() // 40))
        line, = ax.semilogy(x[shown][::every], r["impulse"][shown][::every], "o", markersize=4,
                            label=f"β = {beta}: measured")
        ax.semilogy(x[shown], b ** (x[shown] / (1 - b)), "-", color=line.get_color(), linewidth=1)
        t = np.arange(1, len(r["constant"]) + 1)
        ax2.loglog(t, r["constant"], "-", color=line.get_color(), label=f"β = {beta}: constant g = 1")
        ax2.loglog(t, np.abs(r["alternating"]), "--", color=line.get_color(), linewidth=1,
                   label=f"β = {beta}: |alternating ±1|")
    x = np.linspace(0, 6, 100)
    ax.semilogy(x, np.exp(-x), "k:", linewidth=2, label=r"$e^{-(1-\beta)k}$ (continuous time)")
    ax.set(xlabel="k(1 − β): updates after the gradient, in units of the memory 1/(1−β)",
           ylabel=r"share of $g_1$ in the update $\Delta_{1+k}/(-\eta)$",
           title=r"Impulse response of momentum: dots measured, lines $\beta^k$", ylim=(1e-4, 1.5))
    ax2.set(xlabel="update t", ylabel=r"$|\Delta_t|/\eta$",
            title="Constant gradients add up to 1/(1−β), alternating ones to 1/(1+β)")
    ax.legend(fontsize=9)
    ax2.legend(fontsize=8)
    paths.append(_common.save_figure(fig, out, "momentum_memory_impulse"))

    c = results["canyon"]
    f, _ = _canyon()
    fig, ax = plt.subplots(figsize=(9, 5.5))
    xs, ys = np.meshgrid(np.linspace(-10, 2, 200), np.linspace(-6.5, 2, 200))
    zs = np.asarray(jax.vmap(f)(jnp.stack([xs.ravel(), ys.ravel()], 1))).reshape(xs.shape)
    ax.contour(xs, ys, zs, levels=np.geomspace(0.05, zs.max(), 15), colors="0.6", linewidths=0.8)
    gd, mom = np.asarray(c["gd"]["path"]), np.asarray(c["momentum"]["path"])
    ax.plot(gd[:, 0], gd[:, 1], ".-", color="0.35", linewidth=1, markersize=4, label="gradient descent")
    ax.plot(mom[:, 0], mom[:, 1], ".-", color="red", linewidth=1.8, markersize=4, label=f"momentum β = {CANYON['beta']}")
    arrows = np.asarray(c["gd_arrows"])
    ax.quiver(mom[:-1, 0], mom[:-1, 1], arrows[:-1, 0], arrows[:-1, 1], angles="xy", scale_units="xy", scale=1,
              width=0.003, color="black", label="step GD would take there")
    ax.set(xlabel=r"$\theta_1$", ylabel=r"$\theta_2$", aspect="equal", xlim=(-10, 2), ylim=(-6.5, 2),
           title=f"Ill-conditioned quadratic (κ = 50), η = 1.5/λmax, {len(mom) - 1} steps")
    ax.legend(loc="lower right", fontsize=9)
    paths.append(_common.save_figure(fig, out, "momentum_memory_canyon"))
    return paths


def summary(results: dict) -> str:
    rows = [(beta, r["impulse_error"], r["memory"], r["predicted_memory"], r["constant_gain"], r["alternating_gain"],
             1 / (1 + float(beta)), r["continuous_gap"]) for beta, r in results["memory"].items()]
    text = _common.table(rows, ["β", "max|response − βᵏ|", "Σ response", "1/(1−β)", "constant gain",
                                "alternating gain", "1/(1+β)", "|βᵏ/e^{−(1−β)k} − 1| at k = 1/(1−β)"])
    c = results["canyon"]
    return text + (f"\ncanyon: flat-direction distance left after {len(c['gd']['loss']) - 1} steps: GD "
                   f"{c['gd']['flat_left']:.3g}, momentum {c['momentum']['flat_left']:.3g}; trace vs velocity form: "
                   f"max gap {c['forms_gap']:.1e} (constant rate), {c['forms_gap_schedule']:.1e} (step schedule)")


CAPTIONS = {
    "momentum_memory_impulse": "Left: one gradient followed by zeros, through jol.momentum: the k-th later update "
                               "carries βᵏ of it (dots on the lines), so the memory is Σβᵏ = 1/(1−β) = 2, 10, 100 "
                               "steps; [001]'s continuous-time e^{−(1−β)k} (dotted) is close only for β near 1. "
                               "Right: a constant gradient builds up to 1/(1−β), an alternating one settles at 1/(1+β).",
    "momentum_memory_canyon": "[000]'s momentum figure recreated: on an ill-conditioned quadratic (κ = 50) the momentum "
                              "path (red) runs along the canyon while the steps gradient descent would take at its "
                              "points (arrows) point across it; gradient descent itself (grey) zigzags at first, then "
                              "crawls along the canyon floor and after the same 60 steps is still far from the "
                              "minimum at (0, 0).",
}

CLAIMS = (
    _claims.Claim(
        "momentum-ema-impulse", "001",
        "m^(t) = μ^t m^(0) + (1 − μ) ∑_{i=1}^t μ^{t−i} g^(i)",
        "momentum_memory_impulse",
        measure=lambda r: {"max_error": max(v["ema_error"] for v in r["memory"].values())},
        verdict=_claims.at_most("max_error", 1e-6, what="max |EMA-form response − (1−μ)μᵏ| over μ = 0.5, 0.9, 0.99"),
        examples=({"max_error": 1e-8}, {"max_error": 0.1})),
    _claims.Claim(
        "momentum-memory", "003",
        "μ: damping factor and controls how much momentum we use",
        "momentum_memory_impulse",
        measure=lambda r: {"max_error": max(abs(v["memory"] * (1 - float(b)) - 1) for b, v in r["memory"].items()),
                           "impulse_error": max(v["impulse_error"] for v in r["memory"].values())},
        verdict=_claims.all_of(_claims.at_most("max_error", 0.01, what="max |Σ response·(1−μ) − 1|"),
                               _claims.at_most("impulse_error", 1e-5, what="max |response − μᵏ|")),
        examples=({"max_error": 1e-4, "impulse_error": 1e-7}, {"max_error": 0.5, "impulse_error": 0.2})),
    _claims.Claim(
        "momentum-continuous-decay", "001",
        "the case when g(t) = 0: m(t) = m(t₀) e^{−(1−μ)t}",
        "momentum_memory_impulse",
        measure=lambda r: {"gap_099": r["memory"]["0.99"]["continuous_gap"], "gap_05": r["memory"]["0.5"]["continuous_gap"]},
        verdict=_claims.at_most("gap_099", 0.01, what="|μᵏ/e^{−(1−μ)k} − 1| at k = 1/(1−μ), μ = 0.99"),
        examples=({"gap_099": 0.005, "gap_05": 0.3}, {"gap_099": 0.3, "gap_05": 0.3})),
    _claims.Claim(
        "momentum-low-pass", "003",
        "Keeps the historic direction in low curvature regions and dampens oscillations in high curvature directions",
        "momentum_memory_impulse",
        measure=lambda r: {"constant_gain": r["memory"]["0.9"]["constant_gain"],
                           "alternating_gain": r["memory"]["0.9"]["alternating_gain"]},
        verdict=_claims.all_of(_claims.between("constant_gain", 9.9, 10.1, what="β = 0.9: constant-gradient gain (1/(1−β))"),
                               _claims.between("alternating_gain", 0.52, 0.533,
                                               what="alternating-gradient gain (1/(1+β) = 0.526)")),
        examples=({"constant_gain": 10.0, "alternating_gain": 0.526}, {"constant_gain": 1.0, "alternating_gain": 1.0})),
    _claims.Claim(
        "momentum-canyon", "002",
        "SGD+Momentum: continue moving in the general direction as the previous iterations",
        "momentum_memory_canyon",
        measure=lambda r: {"flat_progress_ratio": r["canyon"]["flat_progress_ratio"]},
        verdict=_claims.at_least("flat_progress_ratio", 5.0,
                                 what="flat-direction distance left: GD / momentum, same η"),
        examples=({"flat_progress_ratio": 20.0}, {"flat_progress_ratio": 1.0})),
    _claims.Claim(
        "momentum-forms-equivalent", "002",
        "You may see SGD+Momentum formulated different ways, but they are equivalent - give same sequence of x",
        "momentum_memory_canyon",
        measure=lambda r: {"gap": r["canyon"]["forms_gap"], "gap_schedule": r["canyon"]["forms_gap_schedule"]},
        verdict=_claims.at_most("gap", 1e-5, what="max |x_trace − x_velocity| / max |x|, constant rate"),
        examples=({"gap": 1e-7, "gap_schedule": 0.1}, {"gap": 0.1, "gap_schedule": 0.1})),
)


def main(argv=None) -> None:
    _common.cli(sys.modules[__name__], argv)


if __name__ == "__main__":
    main()
