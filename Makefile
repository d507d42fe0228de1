# Two commands: `make run` (the storefront, embedded: SQLite + tantivy, no services)
# and `make test` (the suite, on this machine's PostgreSQL and Redis).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
DEMO_PRODUCTS ?= 3000
HOST ?= 127.0.0.1:8000

.PHONY: install run test lint bench seed

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_catalog --products $(DEMO_PRODUCTS) --seed 42 --if-empty
	$(BIN)/python manage.py reindex --no-input
	$(BIN)/python manage.py runserver $(HOST)

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .

bench: install
	$(BIN)/python bench/run_all.py
