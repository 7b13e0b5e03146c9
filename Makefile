# Two commands on a fresh machine: `make demo` and `make test`. Each sets up .venv when missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo theory bench test test-slow lint clean-venv

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m sim.demo

theory: $(STAMP)
	$(BIN)/python -m sim.theory_checks

bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py --sizes s,m --repeat 1

lint: $(STAMP)
	$(BIN)/ruff check sim tests experiments benchmarks
	$(BIN)/mypy

test: lint $(STAMP)
	$(BIN)/python -m pytest -m "not slow" -n 2 -q

test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow -n 2 -q

clean-venv:
	rm -rf $(VENV)
