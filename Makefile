# Stockroom: `make run` serves the demo, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PG_URL ?= postgres://postgres@127.0.0.1:5432/stockroom
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install run test bench services chromium clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.installed

run: install
	bash scripts/run-embedded.sh

services:
	@bash scripts/ensure-services.sh

chromium:
	bash scripts/ensure-chromium.sh

test: install services chromium
	bash scripts/test.sh

# Prints one JSON line per result on stdout; progress goes to stderr.
bench: install services
	@DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/stockroom_bench} DEBUG=1 $(PY) -m bench

clean:
	rm -rf $(VENV) node_modules staticfiles var db.sqlite3
