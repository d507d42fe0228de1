"""Search analytics: what shoppers search, find and click, recorded off the request path.

For the views (the /search page and the JSON API)::

    from search.analytics import click_url, record_search

    started = time.perf_counter()
    result = search_products(search_request)
    token = record_search(request, search_request, result, (time.perf_counter() - started) * 1000)
    # link each hit through the click endpoint (position counts from 1 on the page):
    url = click_url(token, hit.id, position, search_request.text)

``record_search(http_request, search_request, result, latency_ms) -> str`` returns the
event's token ("" when nothing was recorded: empty text, autocomplete requests). It
never raises and never waits for the database: the row is written by the Celery task
``search.tasks.record_search_event`` (in-process in the embedded run, where tasks are
eager). If the broker cannot be reached the event is dropped and publishing pauses for
a while, so a broker outage never slows searches down.

``click_url(...)`` points at ``/search/click`` (search.analytics_urls), which records
the click and redirects to the product page; the same endpoint takes a POST beacon
(``navigator.sendBeacon``) and answers 204. ``record_click(...)`` records one directly.

Privacy: no IP address, no user id; the session key only as a keyed hash. Events are
kept ``SEARCH_ANALYTICS_RETENTION_DAYS`` (purge_search_analytics deletes older ones).

``popular_queries(prefix, limit)`` feeds autocomplete: the most searched queries of the
last 30 days that found something, from a table cached for a few minutes.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from search.models import SearchEvent, has_control_characters, normalise_query
from search.request import SearchRequest, SearchResult

logger = logging.getLogger(__name__)

DEFAULT_RETENTION_DAYS = 180
# After a failed publish (broker down) events are dropped for this long, without trying.
PUBLISH_PAUSE_SECONDS = 30.0
POPULAR_DAYS = 30
POPULAR_CACHE_KEY = "search:popular-queries"
POPULAR_CACHE_SECONDS = 300
POPULAR_TABLE_SIZE = 2000
# A query one shopper typed once is not "popular" (nor something to show everyone).
POPULAR_MIN_SEARCHES = 2
POPULAR_MIN_PREFIX = 2
MAX_POSITION = 10_000

_pause = {"until": 0.0}
_pause_lock = threading.Lock()


def retention_days() -> int:
    return int(getattr(settings, "SEARCH_ANALYTICS_RETENTION_DAYS", DEFAULT_RETENTION_DAYS))


def recorded_query(text: str) -> str:
    """The query as analytics store it: normalised, without control characters."""
    return normalise_query("".join(" " if has_control_characters(c) else c for c in text))


def session_hash(http_request: HttpRequest | None) -> str:
    """A keyed hash of the session key ("" without a session): groups one visit's
    searches, reveals nothing about the shopper and cannot be turned back into the key."""
    session = getattr(http_request, "session", None)
    key = getattr(session, "session_key", None) if session is not None else None
    if not key:
        return ""
    return salted_hmac("search.analytics.session", key, algorithm="sha256").hexdigest()[:32]


def request_filters(search_request: SearchRequest) -> dict:
    """The shopper's filters and sort, only those that differ from the defaults."""
    filters: dict = {}
    if search_request.category:
        filters["category"] = search_request.category
    if search_request.brands:
        filters["brands"] = list(search_request.brands)
    for name in ("price_min", "price_max"):
        value = getattr(search_request, name)
        if value is not None:
            filters[name] = str(value)
    if search_request.rating_min:
        filters["rating_min"] = search_request.rating_min
    if search_request.in_stock:
        filters["in_stock"] = True
    if search_request.attributes:
        filters["attributes"] = {code: list(values) for code, values in search_request.attributes}
    if search_request.sort != "relevance":
        filters["sort"] = search_request.sort
    return filters


