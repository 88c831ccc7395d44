"""The benchmark suite runs (``--quick`` sizes, no timing assertions) and its table is consistent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import pytest

from benchmarks import cases, step_time


def test_gpt2_like_trees_have_148_leaves_and_gpt2_small_has_124m_params():
    gpu = cases.tree_shapes("gpu", quick=False)["gpt2"]
    assert len(gpu) == 148
    assert 124e6 < cases.num_params(gpu) < 125e6
    cpu = cases.tree_shapes("cpu", quick=False)
    assert len(cpu["gpt2"]) == 148 and 25e6 < cases.num_params(cpu["gpt2"]) < 35e6
    assert len(cpu["small"]) == 2048 and cases.num_params(cpu["leaf"]) == 1 << 24
    assert cases.num_params(cpu["many"]) == 1024 * 2048 and cases.num_params(cpu["small"]) == 2048 * 4096


@pytest.mark.parametrize("case", cases.CASES, ids=lambda c: c.name)
def test_bytes_per_param_counts_the_per_parameter_state_fields(case):
    """4·(3 + 2k) for k float32 state fields of the params' size: read g, θ and state, write θ and state."""
    n = 10
    state = case.ours().init({"w": jnp.zeros(n)})
    k = sum(1 for x in jax.tree.leaves(state) if x.shape == (n,))
    assert case.bytes_per_param == 4 * (3 + 2 * k)


def test_quick_run_times_every_variant_in_the_same_run():
    results = step_time.run(quick=True, optimizers=["sgd", "adam"], trees=["mlp", "small"], reps=1)
    rows = results["rows"]
    seen = {(r["tree"], r["optimizer"], r["variant"]) for r in rows}
    for tree in ("mlp", "small"):
        for opt in ("sgd", "adam"):
            assert {(tree, opt, v) for v in ("ours", "fused_tree", "fused", "fused_chunked", "optax")} <= seen
    assert all(r["ms"] > 0 and r["bytes_per_s"] > 0 for r in rows)
    assert all(r["compile_s"] > 0 and r["temp_bytes"] is not None for r in rows if not r["variant"].startswith("torch"))
    table = step_time.markdown(results)
    assert table.count("\n| mlp | ") == 2 and "Roofline" in table


def test_cli_writes_json_and_markdown(tmp_path):
    step_time.main(["--quick", "--out", str(tmp_path), "--optimizers", "momentum", "--trees", "leaf", "--reps", "1"])
    results = json.loads((tmp_path / "step_time.json").read_text())
    assert {r["variant"] for r in results["rows"]} >= {"ours", "fused", "optax"}
    assert "| leaf | momentum |" in (tmp_path / "step_time.md").read_text()


def test_the_gpu_script_refuses_to_run_without_an_accelerator(tmp_path):
    """benchmarks/gpu_check.sh is the one prepared device call; on a CPU it stops before measuring."""
    script = Path(__file__).resolve().parents[1] / "benchmarks" / "gpu_check.sh"
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "OUT": str(tmp_path), "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    done = subprocess.run(["bash", str(script)], cwd=script.parents[1], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "needs an accelerator" in done.stderr
    assert not (tmp_path / "step_time.json").exists()
