# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
# Each creates .venv with the python3 on PATH (3.10 or newer) and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test test-fast lint bench docs docs-serve clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("lambda-lifecycle needs Python 3.10+" if sys.version_info < (3, 10) else 0)'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.demo: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[timeline]'  # the demo draws its environment's timeline
	touch $@

$(VENV)/.dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.demo

demo: $(VENV)/.demo  ## simulate one Lambda execution environment locally
	$(BIN)/python -m lambda_lifecycle demo

test: $(VENV)/.dev  ## every tier of tests/ (unit, integration, end-to-end with real awslambdaric) and the examples' tests
	$(BIN)/python -m pytest

test-fast: $(VENV)/.dev  ## the unit tier alone, for the inner loop: seconds, its time on the last line
	$(BIN)/python -m pytest -q tests/unit

lint: $(VENV)/.dev  ## ruff and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(VENV)/.dev  ## side-by-side benchmark against Powertools
	$(BIN)/python benchmarks/run.py

docs: $(VENV)/.dev  ## the documentation site, into build/site (--strict, as tests/e2e/test_docs.py builds it)
	$(BIN)/python -m mkdocs build --strict --site-dir build/site

docs-serve: $(VENV)/.dev  ## the documentation site on http://127.0.0.1:8000, rebuilt on every change
	$(BIN)/python -m mkdocs serve

clean:
	rm -rf $(VENV) benchmarks/.cache .pytest_cache .mypy_cache .ruff_cache build/site
