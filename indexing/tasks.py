import logging

from celery import shared_task
from django.conf import settings

from search.backends import SearchUnavailable
from search.semantic import embedder
from search.semantic.vocabulary import refresh_if_catalog_changed

from . import sync
from .heal import heal_missing_index
from .reindex import DEFAULT_BATCH_SIZE, run_claimed

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=None, acks_late=True)
def drain_outbox(self) -> int:
    """Drain the outbox; while the engine is down, retry with exponential back-off
    (the beat schedule drains too, so nothing depends on this task surviving). An engine that
    answers without an index gets a reindex (indexing.heal), which then replays the outbox."""
    try:
        synced = sync.drain_outbox()
    except SearchUnavailable as exc:
        if heal_missing_index() is not None:
            logger.warning("no search index: a reindex was started and will replay the outbox: %s", exc)
            return 0
        if self.request.is_eager:
            logger.warning("search engine unavailable; changes stay in the outbox: %s", exc)
            return 0
        countdown = min(settings.OUTBOX_RETRY_MAX_SECONDS, 2 ** min(self.request.retries, 8))
        logger.warning("search engine unavailable, retrying in %ss: %s", countdown, exc)
        raise self.retry(exc=exc, countdown=countdown) from exc
    if not synced:
        # An idle drain (the beat's) still notices an engine that lost its index.
        try:
            heal_missing_index()
        except Exception:  # the drain itself succeeded; the next beat tries again
            logger.exception("could not check the search index")
    return synced


# Acknowledged on receipt, unlike the drain: a worker lost in the middle of a build must not
# restart it elsewhere. Its row stops beating and is marked abandoned; an administrator reruns it.
@shared_task(acks_late=False, ignore_result=True)
def reindex(run_id: int, batch_size: int = DEFAULT_BATCH_SIZE, keep_old: bool = False) -> None:
    """Build the reindex run claimed by the admin button (``indexing.reindex.start_reindex``).
    Progress and failure are recorded on the ReindexRun row."""
    run_claimed(run_id, batch_size, keep_old)


@shared_task(ignore_result=True)
def refresh_semantic_vocabulary() -> int:
    """Semantic matching's vocabulary after the catalog's (beat, every few minutes): a new product
    type or category becomes a term searches expand to; unchanged terms are never embedded again.
    Returns how many terms were embedded now."""
    if not embedder.enabled():
        return 0
    report = refresh_if_catalog_changed()
    return report.embedded if report else 0
