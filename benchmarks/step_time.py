"""Step time of every optimizer on five parameter trees: this library vs optax vs torch.optim.

One jitted step (``update`` + ``apply_updates``, params and state donated) is timed for
``ours`` (the alias on the tree), ``fused_tree`` (``jol.fuse(alias)`` on the same tree: the drop-in),
``fused`` (``jol.fused_step`` on params kept flat with ``jol.ravel_by_dtype``), ``optax`` (the baseline of benchmarks/cases.py) and torch.optim
(``foreach`` and ``fused``), interleaved in the same run: median over repetitions after warm-up.
Also recorded: compile time, bytes/s against a measured elementwise-copy roofline (jitted,
donated ``a + 0.5 b``) and the compiled executable's temporary memory.

    python -m benchmarks.step_time [--quick] [--out DIR] [--optimizers adam,sgd] [--trees leaf,gpt2]
"""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

# torch's OpenMP workers spin after each step by default and steal the 2 cores from the next JAX
# call; passive waiting keeps the interleaved timings independent (set before torch is imported)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import optax  # noqa: E402

import jaxopt_lectures as jol
from jaxopt_lectures import fused
from benchmarks import cases
from jaxopt_lectures import _io

VARIANTS = ("ours", "fused_tree", "fused", "fused_chunked", "optax", "torch_foreach", "torch_fused")
# the variants of the table's compile-time and temporary-memory columns, in their order
SUMMARY_VARIANTS = ("ours", "fused_tree", "fused", "optax")


@dataclasses.dataclass
class Runner:
    """One timed variant: ``call`` runs one step to completion."""

    call: Callable[[], None]
    compile_s: float | None = None
    temp_bytes: int | None = None


def random_tree(shapes: dict[str, tuple[int, ...]], seed: int, scale: float = 0.1) -> dict:
    key = jax.random.key(seed)
    keys = jax.random.split(key, len(shapes))
    return {name: scale * jax.random.normal(k, s, jnp.float32) for k, (name, s) in zip(keys, shapes.items())}


def _compile(fn: Callable, donate: tuple[int, ...], *args: Any) -> tuple[Any, float, int | None]:
    t0 = time.perf_counter()
    compiled = jax.jit(fn, donate_argnums=donate).lower(*args).compile()
    seconds = time.perf_counter() - t0
    memory = compiled.memory_analysis()
    return compiled, seconds, (None if memory is None else int(memory.temp_size_in_bytes))


def jax_runner(tx: optax.GradientTransformation, params: Any, grads: Any) -> Runner:
    """``update`` + ``apply_updates`` on the tree, params and state donated."""

    def step(params, state, grads):
        updates, state = tx.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    carry = [params, jax.tree.map(jnp.copy, tx.init(params))]  # distinct buffers, to donate them
    compiled, seconds, temp = _compile(step, (0, 1), carry[0], carry[1], grads)

    def call() -> None:
        carry[:] = compiled(carry[0], carry[1], grads)
        jax.block_until_ready(carry)

    return Runner(call, seconds, temp)


def fused_runner(tx: optax.GradientTransformation, params: Any, grads: Any, chunk_size: int | None = None) -> Runner:
    """``jol.fused_step`` on params and grads kept flat (one buffer per dtype, made once)."""
    flat_p, _ = jol.ravel_by_dtype(params)
    flat_g, _ = jol.ravel_by_dtype(grads)
    carry = [flat_p, jol.fuse(tx, chunk_size=chunk_size, own_leaf_size=None).init(flat_p)]
    compiled, seconds, temp = _compile(jol.fused_step(tx, chunk_size=chunk_size), (0, 2), carry[0], flat_g, carry[1])

    def call() -> None:
        carry[:] = compiled(carry[0], flat_g, carry[1])
        jax.block_until_ready(carry)

    return Runner(call, seconds, temp)


def torch_runner(case: cases.Bench, shapes: dict, mode: str, device: str) -> Runner | None:
    """torch.optim's ``foreach`` or ``fused`` implementation on the same shapes (None where missing)."""
    try:
        import torch
    except ImportError:
        return None
    if case.torch is None or (mode == "fused" and not case.torch_fused):
        return None
    name, options = case.torch
    dev = "cuda" if device == "gpu" and torch.cuda.is_available() else "cpu"
    gen = torch.Generator().manual_seed(0)
    params = [torch.nn.Parameter(0.1 * torch.randn(s, generator=gen).to(dev)) for s in shapes.values()]
    for p in params:
        p.grad = 0.1 * torch.randn(p.shape, generator=gen).to(dev)
    try:
        opt = getattr(torch.optim, name)(params, **options, **{mode: True})
        opt.step()
    except (RuntimeError, TypeError, ValueError):  # no such kernel in this torch build
        return None
    sync = torch.cuda.synchronize if dev == "cuda" else (lambda: None)

    def call() -> None:
        opt.step()
        sync()

    return Runner(call)


