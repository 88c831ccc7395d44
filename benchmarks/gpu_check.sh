#!/usr/bin/env bash
# One prepared device call (benchmarks/README.md, "On a GPU"): the fused path's tests and the GPU
# step-time table (estimated at about 10 minutes on one H100/H200; not yet run on one). Run from the
# repository root with the device's own python3 (jax with CUDA, optax, torch, pytest):
# `OUT=dir bash benchmarks/gpu_check.sh`.
# The 4096 x 16k tree is left out: optax alone needs about 3 minutes to compile it.
set -uo pipefail
export PYTHONPATH="$PWD" XLA_PYTHON_CLIENT_PREALLOCATE=false
out="${OUT:-outputs/gpu}"
mkdir -p "$out"
python3 -c 'import jax, sys; sys.exit(0 if jax.default_backend() != "cpu" else f"gpu_check.sh needs an accelerator; jax sees only {jax.devices()}")' || exit 2
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$out/device.txt" 2>&1
timeout 240 python3 -m pytest -q -p no:cacheprovider -m "not cpu_only" -k fused tests/test_fused.py tests/test_reference.py \
    > "$out/tests.txt" 2>&1
echo "tests: exit $? (tail of $out/tests.txt)"; tail -5 "$out/tests.txt"
timeout 420 python3 -m benchmarks.step_time --trees leaf,gpt2,many --optimizers sgd,momentum,adam,adamw --out "$out"
echo "step_time: exit $?; table in $out/step_time.md"
