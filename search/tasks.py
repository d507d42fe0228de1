"""Celery tasks of the search app: writing analytics events off the request path."""

from __future__ import annotations

import uuid

from celery import shared_task
from django.db import transaction
from django.utils.dateparse import parse_datetime

from search.models import QUERY_MAX, ClickEvent, SearchEvent


@shared_task(ignore_result=True, acks_late=False)
def record_search_event(payload: dict) -> None:
    """Insert one SearchEvent (search.analytics.record_search builds the payload)."""
    with transaction.atomic():  # a savepoint when run eagerly inside a request's transaction
        SearchEvent.objects.bulk_create([SearchEvent(
            token=uuid.UUID(payload["token"]),
            query=str(payload["query"])[:QUERY_MAX],
            filters=payload.get("filters") or {},
            result_count=int(payload.get("result_count") or 0),
            redirected=bool(payload.get("redirected")),
            latency_ms=int(payload.get("latency_ms") or 0),
            page=int(payload.get("page") or 1),
            session_hash=str(payload.get("session_hash") or "")[:64],
            created_at=parse_datetime(payload["created_at"]),
        )], ignore_conflicts=True)  # a redelivered task writes nothing twice


@shared_task(ignore_result=True, acks_late=False)
def record_click_event(payload: dict) -> None:
    """Insert one ClickEvent, with the query of its search when that is known."""
    token = payload.get("search_token")
    query = str(payload.get("query") or "")
    if token:
        query = SearchEvent.objects.filter(token=token).values_list("query", flat=True).first() or query
    with transaction.atomic():
        ClickEvent.objects.create(
            search_token=uuid.UUID(token) if token else None,
            query=query[:QUERY_MAX],
            product_id=int(payload["product_id"]),
            position=payload.get("position"),
            created_at=parse_datetime(payload["created_at"]),
        )


@shared_task(ignore_result=True)
def purge_search_analytics() -> tuple[int, int]:
    """Beat task: delete the events older than SEARCH_ANALYTICS_RETENTION_DAYS."""
    from search.analytics import purge_events

    return purge_events()
