"""Shared fixtures: real PostgreSQL (pytest-django), Redis, a real Celery worker,
and both search engines — tantivy on a temporary directory, Elasticsearch's API
through osmem-server (started once per session)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from search.backends import get_backend

ENGINES = ["tantivy", "elasticsearch"]
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def fresh_rules():
    """Each test starts from the rules in its own database."""
    from search.results import forget_labels
    from search.rules import forget_cached_rules

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


def engine_config(engine: str, tmp_path: Path, es_url: str | None) -> dict:
    name = f"products_{uuid.uuid4().hex[:10]}"
    if engine == "tantivy":
        return {**django_settings.SEARCH_ENGINE, "ENGINE": "tantivy", "INDEX_NAME": name,
                "PATH": str(tmp_path / "search")}
    return {**django_settings.SEARCH_ENGINE, "ENGINE": "elasticsearch", "INDEX_NAME": name, "URL": es_url,
            "PLAIN_JSON": True}


@pytest.fixture(params=ENGINES)
def search_backend(request, settings, tmp_path):
    """The configured search engine, empty, on each engine in turn."""
    es_url = request.getfixturevalue("osmem").url if request.param == "elasticsearch" else None
    settings.SEARCH_ENGINE = engine_config(request.param, tmp_path, es_url)
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


def wait_for(predicate, timeout: float = 20.0) -> bool:
    """Poll ``predicate`` until it holds or ``timeout`` seconds pass; True if it held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def tantivy_backend(settings, tmp_path):
    settings.SEARCH_ENGINE = engine_config("tantivy", tmp_path, None)
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
        engine = django_settings.SEARCH_ENGINE
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "REDIS_URL": django_settings.REDIS_URL,
            "CELERY_BROKER_URL": django_settings.CELERY_BROKER_URL,
            "CELERY_QUEUE": self.queue,
            "SEARCH_INDEX_NAME": engine["INDEX_NAME"],
            "VAR_DIR": str(self.tmp_path / "worker-var"),
        }
        if engine["ENGINE"] == "tantivy":
            env["TANTIVY_PATH"] = engine["PATH"]
            env.pop("ELASTICSEARCH_URL", None)
        else:
            env["ELASTICSEARCH_URL"] = engine["URL"]
            env["ELASTICSEARCH_PLAIN_JSON"] = "1"
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
