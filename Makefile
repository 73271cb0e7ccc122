# The negotiation tracker: `make serve` runs it, `make test` tests it.
# Both create .venv on first use from the lock files (requirements/*.txt: exact versions,
# hashes checked), then add the package itself without dependencies; they reinstall only
# when a lock file or pyproject.toml changes. `make lock` updates the lock files.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check --quiet
# Extra arguments, e.g. `make serve SERVE_ARGS="--port 8080"`, `make test PYTEST_ARGS="-x tests/unit"`
SERVE_ARGS ?=
PYTEST_ARGS ?=
# The lock files, made from pyproject.toml by uv (`make lock`): one for running, one for
# testing (the running one's pins are a subset of it). LOCK_ARGS, e.g. `--upgrade` or
# `--upgrade-package fastapi`, moves pins; without it only what pyproject.toml needs changes.
LOCK_RUN := requirements/run.txt
LOCK_TEST := requirements/test.txt
UV_VERSION := 0.13.9
LOCK_ARGS ?=
COMPILE = $(BIN)/uv pip compile pyproject.toml --quiet --universal --python-version 3.11 \
	--generate-hashes --custom-compile-command "make lock" $(LOCK_ARGS)

.DEFAULT_GOAL := help
.PHONY: help serve test lint format lock clean distclean

help:
	@echo "make serve      run the API on http://127.0.0.1:8000 (SQLite, embedded projector)"
	@echo "make test       run the test suite (pytest)"
	@echo "make lint       ruff check, ruff format --check, mypy and the import contracts"
	@echo "make format     ruff format and ruff check --fix"
	@echo "make lock       update requirements/*.txt from pyproject.toml (LOCK_ARGS=--upgrade: newest)"
	@echo "make clean      remove caches and build artefacts (keeps .venv and data)"
	@echo "make distclean  clean, and remove .venv"

$(BIN)/python:
	@echo "==> creating $(VENV) with $(PYTHON)"
	$(PYTHON) -m venv $(VENV)

# Stamps: one per install flavour, redone when its lock file or pyproject.toml is newer.
$(VENV)/.installed-run: $(LOCK_RUN) pyproject.toml | $(BIN)/python
	@echo "==> pip install -r $(LOCK_RUN), then -e . without dependencies"
	$(PIP) install --require-hashes -r $(LOCK_RUN)
	$(PIP) install --no-deps -e .
	@touch $@

# The test lock holds every pin of the run lock, so a test install is also a run install.
$(VENV)/.installed-test: $(LOCK_TEST) pyproject.toml | $(BIN)/python
	@echo "==> pip install -r $(LOCK_TEST), then -e . without dependencies"
	$(PIP) install --require-hashes -r $(LOCK_TEST)
	$(PIP) install --no-deps -e .
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

# uv resolves for every platform and Python from 3.11 on (--universal), in seconds; it is a
# tool of this target only, not a dependency of the package. The test lock is made first and
# constrains the run lock, so both pin the same versions.
lock: | $(BIN)/python
	$(PIP) install "uv==$(UV_VERSION)"
	$(COMPILE) --extra test -o $(LOCK_TEST)
	$(COMPILE) --constraint $(LOCK_TEST) -o $(LOCK_RUN)

clean:
	rm -rf build dist *.egg-info .pytest_cache .ruff_cache .mypy_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
	rm -f $(VENV)/.installed-run $(VENV)/.installed-test

distclean: clean
	rm -rf $(VENV)
