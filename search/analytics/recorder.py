"""Search analytics: what shoppers search, find and click, recorded off the request path.

For the views (the /search page and the JSON API)::

    from search.analytics.recorder import click_url, record_search

    started = time.perf_counter()
    result = search_products(search_request)
    token = record_search(request, search_request, result, (time.perf_counter() - started) * 1000)
    # link each hit through the click endpoint (position counts from 1 on the page):
    url = click_url(token, hit.id, position, search_request.text)

``record_search(http_request, search_request, result, latency_ms) -> str`` returns the
event's token ("" when nothing was recorded: empty text, autocomplete requests). It
never raises and never waits: the request thread only puts the event into an in-process
buffer (a bounded deque; when it is full the event is dropped and counted). One daemon
thread per process drains it every ``BATCH_SECONDS`` (sooner when ``BATCH_SIZE`` events
wait) and publishes each batch of up to ``BATCH_SIZE`` events as one Celery task
(``search.analytics.tasks.record_events``), which
bulk-inserts the rows; in the embedded run (eager tasks) that thread writes them itself.
If the broker cannot be reached the batch is dropped and publishing pauses for a while
(events are not even buffered meanwhile), so a broker outage never slows searches down.
``flush_analytics(timeout)`` waits until everything buffered is published (tests, exit).

``click_url(...)`` points at ``/search/click`` (search.analytics.urls), which records
the click and redirects to the product page; the same endpoint takes a POST beacon
(``navigator.sendBeacon``) and answers 204. ``record_click(...)`` records one directly.

Privacy: no IP address, no user id; the session key only as a keyed hash. Events are
kept ``SEARCH_ANALYTICS_RETENTION_DAYS`` (purge_search_analytics deletes older ones).

``popular_queries(prefix, limit)`` feeds autocomplete: the most searched queries of the
last 30 days that found something, from a table cached for a few minutes.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from datetime import timedelta
from typing import TypedDict

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from ops.metrics import ANALYTICS_DROPPED
from ops.ratelimit import client_ip
from search.analytics.models import SearchEvent
from search.analytics.tasks import record_events
from search.facets import FACETS
from search.merchandising.validators import has_control_characters, normalise_query
from search.paths import query_value, reversed_path
from search.query.request import SearchRequest
from search.query.result import SearchResult

logger = logging.getLogger(__name__)

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
# The cookie that keeps the visitor's hash (keep_visitor): as long-lived as Django's CSRF cookie.
VISITOR_COOKIE = "search_visitor"
VISITOR_COOKIE_SECONDS = 365 * 24 * 3600
_VISITOR_VALUE = re.compile(r"[0-9a-f]{32}")

# The in-process buffer: events wait here for the publishing thread.
BUFFER_SIZE = 10_000
BATCH_SIZE = 200
BATCH_SECONDS = 0.5
# At interpreter exit, how long to wait for the buffer to be published (best effort).
EXIT_FLUSH_SECONDS = 3.0
# A full buffer is logged at most this often (every dropped event is counted).
FULL_WARNING_SECONDS = 60.0

_pause = {"until": 0.0}
_pause_lock = threading.Lock()


class _DropCounter(TypedDict):
    events: int  # events dropped by this process
    warned: float  # time.monotonic() of the last "buffer full" warning


_dropped: _DropCounter = {"events": 0, "warned": 0.0}


def recorded_query(text: str) -> str:
    """The query as analytics store it: normalised, without control characters."""
    return normalise_query("".join(" " if has_control_characters(c) else c for c in text))


def session_hash(http_request: HttpRequest | None) -> str:
    """A keyed hash that groups one visitor's searches (one search per shopper action, see
    search.analytics.tasks) and picks their A/B test variant: the visitor cookie's value when
    the browser has one (``keep_visitor``); else of the session key; before a session exists,
    of the CSRF cookie the search page sets; from a client sending no cookie at all (a script
    polling the API), of its address and user agent on that day. It reveals nothing about the
    shopper and cannot be turned back into what it hashes; "" when there is nothing to tell
    visitors apart."""
    if http_request is None:
        return ""
    kept = visitor_cookie(http_request)
    if kept:
        return kept
    session = getattr(http_request, "session", None)
    key = getattr(session, "session_key", None) if session is not None else None
    if not key and http_request.COOKIES.get(settings.CSRF_COOKIE_NAME):
        key = "csrf:" + http_request.COOKIES[settings.CSRF_COOKIE_NAME]
    if not key and client_ip(http_request):
        agent = http_request.META.get("HTTP_USER_AGENT", "")
        key = f"client:{client_ip(http_request)}:{agent}:{timezone.now().date().isoformat()}"
    if not key:
        return ""
    return _hashed(key)


def _hashed(key: str) -> str:
    return salted_hmac("search.analytics.recorder.session", key, algorithm="sha256").hexdigest()[:32]


def visitor_cookie(http_request: HttpRequest) -> str | None:
    """The visitor cookie's value if it is one of ours (32 hex digits), else None."""
    value = http_request.COOKIES.get(VISITOR_COOKIE, "")
    return value if _VISITOR_VALUE.fullmatch(value) else None


