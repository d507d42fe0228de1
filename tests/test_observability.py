"""Observability: request ids (in responses, log records and Celery tasks), JSON logs,
Prometheus metrics and their protection, Sentry, and the read-replica router."""

from __future__ import annotations

import gzip
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import urllib.request
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from celery import shared_task
from django.core.cache import cache
from django.db import connections
from django.test import RequestFactory
from prometheus_client.parser import text_string_to_metric_families

from config.db_router import PIN_COOKIE, PrimaryReplicaRouter, primary_reads, replica_reads
from indexing.metrics import DRIFT_CACHE_KEY
from indexing.models import OutboxEntry
from ops.logging import RequestIdFilter, json_formatter
from ops.metrics import observe_search
from ops.middleware import ReplicaRoutingMiddleware
from ops.request_id import reset_request_id, set_request_id
from search.backends import get_backend
from search.query.request import SearchRequest
from search.query.result import SearchResult
from store.models import Product
from tests.catalog import build_catalog
from tests.conftest import sync_index, wait_for

ROOT = Path(__file__).resolve().parent.parent


def scrape(client, **extra) -> dict[tuple, float]:
    response = client.get("/metrics", **extra)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict, name: str, **labels) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


# --- Request ids ------------------------------------------------------------------------------------------


def test_a_well_formed_request_id_is_kept_and_a_bad_one_replaced(client):
    assert client.get("/healthz", HTTP_X_REQUEST_ID="edge-7f3a9c1e")["X-Request-ID"] == "edge-7f3a9c1e"
    replaced = client.get("/healthz", HTTP_X_REQUEST_ID='bad id"<script>')["X-Request-ID"]
    assert len(replaced) == 32 and replaced.isalnum()
    assert len(client.get("/healthz")["X-Request-ID"]) == 32


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[dict] = []
        self.addFilter(RequestIdFilter())
        self.setFormatter(json_formatter())

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.mark.django_db
def test_log_records_of_a_request_carry_its_id_as_json(client):
    handler = Collect()
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        client.get("/p/no-such-product/", HTTP_X_REQUEST_ID="trace-404-abcdef")
    finally:
        logger.removeHandler(handler)
    line = next(line for line in handler.lines if "Not Found" in line["message"])
    assert line["request_id"] == "trace-404-abcdef"
    assert line["level"] == "WARNING" and line["logger"] == "django.request" and "timestamp" in line


def test_production_logs_are_json_lines_with_the_request_id(tmp_path):
    script = ("import django, logging; django.setup(); from ops.request_id import set_request_id; "
              "set_request_id('cli-req-12345678'); "
              "logging.getLogger('catalog.test').warning('hello %s', 'json')")
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "LOG_FORMAT", "DATABASE_URL")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings_production", SECRET_KEY="s" * 50,
               VAR_DIR=str(tmp_path / "var"))
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    line = json.loads(out.stderr.strip().splitlines()[-1])
    assert line["message"] == "hello json" and line["level"] == "WARNING" and line["logger"] == "catalog.test"
    assert line["request_id"] == "cli-req-12345678" and "timestamp" in line


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_request_id_travels_into_the_celery_task_and_its_logs(worker, monkeypatch):
    """A real worker: the drain task published during a request logs that request's id, and the
    worker's own /metrics counts the outcome."""
    from indexing.outbox import request_drain

    port = free_port()
    monkeypatch.setenv("LOG_FORMAT", "json")
    monkeypatch.setenv("CELERY_METRICS_PORT", str(port))
    monkeypatch.setenv("CELERY_METRICS_ADDR", "127.0.0.1")
    worker.start()
    token = set_request_id("web-req-0123456789")
    try:
        request_drain()  # what transaction.on_commit does after a product write
    finally:
        reset_request_id(token)

    def task_lines() -> list[dict]:
        lines = []
        for raw in worker.log_path.read_text().splitlines():
            if raw.startswith("{"):
                lines.append(json.loads(raw))
        return [line for line in lines
                if "drain_outbox" in line.get("message", "") and "succeeded" in line["message"]]

    assert wait_for(task_lines, timeout=30.0), worker.log_path.read_text()
    assert task_lines()[0]["request_id"] == "web-req-0123456789"
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    assert 'catalog_celery_tasks_total{outcome="success",task="indexing.tasks.drain_outbox"} 1.0' in text


# --- Metrics ---------------------------------------------------------------------------------------------


def test_metrics_are_served_to_private_addresses_or_with_the_token(client, settings):
    settings.METRICS_BEARER_TOKEN = "scrape-token-123"
    assert client.get("/metrics").status_code == 200  # 127.0.0.1
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200  # the compose network
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.7").status_code == 403
    # Through nginx every request comes from a private address: the forwarded ones need the token.
    proxied = client.get("/metrics", REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert proxied.status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.7",
                      HTTP_AUTHORIZATION="Bearer scrape-token-123").status_code == 200
    wrong = client.get("/metrics", REMOTE_ADDR="203.0.113.7", HTTP_AUTHORIZATION="Bearer wrong")
    assert wrong.status_code == 403
    # Answered before the host check: Prometheus scrapes by address.
    assert client.get("/metrics", HTTP_HOST="10.0.0.12:8000").status_code == 200


