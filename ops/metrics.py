"""Prometheus metrics (prometheus-client), served at ``/metrics`` by
``ops.middleware.MetricsEndpointMiddleware``.

Under gunicorn every worker is a process of its own: with ``PROMETHEUS_MULTIPROC_DIR``
set (before this module is imported) the counters and histograms are written to
files there and a scrape adds up every worker's (``prometheus_client.multiprocess``),
so one scrape of any worker sees the whole replica. Without it, each process
reports its own numbers (fine for the embedded run and the tests).

Catalog state (outbox backlog, index drift) is read at scrape time; the drift at
most once a minute (``METRICS_DRIFT_CACHE_SECONDS``), since it counts the index.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import os
import time
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

logger = logging.getLogger(__name__)

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # Each process writes its samples here (gunicorn workers, Celery pool processes).
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
SEARCH_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

REQUEST_LATENCY = Histogram(
    "catalog_http_request_duration_seconds",
    "Time to answer an HTTP request, by view name (not path: bounded), method and status class.",
    ["view", "method", "status"],
    buckets=LATENCY_BUCKETS,
)
SEARCH_LATENCY = Histogram(
    "catalog_search_duration_seconds",
    "Time of one search as served (text, browse, autocomplete), cache hits included.",
    ["kind", "engine"],
    buckets=SEARCH_BUCKETS,
)
SEARCHES = Counter(
    "catalog_searches_total",
    "Searches served, by outcome: results, zero_results, redirect (merchandising rule) or error.",
    ["kind", "engine", "outcome"],
)
CELERY_TASKS = Counter("catalog_celery_tasks_total", "Celery task outcomes: success, failure, retry.",
                       ["task", "outcome"])
CACHE_REQUESTS = Counter("catalog_cache_requests_total", "Cache reads by cache alias and result (hit, miss).",
                         ["cache", "result"])
RESULTS_CACHE = Counter(
    "catalog_results_cache_total",
    "Lookups of the search results cache (search.result_cache) by kind (browse, query, suggest) and "
    "result: hit, miss, or stale (an entry older than a listing-only change by more than allowed).",
    ["kind", "result"],
)
CACHE_ERRORS = Counter(
    "catalog_cache_errors_total",
    "Cache operations that failed, or were skipped while the cache was failing (ops.cache: a read "
    "is then a miss, a write is skipped), by cache alias and operation (get, set, incr…).",
    ["cache", "operation"],
)
RATE_LIMITED = Counter("catalog_rate_limited_total", "Requests refused with 429, by rate-limit rule.",
                       ["rule"])
REPLICA_ROUTED = Counter(
    "catalog_replica_routed_requests_total",
    "Requests allowed to read the read replica (ops.middleware.ReplicaRoutingMiddleware), by the "
    "database they read: replica, or primary when the replica did not answer.",
    ["database"],
)
ANALYTICS_DROPPED = Counter(
    "catalog_search_analytics_dropped_total",
    "Search analytics events dropped, by reason: buffer_full, paused, publish_failed, no_thread.",
    ["reason"],
)


def multiprocess_mode() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


# --- Hooks the rest of the code calls -----------------------------------------------


def engine_label() -> str:
    """The configured engine's package name ("tantivy", "elasticsearch"): ops sits below the
    search app, so it reads the setting rather than asking the backend."""
    return str(settings.SEARCH_ENGINE.get("BACKEND", "unknown")).rsplit(".", 1)[-1]


def observe_search(result: Any, seconds: float, kind: str | None = None) -> None:
    """Record one served search: its latency and whether it found anything.

    ``result`` is a ``search.query.request.SearchResult`` (kind "text" or "browse") or
    ``search.services.Suggestions`` (kind "autocomplete")."""
    engine = engine_label()
    if kind is None:
        request = getattr(result, "request", None)
        has_text = bool(getattr(request, "text", ""))
        kind = "autocomplete" if request is None else ("text" if has_text else "browse")
    if getattr(result, "redirect", None):
        outcome = "redirect"
    elif hasattr(result, "total"):
        outcome = "results" if result.total else "zero_results"
    else:
        outcome = "zero_results" if getattr(result, "empty", False) else "results"
    SEARCH_LATENCY.labels(kind, engine).observe(seconds)
    SEARCHES.labels(kind, engine, outcome).inc()


def observed_search(func: Callable) -> Callable:
    """Decorator for ``search_products`` and ``autocomplete``: latency and zero-result rate."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            result = func(*args, **kwargs)
        except Exception:
            engine = engine_label()
            kind = "autocomplete" if func.__name__ == "autocomplete" else "text"
            SEARCHES.labels(kind, engine, "error").inc()
            raise
        observe_search(result, time.perf_counter() - started)
        return result

    return wrapper


