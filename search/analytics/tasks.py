"""Celery tasks of the search analytics: writing events off the request path.

``record_events`` writes one batch (search.analytics.recorder publishes one per batch of
buffered events). Task names are given: they are what queued messages carry, and stay the
same wherever the code lives."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from celery import shared_task
from django.db import transaction
from django.utils.dateparse import parse_datetime

from search.analytics.models import ClickEvent, SearchEvent
from search.analytics.retention import purge_events
from search.merchandising.validators import QUERY_MAX

logger = logging.getLogger(__name__)


def _created_at(value: str) -> datetime:
    """The event's time; a value that is no date makes the event malformed (skipped by ``_valid``)."""
    created_at = parse_datetime(value)
    if created_at is None:
        raise ValueError(f"not a date and time: {value!r}")
    return created_at


def _search_event(payload: dict) -> SearchEvent:
    return SearchEvent(
        token=uuid.UUID(payload["token"]),
        query=str(payload["query"])[:QUERY_MAX],
        filters=payload.get("filters") or {},
        result_count=int(payload.get("result_count") or 0),
        redirected=bool(payload.get("redirected")),
        latency_ms=int(payload.get("latency_ms") or 0),
        page=int(payload.get("page") or 1),
        session_hash=str(payload.get("session_hash") or "")[:64],
        created_at=_created_at(payload["created_at"]),
    )


def _click_event(payload: dict, search_queries: dict[str, str]) -> ClickEvent:
    """``search_queries``: the query of each known search, by token."""
    token = payload.get("search_token")
    query = str(payload.get("query") or "")
    if token:
        query = search_queries.get(str(uuid.UUID(token))) or query
    return ClickEvent(
        search_token=uuid.UUID(token) if token else None,
        query=query[:QUERY_MAX],
        product_id=int(payload["product_id"]),
        position=payload.get("position"),
        created_at=_created_at(payload["created_at"]),
    )


def _valid(build, payloads, *args) -> list:
    """The events of the payloads that make one; a malformed payload is logged and skipped,
    not allowed to lose the rest of its batch."""
    events = []
    for payload in payloads or ():
        try:
            events.append(build(payload, *args))
        except (KeyError, TypeError, ValueError, AttributeError):
            logger.warning("search analytics: malformed event skipped: %r", payload, exc_info=True)
    return events


@shared_task(name="search.tasks.record_events", ignore_result=True, acks_late=False)
def record_events(searches: list[dict] | None = None, clicks: list[dict] | None = None) -> None:
    """Insert a batch of SearchEvents, then of ClickEvents (a click takes the query of its
    search when that is known, the batch's own searches included)."""
    search_events = _valid(_search_event, searches)
    if search_events:
        with transaction.atomic():
            # ignore_conflicts: a redelivered batch writes no search twice.
            SearchEvent.objects.bulk_create(search_events, ignore_conflicts=True)
    if not clicks:
        return
    tokens = set()
    for payload in clicks:
        try:
            if payload.get("search_token"):
                tokens.add(uuid.UUID(payload["search_token"]))
        except (TypeError, ValueError, AttributeError):
            pass  # the event is skipped below
    queries = {
        str(token): query
        for token, query in SearchEvent.objects.filter(token__in=tokens).values_list("token", "query")
    } if tokens else {}
    click_events = _valid(_click_event, clicks, queries)
    if click_events:
        with transaction.atomic():
            ClickEvent.objects.bulk_create(click_events)


@shared_task(name="search.tasks.purge_search_analytics", ignore_result=True)
def purge_search_analytics() -> tuple[int, int]:
    """Beat task: delete the events older than SEARCH_ANALYTICS_RETENTION_DAYS."""
    return purge_events()
