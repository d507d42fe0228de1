"""Search analytics events: written by search.analytics.recorder (through Celery), read by
search.analytics.reports."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from search.merchandising.validators import QUERY_MAX


class SearchEvent(models.Model):
    """One results page shown to a shopper. No IP address, no user: the session key
    only as a keyed hash (it groups one visit's searches and cannot be reversed).

    Pages of one shopper action (as-you-type, a reload, a polling client) share an ``action``
    and all but the last are ``superseded`` (search.analytics.tasks): reports count searches,
    not requests."""

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False,
                             help_text="Ties the clicks on this page's results to it.")
    query = models.CharField(max_length=QUERY_MAX, help_text="Normalised: lower-case, single spaces.")
    filters = models.JSONField(default=dict, blank=True)
    result_count = models.PositiveIntegerField(default=0)
    redirected = models.BooleanField(default=False, help_text="Answered by a redirect rule.")
    latency_ms = models.PositiveIntegerField(default=0)
    page = models.PositiveSmallIntegerField(default=1)
    session_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    action = models.UUIDField(null=True, blank=True, db_index=True, editable=False,
                              help_text="Shared by the pages of one shopper action: a click on any counts for it.")
    superseded = models.BooleanField(default=False, editable=False,
                                     help_text="A later page of the same action replaced it: not counted as a search.")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["query", "created_at"], name="search_event_query_time"),
                   models.Index(fields=["session_hash", "created_at"], name="search_event_session_time")]
        verbose_name = "search"
        verbose_name_plural = "searches"

    def __str__(self) -> str:
        return f"“{self.query}” ({self.result_count} results)"


class ClickEvent(models.Model):
    """A click on a result. ``search_token`` names the SearchEvent when the click came
    from a recorded results page (no database constraint: the two are written by
    separate tasks, in either order)."""

    search_token = models.UUIDField(null=True, blank=True, db_index=True)
    query = models.CharField(max_length=QUERY_MAX, blank=True)
    product_id = models.PositiveBigIntegerField(db_index=True)
    position = models.PositiveIntegerField(null=True, blank=True, help_text="1 is the first result.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "click"

    def __str__(self) -> str:
        return f"product {self.product_id} from “{self.query}”"
