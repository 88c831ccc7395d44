"""Test-wide settings: float32 by default; float64 only inside explicit ``jax.enable_x64`` blocks."""

import os

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