def keep_visitor(http_request: HttpRequest | None, response: HttpResponse) -> None:
    """On a results page's response (search.web.views): keep the visitor's hash as it is now in
    a cookie of its own, so that it stays the same when a session starts (a new session key)
    and at a login (a new session key and CSRF cookie), which would otherwise split a
    visitor's searches and switch its A/B variant. A keyed hash, never the session key; a
    random one for a browser that brought no cookie. Read from the request, never the session
    (which a search does not otherwise load)."""
    if http_request is None or visitor_cookie(http_request):
        return
    session = getattr(http_request, "session", None)
    known = (session is not None and session.session_key) or http_request.COOKIES.get(settings.CSRF_COOKIE_NAME)
    value = session_hash(http_request) if known else _hashed(f"visitor:{uuid.uuid4()}")
    response.set_cookie(VISITOR_COOKIE, value, max_age=VISITOR_COOKIE_SECONDS, samesite="Lax", httponly=True,
                        secure=settings.SESSION_COOKIE_SECURE)


def request_filters(search_request: SearchRequest) -> dict:
    """The shopper's filters and sort, only those that differ from the defaults, each
    facet's as it describes itself (the API's echo of the request)."""
    filters: dict = {}
    for facet in FACETS:
        selection = facet.selection_of(search_request)
        if selection is not None:
            filters.update({k: v for k, v in facet.describe(selection).items() if v not in (None, [], {}, False)})
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
        "semantic_rescue": bool(result.total and result.request.tuning and result.request.tuning.semantic_terms),
        "latency_ms": max(0, min(int(round(latency_ms)), 2**31 - 1)),
        "page": min(search_request.page, 32767),
        "session_hash": session_hash(http_request),
        "created_at": timezone.now().isoformat(),
    }
    if search_request.variant:
        payload["variant"] = search_request.variant
    # What the search did to the query (a correction, typos only, words ignored): only when it did.
    if result.corrected_text:
        payload["corrected_query"] = recorded_query(result.corrected_text)
    if result.typo_words:
        payload["typo_only"] = True
    if result.ignored_words:
        payload["ignored_words"] = list(result.ignored_words)
    return token if _enqueue("search", payload) else ""


def record_cart_add(search_token: str, product_id: int, quantity: int) -> bool:
    """Record a product put in the cart after it was opened from the results page ``search_token``."""
    token = _valid_token(search_token)
    if token is None:
        return False
    payload = {"search_token": token, "product_id": int(product_id), "quantity": max(1, int(quantity)),
               "created_at": timezone.now().isoformat()}
    return _enqueue("cart", payload)


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
    return _enqueue("click", payload)


def click_url(token: str, product_id: int, position: int, query: str = "") -> str:
    """The link of a result that records the click, then redirects to the product."""
    return click_url_maker(token, query)(product_id, position)


def click_url_maker(token: str, query: str = "") -> Callable[[int, int], str]:
    """``click_url`` for the hits of one results page: ``maker(product_id, position)``.

    The same URL as ``reverse("search_click") + "?" + urlencode({"p": …, "pos": …, "t": …,
    "q": …})`` (t and q only when given), with the path reversed once and the parts the
    hits share quoted once."""
    start = f"{reversed_path('search_click')}?p="
    tail = ""
    if token:
        tail += f"&t={query_value(token)}"
    if query:
        tail += f"&q={query_value(query)}"  # in case the click is written before its search

    def url(product_id: int, position: int) -> str:
        return f"{start}{query_value(product_id)}&pos={query_value(position)}{tail}"

    return url


def _valid_token(token: str | None) -> str | None:
    if not token:
        return None
    try:
        return str(uuid.UUID(str(token)))
    except ValueError:
        return None


def _count_dropped(count: int, reason: str) -> None:
    _dropped["events"] += count  # a lost increment under a race is acceptable for a counter
    with contextlib.suppress(Exception):  # metrics must never break recording
        ANALYTICS_DROPPED.labels(reason).inc(count)


def _paused() -> bool:
    return time.monotonic() < _pause["until"]


def _enqueue(kind: str, payload: dict) -> bool:
    """Hand one event to the publishing thread; never blocks (False: dropped)."""
    if _paused():
        _count_dropped(1, "paused")
        return False
    recorder = _recorder()
    if recorder is None:
        _count_dropped(1, "no_thread")
        return False
    buffer = recorder.buffer
    if len(buffer) >= BUFFER_SIZE:
        _count_dropped(1, "buffer_full")
        now = time.monotonic()
        if now - _dropped["warned"] > FULL_WARNING_SECONDS:
            _dropped["warned"] = now
            logger.warning("search analytics: buffer full (%s events), events dropped", BUFFER_SIZE)
        return False
    # An append to a deque is atomic and wakes nobody: the request pays nothing more. (A
    # queue.Queue notified the waiting thread on every put; under load that hand-off of the
    # GIL cost more than the search itself.) A full batch wakes the thread early.
    buffer.append((kind, payload))
    if len(buffer) >= BATCH_SIZE:
        recorder.wake.set()
    return True