def record_cache_read(cache_name: str, hits: int, misses: int) -> None:
    if hits:
        CACHE_REQUESTS.labels(cache_name, "hit").inc(hits)
    if misses:
        CACHE_REQUESTS.labels(cache_name, "miss").inc(misses)


def record_cache_error(cache_name: str, operation: str) -> None:
    CACHE_ERRORS.labels(cache_name, operation).inc()


# --- Read at scrape time ----------------------------------------------------------------


def _counter_totals(families: Iterable[Metric], name: str) -> dict[tuple, float]:
    totals: dict[tuple, float] = {}
    for family in families:
        if family.name != name:
            continue
        for sample in family.samples:
            if sample.name.endswith("_total"):
                key = tuple(sorted(sample.labels.items()))
                totals[key] = totals.get(key, 0.0) + sample.value
    return totals


def cache_hit_ratios() -> dict[str, tuple[float, float]]:
    """{cache alias: (hits, misses)} since the processes started (all workers in multiprocess mode)."""
    families = MultiProcessCollector(None).collect() if multiprocess_mode() else CACHE_REQUESTS.collect()
    counts: dict[str, list[float]] = {}
    for labels, value in _counter_totals(families, "catalog_cache_requests").items():
        label = dict(labels)
        slot = counts.setdefault(label["cache"], [0.0, 0.0])
        slot[0 if label["result"] == "hit" else 1] += value
    return {name: (hits, misses) for name, (hits, misses) in counts.items()}


class CatalogStateCollector:
    """Gauges computed when Prometheus scrapes: the cache hit ratio, and what the apps that
    own the state add (``add_state_source``: the indexing app's outbox backlog and index
    drift). ops sits below every app, so it asks nothing of them itself."""

    def __init__(self) -> None:
        self.sources: list[Callable[[], Iterable[Metric]]] = []

    def collect(self) -> Iterable[Metric]:
        yield from self._cache_ratio()  # first: the sources below may read the cache
        for source in self.sources:
            yield from source()

    def _cache_ratio(self) -> Iterable[Metric]:
        gauge = GaugeMetricFamily("catalog_cache_hit_ratio",
                                  "Cache hits / reads since the workers started (use rate() of "
                                  "catalog_cache_requests_total for a windowed ratio).", labels=["cache"])
        for name, (hits, misses) in sorted(cache_hit_ratios().items()):
            if hits + misses:
                gauge.add_metric([name], hits / (hits + misses))
        yield gauge


_state_collector = CatalogStateCollector()


def add_state_source(source: Callable[[], Iterable[Metric]]) -> None:
    """Have ``source`` (gauges computed at scrape time) collected with the catalog state."""
    if source not in _state_collector.sources:
        _state_collector.sources.append(source)


def metrics_registry() -> CollectorRegistry:
    if multiprocess_mode():
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_DefaultRegistryCollector())
    registry.register(_state_collector)
    return registry


class _DefaultRegistryCollector:
    """The process's own metrics (the default registry) inside a per-scrape registry."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


# --- Access -----------------------------------------------------------------------------------


def metrics_allowed(request: HttpRequest) -> bool:
    """With the bearer token, or straight from a loopback/private address: a request that came
    through the proxy (it carries X-Forwarded-For) needs the token, whatever its address."""
    token = settings.METRICS_BEARER_TOKEN
    if token and constant_time_compare(request.META.get("HTTP_AUTHORIZATION", ""), f"Bearer {token}"):
        return True
    if "HTTP_X_FORWARDED_FOR" in request.META:
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net) for net in settings.METRICS_ALLOWED_NETWORKS)


def metrics_response(request: HttpRequest) -> HttpResponse:
    if not metrics_allowed(request):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    return HttpResponse(generate_latest(metrics_registry()), content_type=CONTENT_TYPE_LATEST)
