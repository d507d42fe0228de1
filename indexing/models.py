from django.db import models


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

    class Meta:
        ordering = ["id"]
        verbose_name = "outbox entry"
        verbose_name_plural = "outbox"

    def __str__(self) -> str:
        return f"product {self.product_id}"