def record_search(http_request: HttpRequest | None, search_request: SearchRequest, result: SearchResult,
                  latency_ms: float) -> str:
    """Record one results page shown; returns its token for click_url ("" if not recorded)."""
    query = recorded_query(search_request.text)
    if not query or search_request.autocomplete:
        return ""
    token = str(uuid.uuid4())
    payload = {
        "token": token,
        "query": query,
        "filters": request_filters(search_request),
        "result_count": max(0, int(result.total)),
        "redirected": bool(result.redirect),
        "latency_ms": max(0, min(int(round(latency_ms)), 2**31 - 1)),
        "page": min(search_request.page, 32767),
        "session_hash": session_hash(http_request),
        "created_at": timezone.now().isoformat(),
    }
    from search.tasks import record_search_event

    return token if _publish(record_search_event, payload) else ""


def record_click(http_request: HttpRequest | None, product_id: int, position: int | None = None,
                 search_token: str | None = None, query: str = "") -> bool:
    """Record a click on a result (the search's token ties it to its results page;
    ``query`` is used when the search is unknown). Returns False if it was dropped."""
    payload = {
        "search_token": _valid_token(search_token),
        "query": recorded_query(query or ""),
        "product_id": int(product_id),
        "position": position if position is not None and 0 < position <= MAX_POSITION else None,
        "created_at": timezone.now().isoformat(),
    }
    from search.tasks import record_click_event

    return _publish(record_click_event, payload)


def click_url(token: str, product_id: int, position: int, query: str = "") -> str:
    """The link of a result that records the click, then redirects to the product."""
    params: dict = {"p": product_id, "pos": position}
    if token:
        params["t"] = token
    if query:
        params["q"] = query  # in case the click is written before its search
    return f"{reverse('search_click')}?{urlencode(params)}"


def _valid_token(token: str | None) -> str | None:
    if not token:
        return None
    try:
        return str(uuid.UUID(str(token)))
    except ValueError:
        return None


def _publish(task, payload: dict) -> bool:
    now = time.monotonic()
    if now < _pause["until"]:
        return False
    try:
        task.delay(payload)
    except Exception as exc:  # a broker outage must never break a search
        with _pause_lock:
            _pause["until"] = time.monotonic() + PUBLISH_PAUSE_SECONDS
        logger.warning("search analytics: event dropped, publishing paused for %ss: %s",
                       PUBLISH_PAUSE_SECONDS, exc)
        return False
    return True


# --- Popular queries (autocomplete) -----------------------------------------------


def popular_table() -> list[tuple[str, int]]:
    """(query, searches) of the last POPULAR_DAYS that found something, most searched first."""
    table = cache.get(POPULAR_CACHE_KEY)
    if table is None:
        since = timezone.now() - timedelta(days=POPULAR_DAYS)
        rows = (
            SearchEvent.objects.filter(created_at__gte=since, result_count__gt=0, redirected=False)
            .exclude(query="")
            .values("query")
            .annotate(searches=Count("id"))
            .filter(searches__gte=POPULAR_MIN_SEARCHES)
            .order_by("-searches", "query")[:POPULAR_TABLE_SIZE]
        )
        table = [(row["query"], row["searches"]) for row in rows]
        cache.set(POPULAR_CACHE_KEY, table, POPULAR_CACHE_SECONDS)
    return table


def forget_popular_queries() -> None:
    cache.delete(POPULAR_CACHE_KEY)


def popular_queries(prefix: str, limit: int = 5) -> list[str]:
    """The most searched queries starting with ``prefix`` (other than the prefix itself)."""
    prefix = recorded_query(prefix)
    if len(prefix) < POPULAR_MIN_PREFIX or limit < 1:
        return []
    found = []
    for query, _ in popular_table():
        if query.startswith(prefix) and query != prefix:
            found.append(query)
            if len(found) >= limit:
                break
    return found


# --- Retention ----------------------------------------------------------------------


def purge_events(days: int | None = None) -> tuple[int, int]:
    """Delete searches and clicks older than ``days`` (the retention setting by default);
    returns (searches deleted, clicks deleted)."""
    from search.models import ClickEvent

    days = retention_days() if days is None else days
    cutoff = timezone.now() - timedelta(days=days)
    clicks, _ = ClickEvent.objects.filter(created_at__lt=cutoff).delete()
    searches, _ = SearchEvent.objects.filter(created_at__lt=cutoff).delete()
    return searches, clicks
