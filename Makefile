# Tribune: `make run` serves the forum with demo data, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test bench messages clean-db help lock audit screenshots

help:
	@echo "make run    : installe, migre, charge la démo (1re fois) et sert http://$(HOST):$(PORT)"
	@echo "make test   : lance toute la suite de tests (SQLite, PostgreSQL, SMTP, navigateur)"
	@echo "make bench  : mesures de performance (écrit bench/RESULTS.md)"

$(STAMP): pyproject.toml requirements.lock $(wildcard forum/locale/*/LC_MESSAGES/*.po)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip --version >/dev/null 2>&1 || $(PY) -m ensurepip --upgrade >/dev/null
	@$(PY) -m pip install --quiet --disable-pip-version-check uv
	@$(VENV)/bin/uv pip install --quiet --python $(PY) -r requirements.lock
	@$(VENV)/bin/uv pip install --quiet --python $(PY) --no-deps -e .
	@$(VENV)/bin/pybabel compile --domain messages --directory forum/locale --statistics 2>&1 | tail -n 1
	@touch $(STAMP)

run: $(STAMP)
	@$(PY) -m forum migrate
	@$(PY) -m forum demo
	@echo "Tribune : http://$(HOST):$(PORT)  (comptes de démonstration ci-dessus, mot de passe : demo-tribune-2026)"
	@$(VENV)/bin/uvicorn --factory forum.app:create_app --host $(HOST) --port $(PORT) --proxy-headers

test: $(STAMP)
	@$(VENV)/bin/mypy
	@$(PY) -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	@$(PY) bench/run.py

# Bounded load test: 64 members for 60 s against 2 workers, SQLite then PostgreSQL (LOAD_ARGS="--duration 10").
.PHONY: load
load: $(STAMP)
	@$(PY) bench/load.py $(LOAD_ARGS)

messages: $(STAMP)
	@$(VENV)/bin/pybabel extract -F babel.cfg -o forum/locale/messages.pot --no-location --sort-output --project Tribune --ignore-dirs='.venv bench tests var' .
	@$(VENV)/bin/pybabel update -i forum/locale/messages.pot -d forum/locale -D messages
	@$(VENV)/bin/pybabel compile -d forum/locale -D messages

clean-db:
	rm -f var/tribune.db var/tribune.db-wal var/tribune.db-shm

# Pinned dependencies: regenerate after changing pyproject.toml.
lock: $(STAMP)
	@$(VENV)/bin/uv pip compile pyproject.toml --extra test --quiet --python-version 3.11 -o requirements.lock

# Known vulnerabilities in the pinned dependencies (needs the advisory data online).
audit: $(STAMP)
	@$(PY) -m pip install --quiet --disable-pip-version-check pip-audit
	@$(PY) .ci/audit.py

# PNG screenshots of the main pages (demo data, desktop and phone) into docs/screenshots/.
screenshots: $(STAMP)
	@$(PY) docs/make_screenshots.py
