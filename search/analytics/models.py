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
    # What the search did to the query (search.query.result.SearchResult's notices), so that a
    # typo's false positive does not pass for demand met: "kettle" shown as "kettles"... is not found.
    corrected_query = models.CharField(max_length=QUERY_MAX, blank=True,
                                       help_text="What the results were for, when a word was corrected or "
                                                 "matched only with typos (“sweater” for “sweter”).")
    typo_only = models.BooleanField(default=False,
                                    help_text="Every result matched a word of the query only with typos.")
    ignored_words = models.JSONField(default=list, blank=True,
                                     help_text="Words no longer required: no product matched them with the others.")
    # The A/B test the page was served in (search.merchandising.experiments), 0 and "" for none.
    experiment = models.PositiveIntegerField(default=0, editable=False)
    variant = models.CharField(max_length=1, blank=True, editable=False)
    semantic_rescue = models.BooleanField(
        default=False, help_text="Found through semantic matching: a typed word the catalog never uses was expanded "
                                 "to the shop's own terms, and the page has results.")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["query", "created_at"], name="search_event_query_time"),
                   models.Index(fields=["session_hash", "created_at"], name="search_event_session_time"),
                   models.Index(fields=["experiment", "created_at"], name="search_event_experiment_time",
                                condition=models.Q(experiment__gt=0))]
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


class CartEvent(models.Model):
    """A product put in the cart after the shopper opened it from a search's results
    (search.analytics.attribution); ``search_token`` names that results page."""

    search_token = models.UUIDField(db_index=True)
    product_id = models.PositiveBigIntegerField()
    quantity = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "add to cart"

    def __str__(self) -> str:
        return f"{self.quantity} × product {self.product_id}"


class SearchStatsDay(models.Model):
    """The figures of one day's searches of one query (in one experiment variant), summed
    once the day is settled (search.analytics.stats): what the reports read instead of
    millions of events. Counts only, no session hash: kept after the events are purged."""

    day = models.DateField()
    query = models.CharField(max_length=QUERY_MAX)
    experiment = models.PositiveIntegerField(default=0)
    variant = models.CharField(max_length=1, blank=True)
    searches = models.PositiveIntegerField(default=0)
    zero_results = models.PositiveIntegerField(default=0)
    clicked = models.PositiveIntegerField(default=0, help_text="Searches with at least one click.")
    clicks = models.PositiveIntegerField(default=0)
    position_sum = models.PositiveBigIntegerField(default=0, help_text="Of the clicked results' positions.")
    positions = models.PositiveIntegerField(default=0, help_text="Clicks whose position is known.")
    carted = models.PositiveIntegerField(default=0, help_text="Searches after which a result went into the cart.")
    converted = models.PositiveIntegerField(default=0, help_text="Searches after which a result was bought.")
    revenue = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    revenue_squares = models.DecimalField(max_digits=24, decimal_places=4, default=0,
                                          help_text="Σ (revenue of a search)²: the variance of revenue per search.")

    class Meta:
        ordering = ["day", "query"]
        indexes = [models.Index(fields=["day", "query"], name="search_stats_day_query"),
                   models.Index(fields=["experiment", "day"], name="search_stats_experiment_day",
                                condition=models.Q(experiment__gt=0))]
        verbose_name = "daily search figures"
        verbose_name_plural = "daily search figures"

    def __str__(self) -> str:
        return f"{self.day} “{self.query}”: {self.searches} searches"


class StatsDayDone(models.Model):
    """A day whose SearchStatsDay rows are written (a day without searches has none)."""

    day = models.DateField(primary_key=True)
    summed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "summed day"

    def __str__(self) -> str:
        return str(self.day)
