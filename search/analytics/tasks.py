"""Celery tasks of the search analytics: writing events off the request path.

``record_events`` writes one batch (search.analytics.recorder publishes one per batch of
buffered events). Task names are given: they are what queued messages carry, and stay the
same wherever the code lives.

One search per shopper action: a results page shown within COLLAPSE_SECONDS of the same
session's previous one (page 1 both), with the same filters and sort, whose query repeats,
extends or shortens the previous one ("hea", "headph", "headphones"; a reload; a client
polling the API) continues that search. The earlier page is marked ``superseded`` and the
reports count the last one, with its query; every page keeps its row and its token, and
all share the ``action`` of the first, so a click on any page of the action counts for it.
Done here, where the events of every process meet (a session's keystrokes may reach several
workers), under a lock so that two batches never link the same session at once; an event
arriving late (another process's batch) is linked to its neighbours on both sides."""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from itertools import pairwise

from celery import shared_task
from django.db import connection, transaction
from django.utils.dateparse import parse_datetime

from search.analytics.models import CartEvent, ClickEvent, SearchEvent
from search.analytics.retention import purge_events
from search.merchandising.experiments import parse_serving_key
from search.merchandising.validators import QUERY_MAX
from search.query.text import MAX_QUERY_WORDS

logger = logging.getLogger(__name__)

# The longest pause between two requests of one search (see the module's docstring).
COLLAPSE_SECONDS = 10.0
# The PostgreSQL advisory lock held while a batch links its searches (any constant of ours).
_LINK_LOCK = 0x5EA2C4


