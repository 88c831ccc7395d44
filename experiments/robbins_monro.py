"""Robbins–Monro: SGD with noisy gradients stalls at a noise floor under a constant rate, converges under 1/t.

[000] "Stochastic Gradient Descent Convergence": SGD converges to the unique optimum almost surely
if the rates satisfy ∀i: αᵢ > 0, ∑ᵢ αᵢ = ∞, ∑ᵢ αᵢ² < ∞ (Robbins & Monro 1951). Here SGD runs on
L(θ) = ½ Σᵢ λᵢθᵢ² (d = 10, λ from 0.5 to 2) with the gradient λθ + σξ, ξ ~ N(0, I) drawn afresh
every step (additive Gaussian noise, σ = 1), averaged over seeds (one ``jax.vmap`` over seeds and
rates per schedule). A constant rate η (∑η² = ∞) stalls at the floor E[L] = Σᵢ ησ²/(2(2 − ηλᵢ))
≈ dησ²/4, which grows with η; 1/t (both conditions) keeps converging like 1/t; 1/√t violates
∑α² < ∞ only logarithmically and still converges, like 1/√t (the conditions are sufficient).
[003] "for gradient descent to converge we only require the samples to be unbiased" holds only
with a decaying rate. Schedules: ``jol.inverse_time_decay``, ``jol.inverse_sqrt_decay``;
docs/spec/schedules.md.
"""

from __future__ import annotations

import pathlib
import sys

import jax
import jax.numpy as jnp
import numpy as np

import jaxopt_lectures as jol
from experiments import _claims, _common

FULL = dict(steps=20000, seeds=64, constant_rates=(0.02, 0.05, 0.1, 0.2))
QUICK = dict(steps=4000, seeds=8, constant_rates=(0.02, 0.05, 0.1, 0.2))
CURVATURES = np.linspace(0.5, 2.0, 10)  # λᵢ of the quadratic
SIGMA = 1.0  # standard deviation of the additive gradient noise, per coordinate
THETA0 = 3.0
DECAYING = {  # name -> schedule; 1/t: η₀/(1 + 0.1t) ≈ 5/t, and 5·λmin > 1 gives the 1/t rate
    "1/t": lambda: jol.inverse_time_decay(0.5, 0.1),
    "1/√t": lambda: jol.inverse_sqrt_decay(0.5),
}


def noisy_sgd(learning_rate, noise: jax.Array) -> jax.Array:
    """L(θ_t) for t = 0…steps of ``jol.sgd(learning_rate)`` with gradients λθ + σξ_t, ξ_t = ``noise[t]``."""
    lam = jnp.asarray(CURVATURES, jnp.float32)
    loss = lambda theta: 0.5 * jnp.sum(lam * theta**2)
    tx = jol.sgd(learning_rate)

    def step(carry, xi):
        theta, state = carry
        updates, state = tx.update(lam * theta + SIGMA * xi, state, theta)
        theta = theta + updates
        return (theta, state), loss(theta)

    theta0 = jnp.full(len(CURVATURES), THETA0, jnp.float32)
    _, losses = jax.lax.scan(step, (theta0, tx.init(theta0)), noise)
    return jnp.concatenate([loss(theta0)[None], losses])


def predicted_floor(eta: float) -> float:
    """Stationary E[L] of constant-rate SGD: per coordinate ½λ·Var = ησ²/(2(2 − ηλ))."""
    return float(np.sum(eta * SIGMA**2 / (2 * (2 - eta * CURVATURES))))


