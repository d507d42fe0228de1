from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone


class OutboxEntry(models.Model):
    """A product whose index document must be rewritten (or deleted).

    Written in the same transaction as the change itself, removed only after the
    search engine acknowledged the write: an update can be delayed, never lost.
    """

    product_id = models.BigIntegerField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Back-off for documents the engine rejected: not retried before this time.
    available_at = models.DateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # Only fields that listings may show late changed (stock, units sold, prices:
    # indexing.outbox.LISTING_ONLY_FIELDS): the drain does not make every cached listing stale.
    listing_only = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        verbose_name = "outbox entry"
        verbose_name_plural = "outbox"

    def __str__(self) -> str:
        return f"product {self.product_id}"


class ReindexRun(models.Model):
    """One rebuild of the search index, from the command line or the admin.

    The row is the progress report (``done`` grows every batch) and the lock:
    at most one run is ``running`` at a time (a partial unique constraint), so
    two clicks or a click and a shell cannot build two indices at once."""

    class Status(models.TextChoices):
        RUNNING = "running", "running"
        SUCCEEDED = "succeeded", "succeeded"
        FAILED = "failed", "failed"

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    engine = models.CharField(max_length=20)
    index_name = models.CharField(max_length=200, blank=True)  # the concrete index being built
    started_at = models.DateTimeField(auto_now_add=True)
    # When a batch last landed: a running row with an old heartbeat was abandoned (process killed).
    heartbeat_at = models.DateTimeField(auto_now_add=True)
    # The process building it (set when the build starts): on the same host, a run whose
    # process is gone is abandoned at once instead of when its heartbeat expires.
    host = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    total = models.PositiveIntegerField(null=True, blank=True)  # unknown until the build starts
    done = models.PositiveIntegerField(default=0)
    # Seconds spent building the new index so far (the products/s figure); excludes the switch and replay.
    build_seconds = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True)
    # Who clicked the button; empty for `manage.py reindex`.
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")

    class Meta:
        ordering = ("-started_at", "-id")
        constraints = (
            models.UniqueConstraint(fields=["status"], condition=models.Q(status="running"),
                                    name="indexing_one_running_reindex"),
        )

    def __str__(self) -> str:
        return f"reindex {self.pk} ({self.status})"

    @property
    def running(self) -> bool:
        return self.status == self.Status.RUNNING

    @property
    def duration(self) -> timedelta:
        return (self.finished_at or timezone.now()) - self.started_at

    @property
    def rate(self) -> float | None:
        """Products per second of the build (so far, while running)."""
        return self.done / self.build_seconds if self.build_seconds else None

    @property
    def percent(self) -> int:
        if not self.total:
            return 100 if self.status == self.Status.SUCCEEDED else 0
        return min(100, int(self.done * 100 / self.total))

    @property
    def started_by(self) -> str:
        user = self.requested_by if self.requested_by_id else None
        return user.get_username() if user is not None else "manage.py reindex"
