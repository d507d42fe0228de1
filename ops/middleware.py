"""Request-level operations middleware. Order in settings (the Production readiness block):

    RequestIdMiddleware          first: every response and log line of the request has the id
    MetricsEndpointMiddleware    answers /metrics before host validation and the HTTPS redirect
                                 (Prometheus scrapes each replica by address, over plain HTTP)
    RequestMetricsMiddleware     latency histogram by view name
    SecurityMiddleware, CSPMiddleware, WhiteNoise
    RateLimitMiddleware          before sessions: a refused request costs one cache round trip
    ReplicaRoutingMiddleware     read-only catalog pages may read from the replica
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from config.db_router import PIN_COOKIE, replica_answers, replica_configured, replica_reads

from . import metrics, ratelimit
from .request_id import REQUEST_ID_HEADER, clean_request_id, new_request_id, reset_request_id, set_request_id

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class RequestIdMiddleware:
    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = clean_request_id(request.META.get("HTTP_X_REQUEST_ID")) or new_request_id()
        request.request_id = request_id
        token = set_request_id(request_id)
        try:
            response = self.get_response(request)
        finally:
            reset_request_id(token)
        response[REQUEST_ID_HEADER] = request_id
        return response


class MetricsEndpointMiddleware:
    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == settings.METRICS_PATH and request.method in ("GET", "HEAD"):
            return metrics.metrics_response(request)
        return self.get_response(request)


class RequestMetricsMiddleware:
    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        # The view name, never the path: the label set stays small whatever the URLs.
        view = match.view_name if match else "<unresolved>"
        metrics.REQUEST_LATENCY.labels(view, request.method, f"{response.status_code // 100}xx").observe(
            time.perf_counter() - started
        )
        return response


class RateLimitMiddleware:
    """HTTP 429 with Retry-After when a client goes over a rule of ``RATELIMIT_RULES``."""

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.RATELIMIT_ENABLED:
            refusal = ratelimit.check(request, ratelimit.rules_from_settings())
            if refusal is not None:
                metrics.RATE_LIMITED.labels(refusal.rule.name).inc()
                return too_many_requests(request, refusal)
        return self.get_response(request)


def too_many_requests(request: HttpRequest, refusal: ratelimit.Refusal) -> HttpResponse:
    message = "Too many requests. Please wait a moment and try again."
    if request.path_info.startswith("/api/"):
        response = JsonResponse({"error": message, "retry_after": refusal.retry_after}, status=429)
    else:
        response = HttpResponse(message + "\n", status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(refusal.retry_after)
    return response


class ReplicaRoutingMiddleware:
    """Let read-only catalog requests read from the replica (``config.db_router``).

    Only GET/HEAD requests to ``REPLICA_READ_PATHS`` (home, categories, products, search)
    may; everything else (cart, checkout, accounts, admin, any POST) reads the primary.
    Read your own writes: a state-changing request sets a short cookie, and while it
    lives the same browser reads the primary, so the product page after a review POST
    shows the review even if the replica lags (``REPLICA_PIN_SECONDS``)."""

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not replica_configured():
            return self.get_response(request)
        if self._may_use_replica(request):
            # The replica down: this request reads the primary (and the next ones, for a while).
            database = "replica" if replica_answers() else "primary"
            metrics.REPLICA_ROUTED.labels(database).inc()
            if database == "replica":
                with replica_reads():
                    response = self.get_response(request)
            else:
                response = self.get_response(request)
        else:
            response = self.get_response(request)
        if request.method not in SAFE_METHODS:
            response.set_cookie(PIN_COOKIE, "1", max_age=settings.REPLICA_PIN_SECONDS, httponly=True,
                                secure=settings.SESSION_COOKIE_SECURE, samesite="Lax")
        return response

    @staticmethod
    def _may_use_replica(request: HttpRequest) -> bool:
        if request.method not in SAFE_METHODS or PIN_COOKIE in request.COOKIES:
            return False
        return any(re.match(pattern, request.path_info) for pattern in settings.REPLICA_READ_PATHS)