def time_interleaved(runners: dict[str, Runner], reps: int, min_rep_s: float = 2e-3) -> dict[str, float]:
    """Median seconds per step of each runner; repetitions interleave the runners."""
    inner = {}
    for name, r in runners.items():  # warm-up, and how many calls make one repetition
        r.call()
        t0 = time.perf_counter()
        r.call()
        inner[name] = max(1, int(min_rep_s / max(time.perf_counter() - t0, 1e-7)))
    samples: dict[str, list[float]] = {name: [] for name in runners}
    order, shuffle = list(runners), random.Random(0).shuffle
    for _ in range(reps):
        shuffle(order)  # no runner always follows the same one
        for name in order:
            r = runners[name]
            t0 = time.perf_counter()
            for _ in range(inner[name]):
                r.call()
            samples[name].append((time.perf_counter() - t0) / inner[name])
    return {name: statistics.median(s) for name, s in samples.items()}


def copy_runner(n: int) -> Runner:
    """The roofline: a jitted, donated ``a + 0.5 b`` on n float32 (reads 2 arrays, writes 1: 12 bytes)."""
    a, b = random_tree({"a": (n,)}, 1)["a"], random_tree({"b": (n,)}, 2)["b"]
    carry = [a]
    compiled, _, _ = _compile(lambda a, b: a + 0.5 * b, (0,), a, b)

    def call() -> None:
        carry[0] = compiled(carry[0], b)
        carry[0].block_until_ready()

    return Runner(call)


def roofline_bytes_per_s(n: int, reps: int) -> float:
    return 12 * n / time_interleaved({"copy": copy_runner(n)}, reps)["copy"]


def bench_one(case: cases.Bench, shapes: dict, device: str, reps: int) -> list[dict]:
    """All variants of one optimizer on one tree, and the roofline copy of its size, timed in the same run."""
    grads = random_tree(shapes, 1)
    runners: dict[str, Runner | None] = {
        "ours": jax_runner(case.ours(), random_tree(shapes, 0), grads),
        "fused_tree": jax_runner(jol.fuse(case.ours()), random_tree(shapes, 0), grads),
        "fused": fused_runner(case.ours(), random_tree(shapes, 0), grads),
        "fused_chunked": fused_runner(case.ours(), random_tree(shapes, 0), grads, fused.CHUNK_SIZE),
        "optax": None if case.baseline is None else jax_runner(case.baseline(), random_tree(shapes, 0), grads),
        "torch_foreach": torch_runner(case, shapes, "foreach", device),
        "torch_fused": torch_runner(case, shapes, "fused", device),
    }
    n = cases.num_params(shapes)
    present = {k: v for k, v in runners.items() if v is not None}
    seconds = time_interleaved({**present, "copy": copy_runner(n)}, reps)
    roofline = 12 * n / seconds["copy"]
    rows = []
    for variant, r in present.items():
        rate = case.bytes_per_param * n / seconds[variant]
        rows.append(dict(optimizer=case.name, variant=variant, n_params=n, n_leaves=len(shapes),
                         ms=1e3 * seconds[variant], compile_s=r.compile_s, temp_bytes=r.temp_bytes,
                         bytes_per_s=rate, roofline_bytes_per_s=roofline, roofline_fraction=rate / roofline))
    return rows


def _fmt(x: float | None, spec: str = ".2f") -> str:
    return "–" if x is None else format(x, spec)