def _late_slope(mean_loss: np.ndarray) -> float:
    """Log-log slope of the seed-mean loss over the last decade of steps."""
    t = np.arange(len(mean_loss))
    late = slice(len(mean_loss) // 10, None)
    return float(np.polyfit(np.log(t[late]), np.log(mean_loss[late]), 1)[0])


def _grid(steps: int) -> np.ndarray:
    """~200 log-spaced steps 0…steps where the curves are kept (the JSON stays small)."""
    return np.unique(np.concatenate([[0], np.geomspace(1, steps, 200).astype(int)]))


def run(config: dict) -> dict:
    """Seed-mean loss curves: constant rates (one vmap over rates × seeds), then 1/t and 1/√t."""
    steps, grid = config["steps"], _grid(config["steps"])
    # ξ from NumPy: compiling jax.random's threefry takes seconds on CPU, the noise itself is tiny
    shape = (config["seeds"], steps, len(CURVATURES))
    noise = jnp.asarray(np.random.default_rng(0).standard_normal(shape, np.float32))
    per_seed = lambda lr, noise: jax.vmap(lambda xi: noisy_sgd(lr, xi))(noise).mean(0)  # noise: an argument
    rates = config["constant_rates"]
    curves = np.asarray(jax.jit(jax.vmap(per_seed, in_axes=(0, None)))(jnp.asarray(rates, jnp.float32), noise))
    out = {"steps": grid, "constant": {}, "decaying": {}}
    for eta, curve in zip(rates, curves):
        floor = float(curve[steps // 2:].mean())
        out["constant"][str(eta)] = {"eta": eta, "loss": curve[grid], "floor": floor,
                                     "predicted_floor": predicted_floor(eta), "late_slope": _late_slope(curve)}
    for name, schedule in _common.progress(DECAYING.items(), desc="schedules"):
        curve = np.asarray(jax.jit(lambda noise: per_seed(schedule(), noise))(noise))
        out["decaying"][name] = {"loss": curve[grid], "final": float(curve[-steps // 20:].mean()),
                                 "late_slope": _late_slope(curve)}
    floors = [r["floor"] for r in out["constant"].values()]
    out["floor_slope"] = float(np.polyfit(np.log(rates), np.log(floors), 1)[0])
    out["floors_increase"] = bool(np.all(np.diff(floors) > 0))
    out["max_floor_error"] = float(max(abs(r["floor"] / r["predicted_floor"] - 1) for r in out["constant"].values()))
    out["lowest_floor"] = min(floors)
    return out


def figures(results: dict, out: pathlib.Path) -> list[pathlib.Path]:
    plt = _common.pyplot()
    t = np.asarray(results["steps"])[1:]  # log axis: from t = 1
    fig, ax = plt.subplots(figsize=(8, 5.5))
    for name, r in results["constant"].items():
        line, = ax.loglog(t, r["loss"][1:], label=f"constant η = {name}")
        ax.axhline(r["predicted_floor"], color=line.get_color(), linestyle=":", linewidth=1)
    for name, r in results["decaying"].items():
        ax.loglog(t, r["loss"][1:], linewidth=2.4, label=f"{name} (late slope {r['late_slope']:.2f})")
    ax.set(xlabel="step t", ylabel="loss, mean over seeds",
           title="SGD with noisy gradients: constant rates stall, decaying rates converge")
    ax.legend()
    paths = [_common.save_figure(fig, out, "robbins_monro_loss")]

    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    etas = [r["eta"] for r in results["constant"].values()]
    ax.loglog(etas, [r["floor"] for r in results["constant"].values()], "o", label="measured floor")
    grid = np.geomspace(min(etas), max(etas), 50)
    ax.loglog(grid, [predicted_floor(e) for e in grid], "-", label=r"$\sum_i \eta\sigma^2/(2(2-\eta\lambda_i))$")
    for name, r in results["decaying"].items():
        ax.axhline(r["final"], linestyle="--", linewidth=1, color="C2" if name == "1/t" else "C3",
                   label=f"{name}: final loss")
    ax.set_xticks(etas, [f"{e:g}" for e in etas], minor=False)
    ax.set_xticks([], minor=True)
    ax.set(xlabel="constant rate η", ylabel="loss floor (mean of the last half)",
           title=f"Noise floor ∝ η (fitted slope {results['floor_slope']:.2f})")
    ax.legend()
    paths.append(_common.save_figure(fig, out, "robbins_monro_floor"))
    return paths


def summary(results: dict) -> str:
    rows = [(f"constant η = {k}", r["floor"], r["predicted_floor"], r["late_slope"]) for k, r in results["constant"].items()]
    rows += [(name, r["final"], "-", r["late_slope"]) for name, r in results["decaying"].items()]
    return _common.table(rows, ["rate", "floor / final loss", "predicted floor", "late log-log slope"])


CAPTIONS = {
    "robbins_monro_loss": "SGD on a 10-d quadratic with additive Gaussian gradient noise (σ = 1), mean over seeds. "
                          "Each constant rate stalls at its noise floor (dotted: Σ ησ²/(2(2 − ηλ)) ≈ dησ²/4), "
                          "higher for larger η; 1/t (Σα = ∞, Σα² < ∞) keeps falling like 1/t, 1/√t like 1/√t.",
    "robbins_monro_floor": "The measured floor of constant-rate SGD grows in proportion to η and matches the "
                           "stationary-variance prediction; the 1/t and 1/√t runs end below the floors (dashed lines).",
}

FACTOR = 10.0  # the 1/t run must end at least this far below the lowest constant-rate floor

CLAIMS = (
    _claims.Claim(
        "rm-constant-rate-floor", "000",
        "∀i: α_i > 0, ∑_i α_i = ∞, ∑_i α_i² < ∞. Note that the third condition implies that α_i → 0.",
        "robbins_monro_floor",
        measure=lambda r: {"floors_increase": r["floors_increase"], "floor_slope": r["floor_slope"],
                           "max_floor_error": r["max_floor_error"]},
        verdict=_claims.all_of(_claims.is_true("floors_increase", what="floor grows with η"),
                               _claims.between("floor_slope", 0.85, 1.15, what="log-log slope of floor vs η"),
                               _claims.at_most("max_floor_error", 0.15, what="max |floor/predicted − 1|")),
        examples=({"floors_increase": True, "floor_slope": 1.0, "max_floor_error": 0.02},
                  {"floors_increase": False, "floor_slope": 0.1, "max_floor_error": 0.9})),
    _claims.Claim(
        "rm-one-over-t-converges", "000",
        "SGD converges to the unique optimum almost surely if … ∀i: α_i > 0, ∑α_i = ∞, ∑α_i² < ∞",
        "robbins_monro_loss",
        measure=lambda r: {"floor_over_final": r["lowest_floor"] / r["decaying"]["1/t"]["final"],
                           "late_slope": r["decaying"]["1/t"]["late_slope"]},
        verdict=_claims.all_of(_claims.at_least("floor_over_final", FACTOR,
                                                what="lowest constant-rate floor / final loss of 1/t"),
                               _claims.at_most("late_slope", -0.8, what="late log-log slope of 1/t")),
        examples=({"floor_over_final": 30.0, "late_slope": -1.0}, {"floor_over_final": 1.0, "late_slope": 0.0})),
    _claims.Claim(
        "rm-unbiased-is-enough", "003",
        "for gradient descent to converge we only require the samples to be unbiased",
        "robbins_monro_loss",
        measure=lambda r: {"decaying_rate_converges": r["decaying"]["1/t"]["late_slope"] <= -0.8,
                           "constant_rate_converges": max(c["late_slope"] for c in r["constant"].values()) <= -0.8},
        verdict=_claims.all_of(_claims.is_true("decaying_rate_converges", what="unbiased samples, 1/t rate converge"),
                               _claims.is_true("constant_rate_converges",
                                               what="unbiased samples, constant rate converge")),
        examples=({"decaying_rate_converges": True, "constant_rate_converges": True},
                  {"decaying_rate_converges": False, "constant_rate_converges": False})),
)


def main(argv=None) -> None:
    _common.cli(sys.modules[__name__], argv)


if __name__ == "__main__":
    main()
