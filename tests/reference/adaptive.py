"""Float64 references of AdaGrad, RMSProp, AdaDelta, Adam and AdamW (docs/spec/adagrad.md, docs/spec/rmsprop.md,
docs/spec/adadelta.md, docs/spec/adam.md, docs/spec/adamw.md).

NumPy loops written from the lectures' and papers' equations, one step at a time, independently
of the library's code, and torch.optim runners in float64. Signature of every reference:
(grads (T, n), values (T,), params0 (n,), **kwargs) -> updates (T, n).
"""

from __future__ import annotations

import numpy as np

from tests.harness import rate
from tests.reference.momentum import torch_updates  # noqa: F401 - the float64 torch.optim runner, used via this module


def numpy_adagrad(grads, values, params0, *, learning_rate, eps=1e-8, initial_accumulator=0.0, eps_in_sqrt=False):
    """r ← r + g²; Δ = −η g/(√r + ε) or −η g/√(r + ε); Δ = 0 where r = 0 ([002] code; docs/spec/adagrad.md)."""
    r, out = np.full(grads.shape[1], float(initial_accumulator)), np.zeros_like(grads)
    for t, g in enumerate(grads):
        r = r + g * g
        denominator = np.sqrt(r + eps) if eps_in_sqrt else np.sqrt(r) + eps
        with np.errstate(invalid="ignore", divide="ignore"):
            out[t] = np.where(r > 0, -rate(learning_rate, t) * g / denominator, 0.0)
    return out


def numpy_rmsprop(grads, values, params0, *, learning_rate, decay=0.9, eps=1e-8, eps_in_sqrt=False,
                  centered=False, momentum=None, nesterov=False, initial_scale=0.0):
    """[000]/[002] RMSProp; centered (Graves 2013); momentum b ← β_m b + s after the rate (docs/spec/rmsprop.md)."""
    n = grads.shape[1]
    nu, mu, b = np.full(n, float(initial_scale)), np.zeros(n), np.zeros(n)
    out = np.zeros_like(grads)
    for t, g in enumerate(grads):
        nu = decay * nu + (1 - decay) * g * g
        mu = decay * mu + (1 - decay) * g
        v = nu - mu * mu if centered else nu
        s = -rate(learning_rate, t) * g / (np.sqrt(v + eps) if eps_in_sqrt else np.sqrt(v) + eps)
        if momentum is None:
            out[t] = s
        else:
            b = momentum * b + s
            out[t] = s + momentum * b if nesterov else b
    return out


def numpy_adadelta(grads, values, params0, *, learning_rate=1.0, rho=0.95, eps=1e-6, form="zeiler"):
    """Zeiler 2012, Algorithm 1 (x_{t+1} = x_t − η s_t with s the unit-free step); "jku": [001]'s line."""
    n = grads.shape[1]
    e_g, e_x, out = np.zeros(n), np.zeros(n), np.zeros_like(grads)
    for t, g in enumerate(grads):
        e_g = rho * e_g + (1 - rho) * g**2
        rms_dx = np.sqrt(e_x + eps) if form == "zeiler" else np.sqrt(e_x) + eps
        s = rms_dx / np.sqrt(e_g + eps) * g
        e_x = rho * e_x + (1 - rho) * s**2
        out[t] = -rate(learning_rate, t) * s
    return out


def numpy_adam(grads, values, params0, *, learning_rate, b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0,
               bias_correction=True, amsgrad=False, nesterov=False):
    """Kingma & Ba Algorithm 1 ([000]); bias_correction=False is [002]'s "almost Adam" code;
    amsgrad: running max of v̂ (as optax.amsgrad); nesterov: optax's Nadam first moment."""
    n = grads.shape[1]
    m, v, v_max, out = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros_like(grads)
    for i, g in enumerate(grads):
        t = i + 1
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        c1, c2, c1_next = (1 - b1**t, 1 - b2**t, 1 - b1 ** (t + 1)) if bias_correction else (1.0, 1.0, 1.0)
        m_hat = b1 * m / c1_next + (1 - b1) * g / c1 if nesterov else m / c1
        v_hat = v / c2
        if amsgrad:
            v_max = v_hat = np.maximum(v_max, v_hat)
        out[i] = -rate(learning_rate, i) * m_hat / (np.sqrt(v_hat + eps_root) + eps)
    return out


def seed_adam(grads, *, learning_rate, eps, eps_inside, corrected, b1=0.9, b2=0.999):
    """Adam as each seed writes it: [000] s, r, ŝ = s/(1−β₁ᵗ), r̂, θ ← θ − α ŝ/√(r̂ + ε);
    [001]/[002] m/(√v + ε) without correction ([002] full: with); [003] m/√(v + ε)."""
    s, r, out = np.zeros(grads.shape[1]), np.zeros(grads.shape[1]), np.zeros_like(grads)
    for i, g in enumerate(grads):
        s = b1 * s + (1 - b1) * g
        r = b2 * r + (1 - b2) * g**2
        s_hat, r_hat = (s / (1 - b1 ** (i + 1)), r / (1 - b2 ** (i + 1))) if corrected else (s, r)
        out[i] = -learning_rate * s_hat / (np.sqrt(r_hat + eps) if eps_inside else np.sqrt(r_hat) + eps)
    return out
