import logging

from celery import shared_task

from . import delivery

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=None, acks_late=True)
def deliver_email(self, email_id: int) -> bool:
    """Send one queued e-mail; while the mail server refuses, retry with exponential back-off
    (the sweep below sends what a lost task left, so nothing depends on this one surviving)."""
    result = delivery.deliver(email_id)
    if result.retry_in is not None and not self.request.is_eager:
        raise self.retry(countdown=result.retry_in)
    return result.sent


@shared_task
def deliver_due_emails() -> int:
    """Beat task: send the e-mails whose retry is due or whose task was lost (broker down)."""
    return delivery.deliver_due()
