# ChainScout: the two commands of the README, and the steps behind them.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test venv lint bench clean

# Run the main job on the embedded demo world: build it, train a model, serve the API on
# http://127.0.0.1:8000 (the first run prints the demo's API keys).
demo: $(STAMP)
	$(BIN)/chainscout serve

# Lint, check the Dockerfile, run the whole test suite (SQLite, and PostgreSQL when reachable)
# on TEST_WORKERS processes (3 on 2 cores: the browser and server tests wait as much as they
# compute), each taking whole test files (their module fixtures built once).
TEST_WORKERS ?= 3
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/hadolint Dockerfile
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile

venv: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "ChainScout needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,postgres]'
	touch $(STAMP)

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_demo_build.py --firms 1000000

clean:
	rm -rf var .pytest_cache .ruff_cache
