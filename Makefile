# Two commands: `make run` (the storefront, embedded: SQLite + tantivy, no services)
# and `make test` (the suite, on this machine's PostgreSQL and Redis).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
DEMO_PRODUCTS ?= 3000
HOST ?= 127.0.0.1:8000

.PHONY: install run test lint bench browser

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

# Browser tests drive Debian's chromium; install it where we can (root + apt),
# otherwise they are skipped with a message.
browser:
	@test -x /usr/bin/chromium || { command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) ; } || \
	  echo "chromium could not be installed: the browser tests will be skipped"

test: install browser
	$(BIN)/python -m pytest

# ruff, the layering contracts of docs/ARCHITECTURE.md (import-linter, pyproject.toml) and
# the types of the search and indexing apps (mypy with django-stubs).
lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy search indexing

bench: install
	$(BIN)/python bench/run_all.py
