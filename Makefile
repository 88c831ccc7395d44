# Two set-up commands for a fresh machine with Python >= 3.11 and make:
#   make demo   create .venv, install the package with its experiment extras, run the quick tour
#   make test   create .venv, install the package with its test extras, run the whole suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: demo demo-full bench browser test test-fast test-slow test-gpu docs docs-serve install-demo install-test install-docs install-gpu clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), f"Python >= 3.11 needed, found {sys.version}"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install-demo: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[experiments]"

install-test: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test,experiments]"

install-gpu: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test,experiments,gpu]"

install-docs: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[docs,experiments]"

# the site (mkdocs.yml): pages generated from the docstrings, tests/registry and the experiments' --quick figures
docs: install-docs
	$(BIN)/python -m mkdocs build --strict

docs-serve: install-docs
	$(BIN)/python -m mkdocs serve

# step time of every optimizer vs optax and torch.optim (JSON + markdown in outputs/bench; minutes)
bench: install-test
	$(BIN)/python -m benchmarks.step_time --out outputs/bench

demo: install-demo
	$(BIN)/python -m experiments.tour --quick --out outputs/tour
	$(BIN)/python -m experiments.explorer --quick --out outputs/explorer

demo-full: install-demo
	$(BIN)/python -m experiments.tour --out outputs/tour
	$(BIN)/python -m experiments.explorer --out outputs/explorer

# the explorer's browser test drives Debian's chromium with selenium; install them where missing (root, apt)
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && apt-get update -q >/dev/null && apt-get install -y -q chromium chromium-driver >/dev/null; } || \
	  echo "note: chromium/chromium-driver not installed; the explorer's browser test will be skipped"

test: install-test browser
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

test-fast: install-test
	$(BIN)/python -m pytest -n 2 -m "not slow" $(PYTEST_ARGS)

test-slow: install-test
	$(BIN)/python -m pytest -n 2 -m slow $(PYTEST_ARGS)

# the whole suite on the default accelerator (a CUDA GPU), without the checks of CPU-compiled HLO;
# one process, and no preallocation, since the tests share one GPU's memory
test-gpu: install-gpu
	@$(BIN)/python -c 'import jax; b = jax.default_backend(); assert b != "cpu", f"make test-gpu needs an accelerator; jax sees only {jax.devices()}"'
	XLA_PYTHON_CLIENT_PREALLOCATE=false $(BIN)/python -m pytest -m "not cpu_only" $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) outputs site .pytest_cache
