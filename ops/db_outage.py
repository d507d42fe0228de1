"""A database outage answers 503 with Retry-After and a friendly page, never the 500 page.

Pages that can answer without PostgreSQL (home and search from the caches and the search
engine) keep answering; a page that needs it (a category, a product, the cart) raises
``OperationalError``/``InterfaceError`` (connection refused, server closed the connection,
timeout) and ``DatabaseOutageMiddleware`` turns that into a 503: JSON under /api/, the
standalone ``503.html`` elsewhere (rendered without the request: no session, no menu).

The outage is logged once per process when it starts and once when a new database
connection succeeds again (Django's ``connection_created``), with the number of requests
answered 503 in between, rather than a traceback per request. Reconnecting is Django's own:
a failed connection is dropped at the end of its request, and ``CONN_HEALTH_CHECKS`` tests
a persistent connection before reuse, so nothing has to be restarted.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import InterfaceError, OperationalError
from django.db.backends.signals import connection_created
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from prometheus_client import Counter

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 10
UNAVAILABLE_MESSAGE = "This part of the shop is briefly unavailable. Please try again in a few seconds."
# A failure this long after the previous one, with no reconnection logged in between (an
# error that did not break the connection, e.g. a lock timeout), starts a new outage.
QUIET_SECONDS = 60.0

DATABASE_UNAVAILABLE = Counter(
    "catalog_database_unavailable_total",
    "Requests answered 503 because the database could not be reached or failed.",
)


class OutageLog:
    """One log line when an outage starts and one when it ends, per process (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.started: float | None = None
        self.last_failure = 0.0
        self.answered = 0

    def failed(self, exc: BaseException, path: str) -> None:
        now = time.monotonic()
        with self._lock:
            new_outage = self.started is None or now - self.last_failure > QUIET_SECONDS
            if new_outage:
                self.started, self.answered = now, 0
            self.last_failure = now
            self.answered += 1
        if new_outage:
            logger.error("Database unavailable (%s: %s) at %s; answering 503 with Retry-After until it is back",
                         type(exc).__name__, str(exc).strip(), path)

    def reconnected(self, **kwargs: Any) -> None:
        """``connection_created`` receiver: a connection succeeded, so the outage is over."""
        if self.started is None:  # the usual case: no lock taken
            return
        with self._lock:
            if self.started is None:
                return
            lasted, answered = time.monotonic() - self.started, self.answered
            self.started, self.answered = None, 0
        logger.warning("Database reachable again after %.1f s; %d requests were answered 503", lasted, answered)


outage_log = OutageLog()
connection_created.connect(outage_log.reconnected, dispatch_uid="ops.db_outage.reconnected")


def service_unavailable(request: HttpRequest) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"error": UNAVAILABLE_MESSAGE, "retry_after": RETRY_AFTER_SECONDS}, status=503)
    else:
        # Without the request: a context processor would query the database that is down.
        body = loader.render_to_string("503.html", {"retry_after": RETRY_AFTER_SECONDS})
        response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseOutageMiddleware:
    """Turn a database error raised by a view (or its template) into a 503."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DATABASE_ERRORS):
            return None
        outage_log.failed(exception, request.path)
        DATABASE_UNAVAILABLE.inc()
        session = getattr(request, "session", None)
        if session is not None:
            # SessionMiddleware would save a changed session to the database that just failed
            # (it skips only 500s); the changes belong to the request that failed anyway.
            session.modified = False
        response = service_unavailable(request)
        # Logged once per outage above, not once per request by django.request.
        response._has_been_logged = True  # type: ignore[attr-defined]
        return response
