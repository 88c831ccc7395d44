"""The benchmark table: one ``Bench`` per optimizer and the parameter trees it is timed on.

Each row names this library's alias (skipped where the alias does not exist yet), its optax
baseline and torch.optim counterpart (where they exist) and the bytes one step must move per
float32 parameter: read g and θ, read and write each per-parameter state field, write θ, i.e.
4·(3 + 2k) for k state fields (sgd 12, momentum 20, adam 28).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import optax

import jaxopt_lectures as jol

LR = 1e-3


@dataclasses.dataclass(frozen=True)
class Bench:
    name: str
    ours: Callable[[], optax.GradientTransformation]
    baseline: Callable[[], optax.GradientTransformation] | None  # optax; None: no equivalent
    bytes_per_param: int
    torch: tuple[str, dict[str, Any]] | None = None  # torch.optim class name and options
    torch_fused: bool = False  # torch 2.x has a fused CPU kernel for this class
    note: str = ""


def _ours(alias: str, *args: Any, **kwargs: Any) -> Callable[[], optax.GradientTransformation]:
    return lambda: getattr(jol, alias)(*args, **kwargs)


ALL_CASES = [
    Bench("sgd", _ours("sgd", LR), lambda: optax.sgd(LR), 12, ("SGD", {"lr": LR}), torch_fused=True),
    Bench("momentum", _ours("momentum", LR, 0.9), lambda: optax.sgd(LR, momentum=0.9), 20,
          ("SGD", {"lr": LR, "momentum": 0.9}), torch_fused=True),
    Bench("nesterov", _ours("nesterov", LR, 0.9), lambda: optax.sgd(LR, momentum=0.9, nesterov=True), 20,
          ("SGD", {"lr": LR, "momentum": 0.9, "nesterov": True}), torch_fused=True),
    Bench("adagrad", _ours("adagrad", LR), lambda: optax.adagrad(LR, initial_accumulator_value=0.0, eps=1e-8), 20,
          ("Adagrad", {"lr": LR}), torch_fused=True),
    Bench("rmsprop", _ours("rmsprop", LR), lambda: optax.rmsprop(LR, decay=0.9, eps=1e-8), 20,
          ("RMSprop", {"lr": LR, "alpha": 0.9})),
    Bench("adam", _ours("adam", LR), lambda: optax.adam(LR), 28, ("Adam", {"lr": LR}), torch_fused=True),
    Bench("adamw", _ours("adamw", LR), lambda: optax.adamw(LR, weight_decay=1e-4), 28,
          ("AdamW", {"lr": LR, "weight_decay": 1e-4}), torch_fused=True),
    # state: step sizes, previous gradient and previous move (3 fields); optax.rprop lags a step
    # behind the papers (docs/spec/rprop.md): a timing baseline only
    Bench("rprop", _ours("rprop", LR), lambda: optax.rprop(LR), 36, ("Rprop", {"lr": LR})),
    Bench("delta_delta", _ours("delta_delta", LR, meta_learning_rate=1e-4), None, 28),
    Bench("delta_bar_delta", _ours("delta_bar_delta", LR, kappa=1e-4, phi=0.1, theta=0.7), None, 28),
    Bench("quickprop", _ours("quickprop", LR), None, 28),
]
CASES = [case for case in ALL_CASES if hasattr(jol, case.name)]  # the aliases that exist now


def gpt2_shapes(d: int, vocab: int, n_layer: int = 12, n_ctx: int = 1024) -> dict[str, tuple[int, ...]]:
    """GPT-2's parameter shapes (wte, wpe, 12 per block, final LayerNorm): 148 leaves at 12 layers."""
    shapes = {"wte": (vocab, d), "wpe": (n_ctx, d), "ln_f/g": (d,), "ln_f/b": (d,)}
    block = {"ln_1/g": (d,), "ln_1/b": (d,), "attn/c_attn/w": (d, 3 * d), "attn/c_attn/b": (3 * d,),
             "attn/c_proj/w": (d, d), "attn/c_proj/b": (d,), "ln_2/g": (d,), "ln_2/b": (d,),
             "mlp/c_fc/w": (d, 4 * d), "mlp/c_fc/b": (4 * d,), "mlp/c_proj/w": (4 * d, d), "mlp/c_proj/b": (d,)}
    for i in range(n_layer):
        shapes.update({f"h{i:02d}/{k}": s for k, s in block.items()})
    return shapes


def tree_shapes(device: str, quick: bool) -> dict[str, dict[str, tuple[int, ...]]]:
    """The five trees: one big leaf, GPT-2-like, two of many small leaves, a tiny MLP; sized by device."""
    mlp = {"w1": (64, 128), "b1": (128,), "w2": (128, 10), "b2": (10,)}
    many = lambda n_leaves, size: {f"p{i:04d}": (size,) for i in range(n_leaves)}
    if quick:
        return {"leaf": {"w": (1 << 12,)}, "gpt2": gpt2_shapes(8, 64, n_layer=2, n_ctx=16),
                "many": many(8, 32), "small": many(16, 64), "mlp": mlp}
    if device == "gpu":  # 256M leaf, GPT-2 small (124M, 148 leaves), 1024 × 16k, 4096 × 16k
        return {"leaf": {"w": (1 << 28,)}, "gpt2": gpt2_shapes(768, 50257),
                "many": many(1024, 1 << 14), "small": many(4096, 1 << 14), "mlp": mlp}
    return {"leaf": {"w": (1 << 24,)}, "gpt2": gpt2_shapes(384, 20000),  # 29.4M params, 148 leaves
            "many": many(1024, 2048), "small": many(2048, 4096), "mlp": mlp}


def num_params(shapes: dict[str, tuple[int, ...]]) -> int:
    return int(sum(np.prod(s) for s in shapes.values()))
