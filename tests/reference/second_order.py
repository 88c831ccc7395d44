"""Float64 NumPy references for Newton, BFGS and L-BFGS, written from docs/spec/newton.md, docs/spec/bfgs.md,
docs/spec/lbfgs.md (not from the code)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def newton_iterates(grad: Callable, hess: Callable, x0: np.ndarray, steps: int, learning_rate: float = 1.0,
                    damping: float = 0.0) -> np.ndarray:
    """x_{k+1} = x_k − η (∇²f + δI)⁻¹ ∇f, e.g. with scipy.optimize.rosen_der/rosen_hess; returns (steps+1, n)."""
    xs = [np.asarray(x0, np.float64)]
    for _ in range(steps):
        x = xs[-1]
        xs.append(x - learning_rate * np.linalg.solve(hess(x) + damping * np.eye(x.size), grad(x)))
    return np.array(xs)


def bfgs_inverse(h: np.ndarray, s: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ with ρ = 1/yᵀs, in the product form (Nocedal & Wright 6.17)."""
    rho = 1.0 / (y @ s)
    v = np.eye(s.size) - rho * np.outer(y, s)
    return v.T @ h @ v + rho * np.outer(s, s)


def numpy_bfgs(grads, values, params0, learning_rate, linesearch=None, scale_init=False):
    """Fixed-step BFGS on a gradient stream: skip the update unless yᵀs > 0; Δ = −η H g."""
    del values, linesearch
    x, h, prev = np.array(params0, np.float64), np.eye(len(params0)), None
    out = []
    for t, g in enumerate(grads):
        if prev is not None:
            s, y = x - prev[0], g - prev[1]
            if scale_init and t == 1 and s @ y > 0:
                h = (s @ y) / (y @ y) * np.eye(len(x))
            if s @ y > 0:
                h = bfgs_inverse(h, s, y)
        u = -learning_rate * h @ g
        prev = (x.copy(), g.copy())
        x = x + u
        out.append(u)
    return np.array(out)


def two_loop(g: np.ndarray, pairs: list[tuple[np.ndarray, np.ndarray]], gamma: float) -> np.ndarray:
    """H g from the pairs (s, y), oldest first; pairs with yᵀs = 0 are ignored (docs/spec/lbfgs.md)."""
    q, alphas = g.astype(np.float64).copy(), []
    for s, y in reversed(pairs):
        rho = 0.0 if y @ s == 0 else 1.0 / (y @ s)
        alphas.append(rho * (s @ q))
        q -= alphas[-1] * y
    r = gamma * q
    for (s, y), alpha in zip(pairs, reversed(alphas)):
        rho = 0.0 if y @ s == 0 else 1.0 / (y @ s)
        r += (alpha - rho * (y @ r)) * s
    return r


def numpy_lbfgs(grads, values, params0, learning_rate, memory_size, linesearch=None):
    """Fixed-step L-BFGS on a gradient stream; γ = sᵀy/yᵀy of the newest pair, min(1, 1/‖g‖) at t = 0."""
    del values, linesearch
    x, pairs, prev, out = np.array(params0, np.float64), [], None, []
    for g in grads:
        if prev is None:
            gamma = min(1.0, 1.0 / np.linalg.norm(g))
        else:
            s, y = x - prev[0], g - prev[1]
            pairs = (pairs + [(s, y)])[-memory_size:]
            gamma = (s @ y) / (y @ y) if y @ y > 0 else 1.0
        u = -learning_rate * two_loop(g, pairs, gamma)
        prev = (x.copy(), g.copy())
        x = x + u
        out.append(u)
    return np.array(out)
