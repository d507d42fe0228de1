"""Queueing an e-mail: a row in the caller's transaction, a delivery task after its commit."""

from __future__ import annotations

import logging
import time

from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from .models import OutboundEmail

logger = logging.getLogger(__name__)


def queue_message(message: EmailMessage, *, kind: str, dedupe_key: str | None = None) -> OutboundEmail | None:
    """Store ``message`` for delivery once the current transaction commits; returns the row,
    or None when an e-mail with ``dedupe_key`` was queued before (nothing new is sent).

    Recipients must be plain addresses and the subject one line: nothing a customer typed
    can add a header."""
    recipients = [str(address) for address in message.to]
    for address in recipients:
        try:
            validate_email(address)
        except ValidationError:
            raise ValueError(f"not an e-mail address: {address!r}") from None
    html = ""
    if isinstance(message, EmailMultiAlternatives):
        html = next((str(content) for content, mimetype in message.alternatives if mimetype == "text/html"), "")
    try:
        with transaction.atomic():
            email = OutboundEmail.objects.create(
                kind=kind,
                dedupe_key=dedupe_key,
                from_email=message.from_email,
                to=recipients,
                subject=" ".join(str(message.subject).split())[:255],
                body_text=str(message.body),
                body_html=html,
            )
    except IntegrityError:
        if dedupe_key and OutboundEmail.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        raise
    transaction.on_commit(lambda: request_delivery(email.pk))
    return email


# After a failed publish this process leaves the broker alone this long: one order queues
# several e-mails, and each would wait on a dead broker in turn.
BROKER_PAUSE_SECONDS = 5.0
_broker_down_until = 0.0


def request_delivery(email_id: int) -> None:
    """Enqueue the delivery. A broker outage must not fail (nor slow down much) the request that
    queued the e-mail: the row is committed, and the periodic sweep (mail.tasks.deliver_due_emails)
    sends it."""
    global _broker_down_until
    from .tasks import deliver_email  # tasks → delivery → models; outbox is imported by callers

    if time.monotonic() < _broker_down_until:
        logger.info("broker recently unreachable: e-mail %s is left to the periodic sweep", email_id)
        return
    try:
        deliver_email.delay(email_id)
    except Exception:  # any broker failure is survivable here
        _broker_down_until = time.monotonic() + BROKER_PAUSE_SECONDS
        logger.warning("could not enqueue e-mail %s; the periodic sweep will send it", email_id, exc_info=True)
