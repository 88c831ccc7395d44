"""Sharded params (8 host CPU devices, 4 x 2 mesh): init and update under jit keep the shardings.

The devices exist only if XLA_FLAGS is set before jax starts, so the checks run in a subprocess
(tests/sharding_check.py) once for all registry rows; each row is then its own test. Rows with
``keeps_sharding`` (default: the elementwise ones) must keep the params' sharding in every
params-shaped state leaf and in the updates; the others must run on sharded params.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.registry import ROWS

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def results() -> dict[str, str]:
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=8", "JAX_PLATFORMS": "cpu"}
    done = subprocess.run([sys.executable, "-m", "tests.sharding_check"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.id)
def test_init_and_update_under_jit_keep_the_params_shardings(results, row):
    assert results[row.id] == "ok"
