"""Two processes on JAX's distributed runtime (gloo, 4 CPU devices each) train like one process on 8 devices.

tests/distributed_check.py starts the processes, trains plain and ``jol.fuse`` Adam on the global mesh,
writes an orbax checkpoint from the 2-process run and restores it in one process (about 80 s on 2 cores).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_two_processes_hold_the_single_process_params_and_their_checkpoint_restores_bit_identically(tmp_path):
    done = subprocess.run([sys.executable, "-m", "tests.distributed_check", "--processes", "2", "--out", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"ok": True, "errors": []}
    assert sorted(p.name for p in tmp_path.glob("*.npz")) == ["proc0.npz", "proc1.npz", "restored.npz", "single.npz"]
