# Two commands for a new user (see README.md):
#   make run   - install, ingest docs/ incrementally, start the main job
#   make test  - install with the test extras, lint, run the tests
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check

.PHONY: run test lint install install-test clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# Stamps re-run an install only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(PY)
	$(PIP) -e .
	touch $@

# torch first, pinned: an unpinned torch would pull a multi-GB CUDA build.
$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PIP) torch==2.13.0
	$(PIP) -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: install
	$(VENV)/bin/zhiwen ingest docs/
	$(VENV)/bin/zhiwen search "今年社会捐赠一共多少？"

lint: install-test
	$(VENV)/bin/ruff check .

test: install-test lint
	$(VENV)/bin/pytest

clean:
	rm -rf $(VENV) .zhiwen .pytest_cache .ruff_cache
