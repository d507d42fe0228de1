import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import UNREACHABLE_ENGINE, engine_config

ROOT = Path(__file__).resolve().parent.parent
SERVICE_VARS = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "ELASTICSEARCH_URL", "SECRET_KEY", "DEBUG")

PROBE = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps({
    "db": settings.DATABASES["default"]["ENGINE"],
    "cache": settings.CACHES["default"]["BACKEND"],
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "engine": settings.SEARCH_ENGINE["BACKEND"],
    "debug": settings.DEBUG,
}))
"""


def run_settings(module: str, tmp_path: Path, **env_vars: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARS}
    env.update(DJANGO_SETTINGS_MODULE=module, VAR_DIR=str(tmp_path / "var"), **env_vars)
    return subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)


def test_nothing_set_runs_embedded(tmp_path):
    out = run_settings("config.settings", tmp_path)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {
        # ops.cache.Instrumented*: the Django backend, counting hits and misses for /metrics.
        "db": "django.db.backends.sqlite3", "cache": "ops.cache.InstrumentedLocMemCache",
        "eager": True, "engine": "search.backends.tantivy", "debug": True,
    }


def test_each_variable_switches_one_part_to_the_real_service(tmp_path):
    out = run_settings(
        "config.settings", tmp_path,
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/catalog", REDIS_URL="redis://127.0.0.1:6379/1",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/2", ELASTICSEARCH_URL="http://127.0.0.1:9200",
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {
        "db": "django.db.backends.postgresql", "cache": "ops.cache.InstrumentedRedisCache",
        "eager": False, "engine": "search.backends.elasticsearch", "debug": True,
    }


def test_production_settings_refuse_debug(tmp_path):
    out = run_settings("config.settings_production", tmp_path, DEBUG="1", SECRET_KEY="x" * 50)
    assert out.returncode != 0 and "DEBUG" in out.stderr


def test_production_settings_refuse_the_default_secret(tmp_path):
    out = run_settings("config.settings_production", tmp_path)
    assert out.returncode != 0 and "SECRET_KEY" in out.stderr


def test_production_settings_start_when_configured(tmp_path):
    out = run_settings("config.settings_production", tmp_path, SECRET_KEY="k" * 50)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["debug"] is False


def test_healthz_answers_without_dependencies(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_is_ready_when_every_service_answers(client, tantivy_backend):
    from search.semantic import embedder

    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    # Semantic matching is reported (on, or why the shop is lexical only), never a failure.
    assert response.json() == {"status": "ok", "semantic": embedder.status()}


@pytest.mark.django_db
def test_readyz_names_the_failing_search_engine(client, settings):
    settings.SEARCH_ENGINE = UNREACHABLE_ENGINE
    response = client.get("/readyz")
    assert response.status_code == 503
    assert list(response.json()["failing"]) == ["search"]


@pytest.mark.django_db
def test_readyz_stays_ready_without_the_cache_and_says_so(client, settings, tantivy_backend):
    # A cache on a closed port: the shop serves from PostgreSQL (ops.cache fails open), so the
    # replica stays in the load balancer, and the probe names what is degraded.
    settings.CACHES = {**settings.CACHES, "default": {
        "BACKEND": "ops.cache.InstrumentedRedisCache", "LOCATION": "redis://127.0.0.1:9/0",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}}}
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "degraded" and list(body["degraded"]) == ["cache"] and "failing" not in body


@pytest.mark.django_db
def test_readyz_names_a_missing_index(client, settings, tmp_path):
    settings.SEARCH_ENGINE = engine_config("tantivy", tmp_path / "none", None)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "reindex" in response.json()["failing"]["search"]


@pytest.mark.django_db
def test_the_models_need_no_migration_that_is_not_written():
    """Facets and engines come and go without one (FacetSetting names facets at run time)."""
    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