def _created_at(value: str) -> datetime:
    """The event's time; a value that is no date makes the event malformed (skipped by ``_valid``)."""
    created_at = parse_datetime(value)
    if created_at is None:
        raise ValueError(f"not a date and time: {value!r}")
    return created_at


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _search_event(payload: dict) -> SearchEvent:
    token = uuid.UUID(payload["token"])
    served = parse_serving_key(str(payload.get("variant") or ""))
    experiment, variant = served if served else (0, "")
    return SearchEvent(
        experiment=experiment,
        variant=variant,
        token=token,
        action=token,  # its own action until linked to the previous page's
        query=str(payload["query"])[:QUERY_MAX],
        filters=payload.get("filters") or {},
        result_count=int(payload.get("result_count") or 0),
        redirected=bool(payload.get("redirected")),
        semantic_rescue=bool(payload.get("semantic_rescue")),
        latency_ms=int(payload.get("latency_ms") or 0),
        page=int(payload.get("page") or 1),
        session_hash=str(payload.get("session_hash") or "")[:64],
        created_at=_created_at(payload["created_at"]),
        corrected_query=str(payload.get("corrected_query") or "")[:QUERY_MAX],
        typo_only=bool(payload.get("typo_only")),
        ignored_words=[str(w)[:QUERY_MAX] for w in _list(payload.get("ignored_words"))][:MAX_QUERY_WORDS],
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


def _cart_event(payload: dict) -> CartEvent:
    return CartEvent(search_token=uuid.UUID(payload["search_token"]), product_id=int(payload["product_id"]),
                     quantity=max(1, int(payload.get("quantity") or 1)), created_at=_created_at(payload["created_at"]))


@shared_task(name="search.tasks.record_events", ignore_result=True, acks_late=False)
def record_events(searches: list[dict] | None = None, clicks: list[dict] | None = None,
                  carts: list[dict] | None = None) -> None:
    """Insert a batch of SearchEvents, then of ClickEvents (a click takes the query of its
    search when that is known, the batch's own searches included), then of CartEvents."""
    search_events = _valid(_search_event, searches)
    if search_events:
        with transaction.atomic():
            link_actions(search_events)
            # ignore_conflicts: a redelivered batch writes no search twice.
            SearchEvent.objects.bulk_create(search_events, ignore_conflicts=True)
    cart_events = _valid(_cart_event, carts)
    if cart_events:
        CartEvent.objects.bulk_create(cart_events)
    if not clicks:
        return
    tokens = set()
    for payload in clicks:
        try:
            if payload.get("search_token"):
                tokens.add(uuid.UUID(payload["search_token"]))
        except (TypeError, ValueError, AttributeError):
            pass  # the event is skipped below
    queries = _action_queries(tokens) if tokens else {}
    click_events = _valid(_click_event, clicks, queries)
    if click_events:
        with transaction.atomic():
            ClickEvent.objects.bulk_create(click_events)


def _action_queries(tokens: set[uuid.UUID]) -> dict[str, str]:
    """The query each search token's action is counted under (its last page's), by token."""
    actions = dict(SearchEvent.objects.filter(token__in=tokens).values_list("token", "action"))
    standing = dict(SearchEvent.objects.filter(action__in=set(actions.values()), superseded=False)
                    .order_by("created_at").values_list("action", "query"))
    queries = dict(SearchEvent.objects.filter(token__in=tokens).values_list("token", "query"))
    return {str(token): standing.get(actions.get(token), query) for token, query in queries.items()}


def same_action(earlier: SearchEvent, later: SearchEvent) -> bool:
    """Whether ``later`` continues the search of ``earlier`` (same session, both page 1)."""
    return (later.created_at - earlier.created_at <= timedelta(seconds=COLLAPSE_SECONDS)
            and earlier.filters == later.filters
            and (later.query.startswith(earlier.query) or earlier.query.startswith(later.query)))


def link_actions(events: list[SearchEvent]) -> None:
    """Set the action and ``superseded`` of the new events (not saved yet) and update their
    stored neighbours', in the caller's transaction."""
    fresh = [e for e in events if e.session_hash and e.page == 1 and e.query]
    if not fresh:
        return
    if connection.vendor == "postgresql":  # SQLite's write transactions are serialised already
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LINK_LOCK])
    window = timedelta(seconds=COLLAPSE_SECONDS)
    stored = list(SearchEvent.objects.filter(
        session_hash__in={e.session_hash for e in fresh}, page=1,
        created_at__gte=min(e.created_at for e in fresh) - window,
        created_at__lte=max(e.created_at for e in fresh) + window,
    ).exclude(query="").order_by("created_at", "id"))
    known = {e.token for e in stored}
    fresh = [e for e in fresh if e.token not in known]  # a redelivered batch: already linked
    fresh_tokens = {e.token for e in fresh}
    timelines: dict[str, list[SearchEvent]] = defaultdict(list)
    for event in stored + sorted(fresh, key=lambda e: e.created_at):
        timelines[event.session_hash].append(event)
    flags: dict[int, bool] = {}  # stored rows whose superseded flag changes
    merged: list[tuple[uuid.UUID | None, uuid.UUID | None]] = []  # (action, into action) of stored rows
    for timeline in timelines.values():
        timeline.sort(key=lambda e: e.created_at)  # stable: stored rows first at equal times
        for earlier, later in pairwise(timeline):
            if earlier.token not in fresh_tokens and later.token not in fresh_tokens:
                continue  # unchanged since that pair was linked
            linked = same_action(earlier, later)
            if earlier.superseded != linked:
                earlier.superseded = linked
                if earlier.pk is not None:
                    flags[earlier.pk] = linked
            if linked and later.action != earlier.action:
                old, new = later.action, earlier.action
                if any(e.pk is not None and e.action == old for e in timeline):
                    merged.append((old, new))
                for event in timeline:
                    if event.action == old:
                        event.action = new
    for old, new in merged:  # an event that arrived late joined two stored actions
        SearchEvent.objects.filter(action=old).update(action=new)
    for flag in (True, False):
        pks = [pk for pk, value in flags.items() if value is flag]
        if pks:
            SearchEvent.objects.filter(pk__in=pks).update(superseded=flag)


@shared_task(name="search.tasks.purge_search_analytics", ignore_result=True)
def purge_search_analytics() -> tuple[int, int]:
    """Beat task: delete the events older than SEARCH_ANALYTICS_RETENTION_DAYS."""
    return purge_events()


@shared_task(name="search.tasks.sum_search_figures", ignore_result=True)
def sum_search_figures() -> int:
    """Beat task: write the daily sums of the past days (search.analytics.stats)."""
    # A cycle otherwise: stats → attribution → recorder, which imports this module's record_events.
    from search.analytics.stats import sum_days

    return sum_days()
