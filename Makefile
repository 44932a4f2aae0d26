# KCloud Monitor: `make demo` runs the whole product locally, `make test` checks it.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SIZE ?= test
# Settings for `manage.py check` etc. outside the test run (pytest sets its own).
DEV_ENV := DEBUG=1

.PHONY: help venv system-deps lint check test e2e load messages demo clean

help:
	@echo "make demo   - set up and run the product on a simulated fleet (http://127.0.0.1:8000)"
	@echo "make test   - set up and run lint, checks and the test suite"
	@echo "make e2e    - the production-shaped run: nginx, two instances, PostgreSQL, Redis, faults"
	@echo "make load   - bench/load.py: 200 users for 60 s through nginx on two instances (locust)"

# The same install script the container image runs (with --dev for the test tools).
$(VENV)/.installed: requirements/base.txt requirements/dev.txt scripts/install.sh
	PYTHON=$(PYTHON) bash scripts/install.sh --dev --venv $(VENV)
	touch $@

venv: $(VENV)/.installed

# Prometheus (and Chromium for browser tests) come from Debian packages.
system-deps:
	@bash scripts/system-deps.sh

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

check: venv
	$(DEV_ENV) $(PY) manage.py check
	$(DEV_ENV) $(PY) manage.py makemigrations --check --dry-run

test: venv system-deps lint check
	$(PY) -m pytest

# Production-shaped (tests/e2e): deploy/vm's nginx in front of two instances, own PostgreSQL and
# Redis, then faults. Separate from `make test` for its time; CI runs both (.ci/run).
e2e: venv system-deps
	$(PY) -m pytest -m e2e tests/e2e

# Load: locust (requirements/bench.txt) against the production-shaped stack; prints the tables.
load: venv system-deps
	$(VENV)/bin/pip install -q -r requirements/bench.txt
	$(PY) bench/load.py

# The Korean catalogues: extract what changed (translate the new entries in locale/ko), then compile.
I18N_IGNORE := --ignore "var/*" --ignore "node_modules/*" --ignore "tests/*" --ignore "demo/*" \
	--ignore "bench/*" --ignore "deploy/*" --ignore "static/vendor/*"
messages: venv
	$(DEV_ENV) $(PY) manage.py makemessages -l ko -d django --no-obsolete --no-location $(I18N_IGNORE)
	$(DEV_ENV) $(PY) manage.py makemessages -l ko -d djangojs --no-obsolete --no-location $(I18N_IGNORE)
	cd locale && $(DEV_ENV) ../$(PY) ../manage.py compilemessages -l ko

demo: venv system-deps
	$(DEV_ENV) $(PY) manage.py migrate --noinput
	$(DEV_ENV) $(PY) manage.py rundemo --size $(SIZE)

clean:
	rm -rf var/demo var/test .pytest_cache
