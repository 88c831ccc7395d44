# Two set-up commands for a fresh machine with Python >= 3.11 and make:
#   make demo   create .venv, install the package with its experiment extras, run the quick tour
#   make test   create .venv, install the package with its test extras, run the whole suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: demo demo-full test test-fast install-demo install-test clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), f"Python >= 3.11 needed, found {sys.version}"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install-demo: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[experiments]"

install-test: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test,experiments]"

demo: install-demo
	$(BIN)/python -m experiments.tour --quick --out outputs/tour

demo-full: install-demo
	$(BIN)/python -m experiments.tour --out outputs/tour

test: install-test
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

test-fast: install-test
	$(BIN)/python -m pytest -n 2 -m "not slow" $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) outputs site .pytest_cache
