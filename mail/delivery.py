"""Delivering queued e-mails through Django's e-mail backend (SMTP, an Anymail provider, or
the console/file backends of the embedded run), with exponential back-off between attempts."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.utils import timezone

from .models import OutboundEmail

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    sent: bool
    # Seconds until the next attempt when this one failed; None when there is nothing to retry.
    retry_in: int | None = None


def backoff_seconds(attempts: int) -> int:
    """After the n-th failed attempt: base, 2×base, 4×base… capped at EMAIL_RETRY_MAX_SECONDS."""
    base = settings.EMAIL_RETRY_BASE_SECONDS
    return int(min(settings.EMAIL_RETRY_MAX_SECONDS, base * 2 ** min(attempts - 1, 20)))


def _message(email: OutboundEmail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(email.subject, email.body_text, email.from_email, list(email.to))
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    return message


def deliver(email_id: int) -> Delivery:
    """Send one pending e-mail. The row stays locked while the mail server is asked, so a
    retry and the sweep never send it twice (at least once: a crash between the server's
    "250 OK" and our commit sends it again)."""
    with transaction.atomic():
        rows = OutboundEmail.objects.filter(pk=email_id, status=OutboundEmail.Status.PENDING)
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True)
        email = rows.first()
        if email is None:
            return Delivery(sent=False)  # sent already, given up on, or being sent right now
        email.attempts += 1
        try:
            _message(email).send()
        except Exception as exc:  # SMTP, network and provider errors come in many classes
            email.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if email.attempts >= settings.EMAIL_MAX_ATTEMPTS:
                email.status = OutboundEmail.Status.FAILED
                email.save(update_fields=["attempts", "last_error", "status"])
                logger.error("gave up on e-mail %s after %s attempts: %s", email.pk, email.attempts, exc)
                return Delivery(sent=False)
            wait = backoff_seconds(email.attempts)
            email.next_attempt_at = timezone.now() + timedelta(seconds=wait)
            email.save(update_fields=["attempts", "last_error", "next_attempt_at"])
            logger.warning("e-mail %s not delivered (attempt %s), next try in %ss: %s",
                           email.pk, email.attempts, wait, exc)
            return Delivery(sent=False, retry_in=wait)
        email.status = OutboundEmail.Status.SENT
        email.sent_at = timezone.now()
        email.last_error = ""
        email.save(update_fields=["attempts", "status", "sent_at", "last_error"])
    return Delivery(sent=True)


def due_email_ids(limit: int = 200) -> list[int]:
    """Pending e-mails whose next attempt is due (or that were never tried: a lost task)."""
    now = timezone.now()
    pending = OutboundEmail.objects.filter(status=OutboundEmail.Status.PENDING)
    due = pending.filter(next_attempt_at__isnull=True, created_at__lte=now - timedelta(seconds=30)) | pending.filter(
        next_attempt_at__lte=now
    )
    return list(due.order_by("id").values_list("pk", flat=True)[:limit])


def deliver_due() -> int:
    """Send every due e-mail once; returns how many were sent."""
    return sum(deliver(email_id).sent for email_id in due_email_ids())
