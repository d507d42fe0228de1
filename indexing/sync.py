"""Drain the outbox into the search engine.

Rows are locked (skip-locked, so several workers share the work), the
products reloaded from the database (never trusting a payload), written to the
engine, and the rows deleted only after the engine acknowledged. A crash
anywhere before the delete leaves the rows for the next drain; writing a
document twice is harmless.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from search.backends import SearchUnavailable, get_backend
from search.documents import documents_for
from store.caching import bump_listing_generation, note_listing_only_change

from .models import OutboxEntry

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
MAX_BACKOFF_SECONDS = 3600


def drain_outbox(batch_size: int = BATCH_SIZE, max_batches: int | None = None) -> int:
    """Write every pending change to the engine; return how many products were synced.

    Raises SearchUnavailable when the engine cannot be reached: the rows stay."""
    synced = 0
    batches = 0
    while max_batches is None or batches < max_batches:
        drained = _drain_batch(batch_size)
        if drained is None:
            break
        done, listing_only = drained
        if done and listing_only:
            note_listing_only_change()  # cached listings show it within SEARCH_CACHE_STALE_SECONDS
        elif done:
            bump_listing_generation()  # cached listings and suggestions now show this batch
        synced += done
        batches += 1
    return synced


def _pending_rows(batch_size: int):
    now = timezone.now()
    rows = OutboxEntry.objects.filter(available_at__isnull=True) | OutboxEntry.objects.filter(available_at__lte=now)
    rows = rows.order_by("id")
    if connection.features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(skip_locked=True)
    return list(rows[:batch_size])


def _drain_batch(batch_size: int) -> tuple[int, bool] | None:
    """(products synced, whether only listing-only fields changed), None when nothing is pending."""
    backend = get_backend()
    with transaction.atomic():
        rows = _pending_rows(batch_size)
        if not rows:
            return None
        product_ids = {r.product_id for r in rows}
        documents, gone = documents_for(product_ids)
        rejected = {r.id: r.reason for r in backend.index_documents(documents)} if documents else {}
        backend.delete_documents(gone)
        done = [r.id for r in rows if r.product_id not in rejected]
        OutboxEntry.objects.filter(id__in=done).delete()
        for row in rows:
            if row.product_id in rejected:
                _back_off(row, rejected[row.product_id])
    listing_only = not gone and all(r.listing_only for r in rows)
    return len(product_ids) - len(rejected), listing_only


def _back_off(row: OutboxEntry, reason: str) -> None:
    """A document the engine rejects is retried later, without blocking the others."""
    row.attempts += 1
    row.last_error = reason
    row.available_at = timezone.now() + timedelta(seconds=min(MAX_BACKOFF_SECONDS, 2**row.attempts))
    row.save(update_fields=["attempts", "last_error", "available_at"])
    logger.error("search engine rejected product %s (attempt %s): %s", row.product_id, row.attempts, reason)


__all__ = ["SearchUnavailable", "drain_outbox"]
