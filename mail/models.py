"""The e-mail outbox: every e-mail the shop sends is a row first, written in the transaction
of what it tells (an order placed, paid, shipped…), then delivered by a Celery task that
retries with back-off. A mail server outage delays e-mails; it never loses them."""

from __future__ import annotations

from django.db import models


class OutboundEmail(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        # Refused EMAIL_MAX_ATTEMPTS times: a human looks (the admin's "send again").
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=60, db_index=True)
    # What the e-mail is about, once: a repeated event (a webhook delivered twice) queues nothing new.
    dedupe_key = models.CharField(max_length=200, unique=True, null=True, blank=True)
    from_email = models.CharField(max_length=254)
    to = models.JSONField()
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = (models.Index(fields=["status", "next_attempt_at"], name="mail_due_idx"),)
        verbose_name = "outgoing e-mail"

    def __str__(self) -> str:
        return f"{self.kind} to {', '.join(self.to)} ({self.status})"