@pytest.mark.django_db
def test_request_latency_is_recorded_by_view_name(client, tantivy_backend):
    before = value(scrape(client), "catalog_http_request_duration_seconds_count", view="home", method="GET",
                   status="2xx") or 0
    client.get("/")
    client.get("/nope/never")
    samples = scrape(client)
    assert value(samples, "catalog_http_request_duration_seconds_count", view="home", method="GET",
                 status="2xx") == before + 1
    assert value(samples, "catalog_http_request_duration_seconds_count", view="<unresolved>", method="GET",
                 status="4xx") >= 1
    assert not any("nope" in str(labels) for _, labels in samples)  # paths never become labels


@pytest.mark.django_db
def test_search_latency_and_zero_result_rate(client, search_backend):
    build_catalog()
    sync_index()
    engine = search_backend.name
    before = scrape(client)
    client.get("/api/search", {"q": "headphones"})
    client.get("/api/search", {"q": "qqqqxxzzz"})
    client.get("/api/autocomplete", {"q": "he"})
    after = scrape(client)

    def delta(name, **labels):
        return (value(after, name, **labels) or 0) - (value(before, name, **labels) or 0)

    assert delta("catalog_searches_total", kind="text", engine=engine, outcome="results") == 1
    assert delta("catalog_searches_total", kind="text", engine=engine, outcome="zero_results") == 1
    assert delta("catalog_searches_total", kind="autocomplete", engine=engine, outcome="results") == 1
    assert delta("catalog_search_duration_seconds_count", kind="text", engine=engine) == 2


def test_observe_search_is_a_hook_callers_can_use(settings):
    from prometheus_client import REGISTRY

    labels = {"kind": "text", "engine": get_backend().name, "outcome": "zero_results"}
    before = REGISTRY.get_sample_value("catalog_searches_total", labels) or 0
    observe_search(SearchResult(request=SearchRequest(text="nothing"), total=0, hits=[]), 0.012)
    assert REGISTRY.get_sample_value("catalog_searches_total", labels) == before + 1


@pytest.mark.django_db
def test_outbox_backlog_and_index_drift_are_measured_at_scrape_time(client, tantivy_backend):
    cache.delete(DRIFT_CACHE_KEY)
    build_catalog()  # 14 visible products, written to the outbox, not yet indexed
    samples = scrape(client)
    assert value(samples, "catalog_outbox_backlog") == OutboxEntry.objects.count() > 0
    assert value(samples, "catalog_index_drift_documents") == Product.objects.visible().count() == 14
    assert value(samples, "catalog_search_engine_up") == 1

    sync_index()
    samples = scrape(client)
    assert value(samples, "catalog_outbox_backlog") == 0
    assert value(samples, "catalog_index_drift_documents") == 14  # counted at most once a minute
    cache.delete(DRIFT_CACHE_KEY)
    assert value(scrape(client), "catalog_index_drift_documents") == 0


@pytest.mark.django_db
def test_the_cache_hit_ratio_is_exposed(client, tantivy_backend):
    build_catalog()
    client.get("/p/crew/")
    client.get("/p/crew/")  # the fragments, from the cache
    samples = scrape(client)
    hits = value(samples, "catalog_cache_requests_total", cache="default", result="hit")
    misses = value(samples, "catalog_cache_requests_total", cache="default", result="miss")
    assert hits >= 2 and misses >= 2
    ratio = value(samples, "catalog_cache_hit_ratio", cache="default")
    assert ratio == pytest.approx(hits / (hits + misses))


@shared_task(name="tests.observability.succeeds")
def succeeds() -> int:
    return 1


@shared_task(name="tests.observability.fails")
def fails() -> None:
    raise ValueError("expected in the test")


@shared_task(bind=True, name="tests.observability.retries", max_retries=1)
def retries(self) -> None:
    raise self.retry(countdown=0, exc=ValueError("once more"))


def test_celery_task_outcomes_are_counted(client):
    from prometheus_client import REGISTRY

    def count(task: str, outcome: str) -> float:
        labels = {"task": task, "outcome": outcome}
        return REGISTRY.get_sample_value("catalog_celery_tasks_total", labels) or 0

    before = {(t, o): count(t, o) for t, o in [("tests.observability.succeeds", "success"),
                                               ("tests.observability.fails", "failure"),
                                               ("tests.observability.retries", "retry")]}
    succeeds.apply()
    fails.apply()
    retries.apply()
    for (task, outcome), previous in before.items():
        assert count(task, outcome) == previous + 1, (task, outcome)


# --- Sentry ------------------------------------------------------------------------------------------------


class SentryIngest(BaseHTTPRequestHandler):
    """A stand-in for sentry.io's ingest endpoint: keeps the envelopes it receives."""

    received: list[bytes] = []

    def do_POST(self):  # noqa: N802 - the http.server API
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        SentryIngest.received.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


