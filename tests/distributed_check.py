"""Training across processes on JAX's distributed runtime, plain and fused; run by tests/test_distributed.py.

``python -m tests.distributed_check --processes 2 --out DIR`` starts two worker processes on
127.0.0.1 (4 host CPU devices each, gloo collectives) that train a small linear model a few steps on
the global 8-device mesh (params replicated, the batch split over ``data``) with ``jol.adam`` and
``jol.fuse(jol.adam)``, write their params (``DIR/proc<k>.npz``) and an orbax checkpoint of the
fused run (``DIR/ckpt``); then the same training runs in one process on 8 devices (``DIR/single.npz``)
and restores the checkpoint (``DIR/restored.npz``). It prints ``{"ok": true}`` or what differed.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np

STEPS, BATCH, DIM = 5, 64, 6


def data() -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(BATCH, DIM)).astype(np.float32)
    y = (x @ rng.normal(size=DIM) + 0.1).astype(np.float32)
    return x, y, {"w": np.zeros(DIM, np.float32), "b": np.zeros((), np.float32)}


def train(fused: bool) -> dict:
    """``STEPS`` steps of Adam on the global mesh; the loss's gradient all-reduces over ``data``."""
    import jax
    import jax.numpy as jnp
    import optax
    from jax.sharding import NamedSharding, PartitionSpec as P

    import jaxopt_lectures as jol
    from jaxopt_lectures.interop import state_shardings

    mesh = jax.make_mesh((jax.device_count(),), ("data",))
    put = lambda a, spec: jax.make_array_from_callback(a.shape, NamedSharding(mesh, spec), lambda i: a[i])
    x, y, params0 = data()
    x, y = put(x, P("data")), put(y, P("data"))
    params = {k: put(v, P()) for k, v in params0.items()}
    tx = jol.fuse(jol.adam(1e-2)) if fused else jol.adam(1e-2)
    state = jax.jit(tx.init, out_shardings=state_shardings(tx, params))(params)
    loss = lambda p, x, y: jnp.mean((x @ p["w"] + p["b"] - y) ** 2)

    @jax.jit
    def step(params, state, x, y):
        updates, state = tx.update(jax.grad(loss)(params, x, y), state, params)
        return optax.apply_updates(params, updates), state

    for _ in range(STEPS):
        params, state = step(params, state, x, y)
    return params


def local(params: dict) -> dict[str, np.ndarray]:
    """This process's copy of replicated params."""
    return {k: np.asarray(v.addressable_data(0)) for k, v in params.items()}


def worker(k: int, n: int, port: int, out: Path) -> None:
    import jax

    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(f"127.0.0.1:{port}", num_processes=n, process_id=k)
    assert jax.device_count() == 8 and jax.local_device_count() == 8 // n
    plain, fused = train(fused=False), train(fused=True)
    np.savez(out / f"proc{k}.npz", **{f"plain_{a}": v for a, v in local(plain).items()},
             **{f"fused_{a}": v for a, v in local(fused).items()})
    import orbax.checkpoint as ocp

    with ocp.StandardCheckpointer() as ckpt:
        ckpt.save((out / "ckpt").absolute(), fused)
    jax.distributed.shutdown()


def single(out: Path) -> None:
    """The same training in one process on 8 devices, and the 2-process checkpoint restored here."""
    import jax
    import orbax.checkpoint as ocp

    plain, fused = train(fused=False), train(fused=True)
    np.savez(out / "single.npz", **{f"plain_{a}": v for a, v in local(plain).items()},
             **{f"fused_{a}": v for a, v in local(fused).items()})
    abstract = jax.tree.map(lambda a: jax.ShapeDtypeStruct(a.shape, a.dtype, sharding=a.sharding), fused)
    with ocp.StandardCheckpointer() as ckpt:
        restored = ckpt.restore((out / "ckpt").absolute(), abstract)
    np.savez(out / "restored.npz", **local(restored))


def compare(out: Path, n: int) -> list[str]:
    one = np.load(out / "single.npz")
    errors = []
    for k in range(n):
        proc = np.load(out / f"proc{k}.npz")
        errors += [f"process {k}: {name} != one process" for name in one.files
                   if not np.allclose(proc[name], one[name], rtol=1e-6, atol=1e-7)]
    first, restored = np.load(out / "proc0.npz"), np.load(out / "restored.npz")
    errors += [f"restored {name} != written" for name in restored.files
               if not np.array_equal(restored[name], first[f"fused_{name}"])]
    return errors


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--processes", type=int, default=2)
    p.add_argument("--out", default="outputs/distributed")
    p.add_argument("--worker", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--single", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    out = Path(args.out)
    if args.worker is not None:
        return worker(args.worker, args.processes, args.port, out)
    if args.single:
        return single(out)
    out.mkdir(parents=True, exist_ok=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    flags = "--xla_force_host_platform_device_count="
    devices = lambda d: {**os.environ, "JAX_PLATFORMS": "cpu", "XLA_FLAGS": f"{flags}{d}"}
    cmd = [sys.executable, "-m", "tests.distributed_check", "--processes", str(args.processes), "--out", str(out)]
    procs = [subprocess.Popen([*cmd, "--worker", str(k), "--port", str(port)], env=devices(8 // args.processes))
             for k in range(args.processes)]
    codes = [proc.wait(timeout=600) for proc in procs]
    assert codes == [0] * args.processes, f"workers exited with {codes}"
    subprocess.run([*cmd, "--single"], env=devices(8), check=True, timeout=600)
    errors = compare(out, args.processes)
    json.dump({"ok": not errors, "errors": errors}, sys.stdout)


if __name__ == "__main__":
    main()