class _Recorder:
    """The buffer of one process and the daemon thread that publishes it, in rounds: every
    BATCH_SECONDS (sooner when a batch is full or a flush asks) it publishes everything
    buffered, in batches of up to BATCH_SIZE."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.buffer: deque = deque()
        self.wake = threading.Event()
        self.rounds = threading.Condition()
        self.started = 0  # rounds begun
        self.finished = 0  # the last round ended
        self.thread = threading.Thread(target=self._run, name="search-analytics", daemon=True)

    # --- the thread ---

    def _run(self) -> None:
        while True:
            self.wake.wait(BATCH_SECONDS)
            with self.rounds:
                self.started += 1
                this_round = self.started
                self.wake.clear()
            try:
                self._publish_buffered()
            finally:
                with self.rounds:
                    self.finished = this_round
                    self.rounds.notify_all()

    def _publish_buffered(self) -> None:
        buffer = self.buffer
        while buffer:
            batch: list[tuple[str, dict]] = []
            with contextlib.suppress(IndexError):  # emptied
                while len(batch) < BATCH_SIZE:
                    batch.append(buffer.popleft())
            try:
                _publish_batch(batch)
            except BaseException:  # never let the thread die
                logger.exception("search analytics: %s events lost", len(batch))

    # --- callers ---

    def flush(self, timeout: float) -> bool:
        """Wait for a round that began after this call: it publishes every event buffered before it."""
        deadline = time.monotonic() + timeout
        with self.rounds:
            begun = self.started
            self.wake.set()
            while self.finished <= begun:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self.thread.is_alive():
                    return False
                self.rounds.wait(min(remaining, 0.5))
        return True


_recorder_state: dict = {"recorder": None}
_start_lock = threading.Lock()


def _recorder() -> _Recorder | None:
    """This process's recorder, its thread started on first use. A worker forked from a
    process that had one (gunicorn forks after import) gets its own: threads do not survive
    a fork, hence the pid check."""
    recorder = _recorder_state["recorder"]
    if recorder is not None and recorder.pid == os.getpid():
        return recorder
    with _start_lock:
        recorder = _recorder_state["recorder"]
        if recorder is None or recorder.pid != os.getpid():
            recorder = _Recorder()
            try:
                recorder.thread.start()
            except RuntimeError:  # interpreter shutting down, or no more threads
                logger.warning("search analytics: cannot start the publishing thread", exc_info=True)
                return None
            _recorder_state["recorder"] = recorder
    return recorder


def _after_fork_in_child() -> None:
    # A lock held by another thread at fork time would stay locked forever in the child.
    global _start_lock, _pause_lock
    _start_lock = threading.Lock()
    _pause_lock = threading.Lock()
    _recorder_state["recorder"] = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def flush_analytics(timeout: float = 10.0) -> bool:
    """Wait until every event buffered by this process is published (or written, with eager
    tasks) or dropped. True if that happened within ``timeout`` seconds."""
    recorder = _recorder_state["recorder"]
    if recorder is None or recorder.pid != os.getpid():
        return True
    return recorder.flush(timeout)


@atexit.register
def _flush_at_exit() -> None:
    with contextlib.suppress(Exception):  # best effort
        flush_analytics(EXIT_FLUSH_SECONDS)


def _publish_batch(batch: list[tuple[str, dict]]) -> None:
    """Publish one batch as one task (in the thread). A broker failure drops it and pauses
    publishing; an eager task runs here, on this thread's own database connection."""
    if _paused():
        _count_dropped(len(batch), "paused")
        return
    searches = [payload for kind, payload in batch if kind == "search"]
    clicks = [payload for kind, payload in batch if kind == "click"]
    carts = [payload for kind, payload in batch if kind == "cart"]
    eager = bool(record_events.app.conf.task_always_eager)
    try:
        result = record_events.delay(searches, clicks, carts) if carts else record_events.delay(searches, clicks)
    except Exception as exc:
        _count_dropped(len(batch), "publish_failed")
        if eager:  # the task itself failed (eager tasks that propagate): not the broker
            logger.exception("search analytics: writing %s events failed", len(batch))
            return
        with _pause_lock:
            _pause["until"] = time.monotonic() + PUBLISH_PAUSE_SECONDS
        logger.warning("search analytics: %s events dropped, publishing paused for %ss: %s",
                       len(batch), PUBLISH_PAUSE_SECONDS, exc)
        return
    finally:
        if eager:
            connections.close_all()  # this thread's connections only; none kept open between batches
    if eager and result.failed():
        _count_dropped(len(batch), "publish_failed")
        logger.warning("search analytics: writing %s events failed: %r", len(batch), result.result)


# --- Popular queries (autocomplete) -----------------------------------------------


def popular_table() -> list[tuple[str, int]]:
    """(query, searches) of the last POPULAR_DAYS that found something, most searched first."""
    table = cache.get(POPULAR_CACHE_KEY)
    if table is None:
        since = timezone.now() - timedelta(days=POPULAR_DAYS)
        rows = (  # searches, not requests: the last page of each shopper action (search.analytics.tasks)
            SearchEvent.objects.filter(created_at__gte=since, result_count__gt=0, redirected=False, superseded=False)
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