SENTRY_SCRIPT = """
import django
django.setup()
import sentry_sdk
from django.test import Client
from django.urls import path
import config.urls

def boom(request):
    raise RuntimeError("sentry-test-boom")

config.urls.urlpatterns.append(path("boom-for-sentry", boom))
response = Client(raise_request_exception=False).get(
    "/boom-for-sentry", HTTP_X_REQUEST_ID="sentry-req-1234", HTTP_COOKIE="sessionid=very-secret-cookie")
sentry_sdk.flush(10)
print(response.status_code)
"""


def test_errors_reach_sentry_without_personal_data(tmp_path):
    SentryIngest.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), SentryIngest)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SENTRY_DSN")}
        env.update(DJANGO_SETTINGS_MODULE="config.settings", VAR_DIR=str(tmp_path / "var"),
                   SENTRY_DSN=f"http://publickey@127.0.0.1:{server.server_address[1]}/42")
        out = subprocess.run([sys.executable, "-c", SENTRY_SCRIPT], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip().splitlines()[-1] == "500"
    finally:
        server.shutdown()
    events = []
    for envelope in SentryIngest.received:
        for line in envelope.splitlines():
            if line.startswith(b"{") and b'"exception"' in line:
                events.append(json.loads(line))
    assert events, SentryIngest.received
    event = events[0]
    assert event["exception"]["values"][-1]["value"] == "sentry-test-boom"
    assert event["tags"]["request_id"] == "sentry-req-1234"
    assert "very-secret-cookie" not in json.dumps(event)  # send_default_pii=False
    assert "ip_address" not in json.dumps(event.get("user", {}))


# --- The read replica ---------------------------------------------------------------------------------------


@pytest.fixture
def with_replica(settings, django_db_blocker):
    """A replica entry in DATABASES. The middleware checks that it answers before routing reads
    to it: here it is the shared server's ``postgres`` database (connected to, never queried;
    tests/test_fault_replica.py routes to a real standby)."""
    replica = {**connections["default"].settings_dict, "NAME": "postgres"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Django warns that overriding DATABASES is unusual
        settings.DATABASES = {**settings.DATABASES, "replica": replica}
    connections.settings["replica"] = replica
    with django_db_blocker.unblock():
        yield settings
    connections["replica"].close()
    del connections["replica"]
    del connections.settings["replica"]


def test_without_a_replica_everything_uses_the_primary():
    router = PrimaryReplicaRouter()
    with replica_reads():
        assert router.db_for_read(Product) == "default"
    assert router.db_for_write(Product) == "default"


def test_with_a_replica_reads_go_there_only_where_allowed(with_replica):
    router = PrimaryReplicaRouter()
    assert router.db_for_read(Product) == "default"  # not allowed by default (tasks, commands, POSTs)
    with replica_reads():
        assert router.db_for_read(Product) == "replica"
        assert router.db_for_write(Product) == "default"
        with primary_reads():
            assert router.db_for_read(Product) == "default"
        assert router.db_for_read(Product) == "replica"
    assert router.allow_relation(Product(), Product()) is True
    assert router.allow_migrate("default", "store") is True
    assert router.allow_migrate("replica", "store") is False


def test_catalog_reads_use_the_replica_and_a_write_pins_the_browser_to_the_primary(with_replica):
    router = PrimaryReplicaRouter()
    seen: list[str] = []

    def view(request):
        from django.http import HttpResponse

        seen.append(router.db_for_read(Product))
        return HttpResponse("ok")

    middleware = ReplicaRoutingMiddleware(view)
    factory = RequestFactory()
    middleware(factory.get("/c/clothing/"))
    middleware(factory.get("/p/crew/"))
    middleware(factory.get("/cart/"))  # never a stale price or stock
    response = middleware(factory.post("/p/crew/"))  # a review
    assert seen == ["replica", "replica", "default", "default"]
    assert response.cookies[PIN_COOKIE]["max-age"] == with_replica.REPLICA_PIN_SECONDS
    pinned = factory.get("/p/crew/")
    pinned.COOKIES[PIN_COOKIE] = "1"
    middleware(pinned)  # the product page right after the review: read your own write
    assert seen[-1] == "default"


def test_the_replica_is_configured_from_database_replica_url(tmp_path):
    probe = ("import json, django; django.setup(); from django.conf import settings; "
             "print(json.dumps([sorted(settings.DATABASES), settings.DATABASES['replica']['HOST'], "
             "settings.DATABASE_ROUTERS, settings.DATABASES['replica']['TEST']]))")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "VAR_DIR": str(tmp_path / "var"),
           "DATABASE_URL": "postgres://u:p@primary:5432/catalog",
           "DATABASE_REPLICA_URL": "postgres://u:p@replica-host:5432/catalog"}
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    aliases, host, routers, test = json.loads(out.stdout)
    assert aliases == ["default", "replica"] and host == "replica-host"
    assert routers == ["config.db_router.PrimaryReplicaRouter"] and test["MIRROR"] == "default"
