import logging

from celery import shared_task
from django.conf import settings

from search.backends import SearchUnavailable

from . import sync
from .reindex import DEFAULT_BATCH_SIZE, run_claimed

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=None, acks_late=True)
def drain_outbox(self) -> int:
    """Drain the outbox; while the engine is down, retry with exponential back-off
    (the beat schedule drains too, so nothing depends on this task surviving)."""
    try:
        return sync.drain_outbox()
    except SearchUnavailable as exc:
        if self.request.is_eager:
            logger.warning("search engine unavailable; changes stay in the outbox: %s", exc)
            return 0
        countdown = min(settings.OUTBOX_RETRY_MAX_SECONDS, 2 ** min(self.request.retries, 8))
        logger.warning("search engine unavailable, retrying in %ss: %s", countdown, exc)
        raise self.retry(exc=exc, countdown=countdown) from exc


# Acknowledged on receipt, unlike the drain: a worker lost in the middle of a build must not
# restart it elsewhere. Its row stops beating and is marked abandoned; an administrator reruns it.
@shared_task(acks_late=False, ignore_result=True)
def reindex(run_id: int, batch_size: int = DEFAULT_BATCH_SIZE, keep_old: bool = False) -> None:
    """Build the reindex run claimed by the admin button (``indexing.reindex.start_reindex``).
    Progress and failure are recorded on the ReindexRun row."""
    run_claimed(run_id, batch_size, keep_old)
