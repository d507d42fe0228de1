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


@pytest.fixture(scope="session")
def osmem():
    from osmem_server import OsmemServer

    server = OsmemServer.start(japanese=False)
    yield server
    server.close()


def engine_config(engine: str, tmp_path: Path, es_url: str | None) -> dict:
    name = f"products_{uuid.uuid4().hex[:10]}"
    if engine == "tantivy":
        return {**django_settings.SEARCH_ENGINE, "ENGINE": "tantivy", "INDEX_NAME": name, "PATH": str(tmp_path / "search")}
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
def tantivy_backend(settings, tmp_path):
    settings.SEARCH_ENGINE = engine_config("tantivy", tmp_path, None)
    backend = get_backend()
    backend.ensure_index()
    return backend


def sync_index() -> None:
    """Drain the outbox into the engine now and make the writes searchable."""
    from indexing.sync import drain_outbox

    drain_outbox()
    get_backend().refresh()


@pytest.fixture
def celery_worker(search_backend, transactional_db, tmp_path):
    """A real Celery worker process on Redis, on its own queue, sharing the test
    database and the test's search engine."""
    from config.celery import app

    queue = f"test-{uuid.uuid4().hex[:8]}"
    db = django_settings.DATABASES["default"]
    engine = django_settings.SEARCH_ENGINE
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": django_settings.REDIS_URL,
        "CELERY_BROKER_URL": django_settings.CELERY_BROKER_URL,
        "CELERY_QUEUE": queue,
        "SEARCH_INDEX_NAME": engine["INDEX_NAME"],
        "VAR_DIR": str(tmp_path / "worker-var"),
    }
    if engine["ENGINE"] == "tantivy":
        env["TANTIVY_PATH"] = engine["PATH"]
        env.pop("ELASTICSEARCH_URL", None)
    else:
        env["ELASTICSEARCH_URL"] = engine["URL"]
        env["ELASTICSEARCH_PLAIN_JSON"] = "1"
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 - closed at teardown
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-P", "solo", "-Q", queue,
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    previous_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    deadline = time.monotonic() + 30
    while "ready" not in (tmp_path / "worker.log").read_text():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("celery worker did not start:\n" + (tmp_path / "worker.log").read_text())
        time.sleep(0.1)
    yield proc
    app.conf.task_default_queue = previous_queue
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()
