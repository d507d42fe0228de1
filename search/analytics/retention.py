"""How long search analytics are kept: events (searches, clicks, adds to cart) older than
SEARCH_ANALYTICS_RETENTION_DAYS are deleted by the daily beat task (or `manage.py
purge_search_analytics`). Orders keep their lines' search tokens (a random id, no foreign
key: nothing of an order is deleted); the daily figures (search.analytics.stats, counts
without session hashes) are kept."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from search.analytics.models import CartEvent, ClickEvent, SearchEvent

DEFAULT_RETENTION_DAYS = 180


def retention_days() -> int:
    return int(getattr(settings, "SEARCH_ANALYTICS_RETENTION_DAYS", DEFAULT_RETENTION_DAYS))


def purge_events(days: int | None = None) -> tuple[int, int]:
    """Delete searches and clicks older than ``days`` (the retention setting by default);
    returns (searches deleted, clicks deleted)."""
    days = retention_days() if days is None else days
    cutoff = timezone.now() - timedelta(days=days)
    clicks, _ = ClickEvent.objects.filter(created_at__lt=cutoff).delete()
    CartEvent.objects.filter(created_at__lt=cutoff).delete()
    searches, _ = SearchEvent.objects.filter(created_at__lt=cutoff).delete()
    return searches, clicks
