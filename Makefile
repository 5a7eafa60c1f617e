# membank: `make run` sets everything up and starts the app; `make test` sets up and runs all tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.membank-installed
# torch first, pinned: this CPU build lies on the reference machines' disk; an unpinned torch
# (pulled in by sentence-transformers) would download a multi-GB CUDA build instead.
TORCH  ?= torch==2.13.0

.PHONY: run test test-fast setup lint bench clean package package-test appimage

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

# The inner loop: layering, lint and the unit tests (fakes, no models, no Qt), in about a minute.
test-fast: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/ruff check .
	$(BIN)/python -m pytest tests/unit -m "not model and not slow" -q

# The product's own benchmarks (membank-cli bench ...), written to docs/benchmarks.md.
LOCOMO ?= ../shared/data/locomo/locomo10.json
bench: $(STAMP)
	$(BIN)/membank-cli bench recall $(LOCOMO)
	$(BIN)/membank-cli bench chat
	$(BIN)/membank-cli bench startup
	$(BIN)/membank-cli bench scale --sizes 10000,100000 --vectors random

# One-folder app bundle in dist/membank/ (membank + membank-cli), see packaging/README.md.
# PORTABLE_LLAMA=0 bundles the venv's -march=native llama.cpp build (quick local builds only).
PORTABLE_LLAMA ?= 1
package: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,package]'
	@start=$$(date +%s); \
	if [ "$(PORTABLE_LLAMA)" = 1 ]; then \
	  libs=$$(PY=$(BIN)/python packaging/portable_llama.sh) || exit 1; export MEMBANK_LLAMA_LIB_DIR=$$libs; fi; \
	$(BIN)/pyinstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller \
	  packaging/membank.spec || exit 1; \
	echo "bundle: $$(du -sh dist/membank | cut -f1) in dist/membank, built in $$(( $$(date +%s) - start )) s"

package-test:
	$(BIN)/python packaging/smoke_test.py dist/membank $(if $(filter 1,$(PORTABLE_LLAMA)),--expect-portable)

# The AppImage around dist/membank (make package first); says so, and exits 3, when appimagetool
# is not on PATH (it is not on PyPI or in Debian: packaging/README.md).
appimage:
	packaging/appimage/build_appdir.sh dist/membank

clean:
	rm -rf $(VENV) build dist *.egg-info
