"""Shared fixtures: real PostgreSQL (pytest-django), Redis, a real Celery worker,
and both search engines — tantivy on a temporary directory, Elasticsearch's API
through osmem-server (started once per session)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from search.backends import get_backend

ROOT = Path(__file__).resolve().parent.parent


class TantivyKit:
    """tantivy on the test's temporary directory."""

    @staticmethod
    def config(name: str, tmp_path: Path, request) -> dict:
        return {"BACKEND": "search.backends.tantivy", "INDEX_NAME": name,
                "OPTIONS": {"PATH": str(tmp_path / "search"), "WRITER_WAIT_SECONDS": 15.0}}

    @staticmethod
    @contextmanager
    def down(settings):
        """Locked by another writer, as a stuck writer would hold it."""
        config = settings.SEARCH_ENGINE
        settings.SEARCH_ENGINE = {**config, "OPTIONS": {**config["OPTIONS"], "WRITER_WAIT_SECONDS": 0.2}}
        writer = get_backend()._index().writer(15_000_000, 1)
        try:
            yield
        finally:
            writer.rollback()
            del writer
            settings.SEARCH_ENGINE = config


class ElasticsearchKit:
    """Elasticsearch's API on the session's osmem-server."""

    @staticmethod
    def config(name: str, tmp_path: Path, request) -> dict:
        url = request.getfixturevalue("osmem").url if request is not None else "http://127.0.0.1:9"
        return {"BACKEND": "search.backends.elasticsearch", "INDEX_NAME": name,
                "OPTIONS": {"URL": url, "PLAIN_JSON": True, "TIMEOUT": 10.0, "REPLICAS": 0}}

    @staticmethod
    @contextmanager
    def down(settings):
        """A closed port."""
        config = settings.SEARCH_ENGINE
        settings.SEARCH_ENGINE = {**config, "OPTIONS": {**config["OPTIONS"], "URL": "http://127.0.0.1:9",
                                                        "TIMEOUT": 1}}
        try:
            yield
        finally:
            settings.SEARCH_ENGINE = config


# The engines every behaviour test runs on, written once: name → how a test gets an empty
# one, and how it makes the engine unreachable.
ENGINES = {"tantivy": TantivyKit, "elasticsearch": ElasticsearchKit}
UNREACHABLE_ENGINE = {"BACKEND": "search.backends.elasticsearch", "INDEX_NAME": "products",
                      "OPTIONS": {"URL": "http://127.0.0.1:9", "PLAIN_JSON": True, "TIMEOUT": 1}}


@pytest.fixture(autouse=True)
def fresh_rules():
    """Each test starts from the rules in its own database."""
    from search.facets.labels import forget_labels
    from search.merchandising.rules import forget_cached_rules

    forget_cached_rules()
    forget_labels()
    yield
    forget_cached_rules()
    forget_labels()


@pytest.fixture(scope="session")
def osmem():
    from osmem_server import OsmemServer

    server = OsmemServer.start(japanese=False)
    yield server
    server.close()


def engine_config(engine: str, tmp_path: Path, request) -> dict:
    """A configuration of ``engine`` under an index name of its own."""
    return ENGINES[engine].config(f"products_{uuid.uuid4().hex[:10]}", tmp_path, request)


def engine_down(settings):
    """The configured engine made unreachable, for the duration of a with block."""
    return ENGINES[get_backend().name].down(settings)


@pytest.fixture(params=list(ENGINES))
def search_backend(request, settings, tmp_path):
    """The configured search engine, empty, on each engine in turn."""
    settings.SEARCH_ENGINE = engine_config(request.param, tmp_path, request)
    backend = get_backend()
    backend.ensure_index()
    yield backend
    for name in backend.list_indices():
        backend.drop_index(name)


@pytest.fixture
def catalog(search_backend):
    """The small behaviour catalog (tests/catalog.py), indexed on the engine under test."""
    from tests.catalog import build_catalog

    catalog = build_catalog()
    sync_index()
    return catalog


@pytest.fixture
def one_engine_catalog(tantivy_backend):
    """The behaviour catalog on one engine (the embedded one), for tests of what does not
    depend on the engine: how pages, links and the API present a result. What the engines
    find is the behaviour suite's, on every engine."""
    from tests.catalog import build_catalog

    catalog = build_catalog()
    sync_index()
    return catalog


def wait_for(predicate, timeout: float = 20.0) -> bool:
    """Poll ``predicate`` until it holds or ``timeout`` seconds pass; True if it held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def tantivy_backend(request, settings, tmp_path):
    settings.SEARCH_ENGINE = engine_config("tantivy", tmp_path, request)
    backend = get_backend()
    backend.ensure_index()
    return backend


def restore_roles() -> None:
    """Re-run the data migrations that create the role groups and their
    permissions: a transactional test's flush removes what migrations wrote."""
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.operations import RunPython

    loader = MigrationLoader(connection)
    for key in loader.graph.leaf_nodes() and sorted(loader.graph.nodes):
        migration = loader.graph.nodes[key]
        if "role" not in migration.name:
            continue
        state_apps = loader.project_state(key, at_end=True).apps
        for operation in migration.operations:
            if isinstance(operation, RunPython):
                with connection.schema_editor() as editor:
                    operation.code(state_apps, editor)


def sync_index() -> None:
    """Drain the outbox into the engine now and make the writes searchable."""
    from indexing.sync import drain_outbox

    drain_outbox()
    get_backend().refresh()


class WorkerControl:
    """Start and stop a real Celery worker process on Redis, on a queue of its
    own, sharing the test database and the test's search engine."""

    def __init__(self, tmp_path: Path) -> None:
        from config.celery import app

        self.app = app
        self.queue = f"test-{uuid.uuid4().hex[:8]}"
        self.log_path = tmp_path / "worker.log"
        self.tmp_path = tmp_path
        self.proc: subprocess.Popen | None = None
        self._previous_queue = app.conf.task_default_queue
        app.conf.task_default_queue = self.queue  # what the test process publishes to

    def env(self) -> dict:
        db = django_settings.DATABASES["default"]
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "REDIS_URL": django_settings.REDIS_URL,
            "CELERY_BROKER_URL": django_settings.CELERY_BROKER_URL,
            "CELERY_QUEUE": self.queue,
            "VAR_DIR": str(self.tmp_path / "worker-var"),
            **get_backend().environment(),  # the test's engine, whichever it is
        }
        return env

    def start(self) -> None:
        self.log_path.write_text("")
        log = open(self.log_path, "a")  # noqa: SIM115 - the child process owns it
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-P", "solo", "-Q", self.queue,
             "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO"],
            cwd=ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + 30
        while "ready" not in self.log_path.read_text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("celery worker did not start:\n" + self.log_path.read_text())
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc = None

    def close(self) -> None:
        self.stop()
        self.app.conf.task_default_queue = self._previous_queue


@pytest.fixture
def worker(search_backend, transactional_db, tmp_path):
    """Control of a worker that is not started yet."""
    control = WorkerControl(tmp_path)
    yield control
    control.close()


@pytest.fixture
def celery_worker(worker):
    """A running worker."""
    worker.start()
    return worker
