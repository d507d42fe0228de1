"""How long search analytics are kept: events older than SEARCH_ANALYTICS_RETENTION_DAYS
are deleted by the daily beat task (or `manage.py purge_search_analytics`)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from search.analytics.models import ClickEvent, SearchEvent

DEFAULT_RETENTION_DAYS = 180


def retention_days() -> int:
    return int(getattr(settings, "SEARCH_ANALYTICS_RETENTION_DAYS", DEFAULT_RETENTION_DAYS))


def purge_events(days: int | None = None) -> tuple[int, int]:
    """Delete searches and clicks older than ``days`` (the retention setting by default);
    returns (searches deleted, clicks deleted)."""
    days = retention_days() if days is None else days
    cutoff = timezone.now() - timedelta(days=days)
    clicks, _ = ClickEvent.objects.filter(created_at__lt=cutoff).delete()
    searches, _ = SearchEvent.objects.filter(created_at__lt=cutoff).delete()
    return searches, clicks