def markdown(results: dict) -> str:
    """One line per (tree, optimizer): step times (ms), ratios, compile times, roofline, temp memory."""
    rows = results["rows"]
    get = lambda tree, opt, var, key: next((r[key] for r in rows if (r["tree"], r["optimizer"], r["variant"])
                                            == (tree, opt, var)), None)
    div = lambda a, b: None if a is None or b is None else a / b
    head = ("| tree | optimizer | ours ms | fused tree ms | fused ms | fused chunked ms | optax ms | torch foreach "
            "| torch fused | ours/optax | fused tree/optax | fused/optax | fused/torch fused | fused/adam fused "
            "| compile s ours / fused tree / fused / optax | fused tree compile/optax "
            "| fused % roofline | temp MB ours / fused tree / fused / optax |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for tree in results["trees"]:
        for opt in results["optimizers"]:
            ms = {v: get(tree, opt, v, "ms") for v in VARIANTS}
            if ms["ours"] is None:
                continue
            comp = " / ".join(_fmt(get(tree, opt, v, "compile_s")) for v in SUMMARY_VARIANTS)
            comp_ratio = div(get(tree, opt, "fused_tree", "compile_s"), get(tree, opt, "optax", "compile_s"))
            mem = " / ".join(_fmt(div(get(tree, opt, v, "temp_bytes"), 2**20), ".1f") for v in SUMMARY_VARIANTS)
            roof = get(tree, opt, "fused", "roofline_fraction")
            lines.append(
                f"| {tree} | {opt} | " + " | ".join(_fmt(ms[v], ".3f") for v in VARIANTS)
                + f" | {_fmt(div(ms['ours'], ms['optax']))} | {_fmt(div(ms['fused_tree'], ms['optax']))}"
                f" | {_fmt(div(ms['fused'], ms['optax']))}"
                f" | {_fmt(div(ms['fused'], ms['torch_fused']))} | {_fmt(div(ms['fused'], get(tree, 'adam', 'fused', 'ms')))}"
                f" | {comp} | {_fmt(comp_ratio)} | {_fmt(None if roof is None else 100 * roof, '.0f')} | {mem} |")
    env = results["environment"]
    lines.append("")
    lines.append(f"Roofline: jitted donated a + 0.5 b (float32) timed with each row; on the big leaf alone "
                 f"{env['roofline_GBps']:.1f} GB/s. "
                 f"{env['device']}; jax {env['jax']}, optax {env['optax']}, torch {env['torch']}, "
                 f"Python {env['python']}.")
    return "\n".join(lines) + "\n"


def run(quick: bool, optimizers: list[str] | None = None, trees: list[str] | None = None,
        reps: int | None = None, on_row: Callable[[dict], None] | None = None) -> dict:
    """The whole suite; numbers only (``on_row`` sees each row as it is measured)."""
    device = jax.default_backend()
    shapes_by_tree = cases.tree_shapes(device, quick)
    selected = [c for c in cases.CASES if optimizers is None or c.name in optimizers]
    tree_names = [t for t in shapes_by_tree if trees is None or t in trees]
    reps = reps or (3 if quick else 15)
    roofline = roofline_bytes_per_s(cases.num_params(shapes_by_tree["leaf"]), reps)
    rows = []
    for tree in tree_names:
        for case in _io.progress(selected, desc=tree):
            for row in bench_one(case, shapes_by_tree[tree], device, reps):
                rows.append({"tree": tree, **row})
                if on_row is not None:
                    on_row(rows[-1])
    try:
        import torch

        torch_version = torch.__version__
    except ImportError:
        torch_version = None
    environment = dict(device=f"{device}: {jax.devices()[0].device_kind}", jax=jax.__version__, optax=optax.__version__,
                       torch=torch_version, python=platform.python_version(), roofline_GBps=roofline / 1e9,
                       quick=quick, reps=reps)
    return dict(environment=environment, trees=tree_names, optimizers=[c.name for c in selected], rows=rows)


def main(argv: list[str] | None = None) -> None:
    p = _io.parser(__doc__, "outputs/bench")
    p.add_argument("--optimizers", default=None, help="comma-separated subset of benchmarks/cases.py names")
    p.add_argument("--trees", default=None, help="comma-separated subset of leaf,gpt2,many,small,mlp")
    p.add_argument("--reps", type=int, default=None, help="timed repetitions per variant (default 15; quick 3)")
    args = p.parse_args(argv)
    split = lambda s: None if s is None else s.split(",")
    partial = pathlib.Path(args.out) / "step_time.partial.jsonl"
    partial.parent.mkdir(parents=True, exist_ok=True)
    partial.write_text("")
    log = lambda row: partial.open("a").write(json.dumps(_io.to_jsonable(row)) + "\n")
    results = run(args.quick, split(args.optimizers), split(args.trees), args.reps, on_row=log)
    path = _io.save_json(args.out, "step_time", results)
    table = markdown(results)
    (path.parent / "step_time.md").write_text(table)
    sys.stdout.write(table)


if __name__ == "__main__":
    main()
