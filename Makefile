# ShopOps: `make run` for a local demo, `make test` for the whole suite (what CI runs).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Tests use the real PostgreSQL and Redis on localhost; override to point elsewhere.
TEST_DATABASE_URL ?= postgres://postgres:postgres@127.0.0.1:5432/shopops
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
PYTEST_ARGS ?=

.PHONY: run test lint format install install-test migrate demo serve services browser clean lock help

help:
	@echo "make run    - install, migrate, load demo data, serve on http://$(HOST):$(PORT)"
	@echo "make test   - install test deps, ensure PostgreSQL/Redis/Chromium, lint, run all tests"
	@echo "make lint   - ruff check + format check"
	@echo "make lock   - re-resolve requirements/*.lock from pyproject.toml"

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11 (apt-get install python3.11 python3.11-venv)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed-base: requirements/base.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/base.lock
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $@

$(VENV)/.installed-test: requirements/test.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/test.lock
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $@ $(VENV)/.installed-base

install: $(VENV)/.installed-base
install-test: $(VENV)/.installed-test

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py load_demo

serve: install
	@$(BIN)/python manage.py demo_logins --host $(HOST) --port $(PORT)
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

run: demo serve

services:
	@bash scripts/ensure_services.sh

browser:
	@bash scripts/ensure_browser.sh

lint: install-test
	$(BIN)/ruff check src tests bench conftest.py manage.py
	$(BIN)/ruff format --check src tests bench conftest.py manage.py

format: install-test
	$(BIN)/ruff check --fix src tests bench conftest.py manage.py
	$(BIN)/ruff format src tests bench conftest.py manage.py

test: install-test services browser lint
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/pytest $(PYTEST_ARGS)

lock: | $(BIN)/python
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml -o requirements/base.lock --python-version 3.11 -q
	$(BIN)/uv pip compile pyproject.toml --extra test -o requirements/test.lock --python-version 3.11 -q

clean:
	rm -rf $(VENV) var
