"""Float64 NumPy loops of gradient descent and the three momentum forms, from the lectures' equations.

Written in the lectures' notation, one step at a time (docs/spec/gradient-descent.md, docs/spec/momentum.md,
docs/spec/nesterov.md), independently of the
library's code. Signature of every reference: (grads (T, n), values (T,), params0 (n,), **kwargs)
-> updates (T, n).
"""

from __future__ import annotations

import numpy as np

from tests.harness import rate


def numpy_sgd(grads, values, params0, *, learning_rate):
    return np.stack([-rate(learning_rate, t) * g for t, g in enumerate(grads)])


def numpy_momentum(grads, values, params0, *, learning_rate, beta=0.9, nesterov=False, form="trace"):
    """trace: m ← βm + g, Δ = −η m; velocity: v ← βv − ηg, Δ = v; ema: m ← βm + (1−β)g, Δ = −η m.

    Nesterov (change of variables, [002]): trace Δ = −η(g + βm); velocity Δ = βv − ηg;
    ema Δ = −η((1−β)g + βm), each with the freshly updated m or v.
    """
    out = np.zeros_like(grads)
    m = np.zeros(grads.shape[1])  # m (trace, ema) or v (velocity)
    for t, g in enumerate(grads):
        eta = rate(learning_rate, t)
        if form == "trace":
            m = beta * m + g
            out[t] = -eta * (g + beta * m) if nesterov else -eta * m
        elif form == "velocity":
            m = beta * m - eta * g
            out[t] = beta * m - eta * g if nesterov else m
        else:  # ema
            m = beta * m + (1 - beta) * g
            out[t] = -eta * ((1 - beta) * g + beta * m) if nesterov else -eta * m
    return out


def lookahead_nesterov(grad_fn, x0, *, learning_rate, beta, steps):
    """[000]'s algorithm with the real iterate x_t: v ← βv − η∇f(x + βv); x ← x + v. Returns (xs, vs)."""
    x, v = np.array(x0, np.float64), np.zeros(len(x0))
    xs, vs = [x.copy()], [v.copy()]
    for _ in range(steps):
        v = beta * v - learning_rate * grad_fn(x + beta * v)
        x = x + v
        xs.append(x.copy())
        vs.append(v.copy())
    return np.array(xs), np.array(vs)


def torch_updates(optimizer: str, grads, params0, **options):
    """Run ``torch.optim.<optimizer>(**options)`` in float64 on the gradient stream; return the steps."""
    import torch

    p = torch.tensor(params0, dtype=torch.float64, requires_grad=True)
    opt = getattr(torch.optim, optimizer)([p], **options)
    out = []
    for g in grads:
        before = p.detach().clone()
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        out.append((p.detach() - before).numpy())
    return np.array(out)


def torch_sgd(grads, values, params0, *, learning_rate, beta=0.9, nesterov=False):
    """torch.optim.SGD(lr, momentum=β, nesterov=…) in float64 with a constant rate (trace form)."""
    return torch_updates("SGD", grads, params0, lr=learning_rate, momentum=beta, nesterov=nesterov)
