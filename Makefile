# membank: `make run` sets everything up and starts the app; `make test` sets up and runs all tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.membank-installed
# torch first, pinned: this CPU build lies on the reference machines' disk; an unpinned torch
# (pulled in by sentence-transformers) would download a multi-GB CUDA build instead.
TORCH  ?= torch==2.13.0

.PHONY: run test setup lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip wheel setuptools
	$(BIN)/python -m pip install --quiet $(TORCH)
	# llama-cpp-python compiles from source the first time (15-20 min on 2 cores); pip caches the wheel.
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/membank

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

test: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/ruff check .
	$(BIN)/mypy
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m tests.benchmarks.run

clean:
	rm -rf $(VENV) build *.egg-info
