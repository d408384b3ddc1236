# Two commands do everything on a fresh machine with Python 3.11+, make and git:
#   make run   create .venv, install, start the decision API on 127.0.0.1:8000 (demo tenant, SQLite store)
#   make test  create .venv if needed, install, ruff + pytest
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/fleetcharge serve --host 127.0.0.1 --port 8000

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/pytest -q -m "not slow"

bench: $(STAMP)
	$(BIN)/python bench/bill_year.py
	$(BIN)/python bench/scale.py
	$(BIN)/python bench/acn_2019_03.py --online-caps 10,20,30,40,60,80,125
	$(BIN)/python bench/api.py --requests 50

clean:
	rm -rf $(VENV) build .pytest_cache .ruff_cache
