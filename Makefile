# Two commands do everything on a fresh machine with Python 3.11+, make and git:
#   make run   create .venv, install, start the decision API on 127.0.0.1:8000 (demo tenant, SQLite store)
#   make test  create .venv if needed, install, ruff + pytest (installs Debian's Chromium for the browser test
#              when it can: as root with apt-get; otherwise that one test skips with a message)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Python writes its compiled modules (__pycache__, ignored by git) even where the environment says not to: every
# server, solver process and import check of the suite would compile the project's sources again (measured on
# tests/test_imports.py from a clean tree: 24 % less CPU with them written)
unexport PYTHONDONTWRITEBYTECODE
# pip compiles every module it installs (34 s of CPU for ours, most never imported); `--no-compile` leaves that to
# the first import, which writes it once (measured on a fresh clone: install 39 s -> 17 s, the suite no slower)

.PHONY: run test lint bench clean notebooks browser

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --no-compile -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/fleetcharge serve --host 127.0.0.1 --port 8000

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# the suite on every core (pytest-xdist). Its default `load` distribution: the grouping ones (loadscope,
# loadfile) run schemathesis' 47 fuzz tests as one, for they share a node id
test: lint browser
	$(BIN)/pytest -q -m "not slow" -n auto

# Headless Chromium for tests/notebooks/test_browser.py (Playwright drives it with executable_path; it never
# downloads a browser). Best effort: without root or apt-get the browser test skips and says why.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium chromium-driver (Debian) for the browser test"; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 || \
	    { apt-get update -q >/dev/null 2>&1 && \
	      DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver >/dev/null 2>&1; } || \
	    echo "could not install chromium: the browser test will skip"; \
	  else echo "chromium not installed and no root apt-get: the browser test will skip"; fi; }

# marimo's editor on the notebooks folder (plan explorer, trace explorer, policy lab, tariff explorer, dashboard)
notebooks: $(STAMP)
	$(BIN)/marimo edit notebooks

bench: $(STAMP)
	$(BIN)/python bench/bill_year.py
	$(BIN)/python bench/scale.py
	$(BIN)/python bench/session_mip.py
	$(BIN)/python bench/contention.py
	$(BIN)/python bench/acn_2019_03.py --online-caps all
	$(BIN)/python bench/api.py --requests 50
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/kpis.py
	$(BIN)/python bench/jobs.py
	$(BIN)/python bench/simulate.py
	$(BIN)/python bench/routing.py
	$(BIN)/python bench/tco.py
	$(BIN)/python bench/metrics_middleware.py
	$(BIN)/python bench/ocpp.py
	FLEETCHARGE_FUZZ_EXAMPLES=100 $(BIN)/pytest -q tests/service/test_fuzz.py
	$(BIN)/pytest -q -m slow

clean:
	rm -rf $(VENV) build .pytest_cache .ruff_cache
