# The negotiation tracker: `make serve` runs it, `make test` tests it.
# Both create .venv on first use and reinstall only when pyproject.toml changes.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check --quiet
# Extra arguments, e.g. `make serve SERVE_ARGS="--port 8080"`, `make test PYTEST_ARGS="-x tests/unit"`
SERVE_ARGS ?=
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help serve test lint format clean distclean

help:
	@echo "make serve      run the API on http://127.0.0.1:8000 (SQLite, embedded projector)"
	@echo "make test       run the test suite (pytest)"
	@echo "make lint       ruff check, ruff format --check, mypy and the import contracts"
	@echo "make format     ruff format and ruff check --fix"
	@echo "make clean      remove caches and build artefacts (keeps .venv and data)"
	@echo "make distclean  clean, and remove .venv"

$(BIN)/python:
	@echo "==> creating $(VENV) with $(PYTHON)"
	$(PYTHON) -m venv $(VENV)

# Stamps: one per install flavour, redone when pyproject.toml is newer.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	@echo "==> pip install -e ."
	$(PIP) install -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	@echo "==> pip install -e '.[test]'"
	$(PIP) install -e '.[test]'
	@touch $@ $(VENV)/.installed-run

serve: $(VENV)/.installed-run
	$(BIN)/ntrack serve $(SERVE_ARGS)

# pytest's own exit code is printed and passed on (make itself then exits 2);
# exit code 5 (no tests collected) fails like any other.
test: $(VENV)/.installed-test
	@$(BIN)/pytest $(PYTEST_ARGS) || { rc=$$?; echo "pytest exited with $$rc" >&2; exit $$rc; }

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(VENV)/.installed-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf build dist *.egg-info .pytest_cache .ruff_cache .mypy_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
	rm -f $(VENV)/.installed-run $(VENV)/.installed-test

distclean: clean
	rm -rf $(VENV)
