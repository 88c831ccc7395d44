"""Float64 NumPy loops of delta-delta, delta-bar-delta, Quickprop and Rprop, from the papers/lecture.

One weight at a time, in the papers' if/else form (docs/spec/delta-delta.md, docs/spec/delta-bar-delta.md,
docs/spec/quickprop.md, docs/spec/rprop.md), written independently of the
library's ``jnp.where`` code. Signature of every reference: (grads (T, n), values (T,), params0 (n,),
**kwargs) -> updates (T, n). Updates are the moves Δw (descent sign).
"""

from __future__ import annotations

import numpy as np

from tests.harness import rate
from tests.reference.momentum import torch_updates


def delta_delta(grads, values, params0, *, learning_rate, meta_learning_rate, min_learning_rate=0.0):
    """[001]: η_i ← η_i + γ g_i(t) g_i(t−1) (then max(η_i, η_min) unless None); Δw_i = −η_i g_i(t)."""
    T, n = grads.shape
    eta, g_prev, out = np.full(n, rate(learning_rate, 0)), np.zeros(n), np.zeros((T, n))
    for t in range(T):
        for i in range(n):
            eta[i] = eta[i] + meta_learning_rate * grads[t, i] * g_prev[i]
            if min_learning_rate is not None and eta[i] < min_learning_rate:
                eta[i] = min_learning_rate
            out[t, i] = -eta[i] * grads[t, i]
        g_prev = grads[t].copy()
    return out


def delta_bar_delta(grads, values, params0, *, learning_rate, kappa, phi, theta, average="previous"):
    """Jacobs 1988: compare g(t) with ḡ(t−1) ("previous") or, as [001]'s slide, with ḡ(t) ("current")."""
    T, n = grads.shape
    eta, gbar, out = np.full(n, rate(learning_rate, 0)), np.zeros(n), np.zeros((T, n))
    for t in range(T):
        for i in range(n):
            g = grads[t, i]
            gbar_new = theta * gbar[i] + (1 - theta) * g
            compared = gbar[i] if average == "previous" else gbar_new
            if compared * g > 0:  # float64 products of float32 inputs do not underflow
                eta[i] = eta[i] + kappa
            elif compared * g < 0:
                eta[i] = eta[i] - phi * eta[i]
            gbar[i] = gbar_new
            out[t, i] = -eta[i] * g
    return out


def quickprop(grads, values, params0, *, learning_rate, max_growth=1.75, safeguard=True):
    """Fahlman 1988 (his Cascade-Correlation C code) or, with safeguard=False, the [001] slide.

    s = g(t), p = g(t−1), d = the last move Δw(t−1); ε = learning_rate(t), μ = max_growth.
    """
    T, n = grads.shape
    p, d, out = np.zeros(n), np.zeros(n), np.zeros((T, n))
    shrink = max_growth / (1.0 + max_growth)
    for t in range(T):
        eps = rate(learning_rate, t)
        for i in range(n):
            s = grads[t, i]
            if d[i] == 0:  # first step, or after a zero step: a gradient step
                step = -eps * s
            elif not safeguard:
                step = 0.0 if p[i] == s else s / (p[i] - s) * d[i]
            elif d[i] < 0:
                step = -eps * s if s > 0 else 0.0
                step += max_growth * d[i] if s >= shrink * p[i] else d[i] * s / (p[i] - s)
            else:  # d > 0
                step = -eps * s if s < 0 else 0.0
                step += max_growth * d[i] if s <= shrink * p[i] else d[i] * s / (p[i] - s)
            out[t, i] = step
            p[i], d[i] = s, step
    return out


def rprop(grads, values, params0, *, learning_rate=0.1, eta_minus=0.5, eta_plus=1.2,
          min_step=1e-6, max_step=50.0, variant="irprop-"):
    """Riedmiller & Braun 1993 (rprop±), Igel & Hüsken 2000 (irprop±); E(t) = values[t]."""
    T, n = grads.shape
    step, g_prev, u_prev = np.full(n, rate(learning_rate, 0)), np.zeros(n), np.zeros(n)
    E_prev, out = np.inf, np.zeros((T, n))
    for t in range(T):
        g = grads[t].copy()  # a copy: entries are zeroed below
        for i in range(n):
            if g_prev[i] * g[i] > 0:
                step[i] = min(step[i] * eta_plus, max_step)
            elif g_prev[i] * g[i] < 0:
                step[i] = max(step[i] * eta_minus, min_step)
            out[t, i] = -np.sign(g[i]) * step[i]
            if g_prev[i] * g[i] < 0 and variant != "rprop-":
                undo = variant == "rprop+" or (variant == "irprop+" and values[t] > E_prev)
                out[t, i] = -u_prev[i] if undo else 0.0  # weight-backtracking, or skip
                g[i] = 0.0
        g_prev, u_prev, E_prev = g, out[t].copy(), values[t]
    return out


def torch_rprop(grads, values, params0, *, learning_rate, eta_minus=0.5, eta_plus=1.2,
                min_step=1e-6, max_step=50.0, variant="irprop-"):
    """torch.optim.Rprop(lr=Δ0, etas=(η⁻, η⁺), step_sizes=(min, max)) in float64: iRprop− only."""
    assert variant == "irprop-", "torch.optim.Rprop implements iRprop- only"
    return torch_updates("Rprop", grads, params0, lr=learning_rate, etas=(eta_minus, eta_plus),
                         step_sizes=(min_step, max_step))
