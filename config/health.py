"""Liveness and readiness probes for the load balancer and orchestrator."""

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse

from config.celery import app
from search.backends import get_backend
from search.semantic import embedder


def healthz(request) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_cache() -> None:
    cache.set("readyz-probe", "1", 5)
    if cache.get("readyz-probe") != "1":
        raise RuntimeError("cache did not return what was written")


def _check_broker() -> None:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return  # embedded mode: index updates run in-process, there is no broker
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


def _check_search() -> None:
    get_backend().ping()


# Without these a replica cannot serve: not ready.
CHECKS = {"database": _check_database, "search": _check_search}
# Without these it serves all the same (the cache fails open, the outbox waits for the
# broker): reported, but a load balancer keeps sending shoppers to it.
DEGRADED_CHECKS = {"cache": _check_cache, "broker": _check_broker}


def _failures(checks: dict) -> dict[str, str]:
    failing = {}
    for name, check in checks.items():
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - any failure is what this probe reports
            failing[name] = f"{type(exc).__name__}: {exc}"[:300]
    return failing


def readyz(request) -> JsonResponse:
    failing, degraded = _failures(CHECKS), _failures(DEGRADED_CHECKS)
    body: dict = {"status": "unavailable" if failing else "degraded" if degraded else "ok",
                  # Informational: without the model the shop serves, lexical only.
                  "semantic": embedder.status()}
    if failing:
        body["failing"] = failing
    if degraded:
        body["degraded"] = degraded
    return JsonResponse(body, status=503 if failing else 200)
