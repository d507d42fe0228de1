"""Self-healing: an engine that answers but holds no index (Elasticsearch restarted empty,
tantivy's directory deleted) gets a reindex, started by the drain that noticed, with no
person acting. Engine-neutral: ``SearchBackend.has_index()`` says which case it is."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone

from search.backends import SearchUnavailable, get_backend

from .models import ReindexRun
from .reindex import ReindexAlreadyRunning, ReindexNotStarted, start_reindex

logger = logging.getLogger(__name__)

# After a reindex failed, wait this long before the next automatic one (the beat drains every
# 30 s: an engine that keeps failing must not get a new run row each time).
HEAL_RETRY_SECONDS = 60


def heal_missing_index() -> ReindexRun | None:
    """Start a background reindex when the engine answers without an index; return its run.
    None when there is nothing to heal, the engine cannot answer (then the drain's retries
    go on), a reindex is already running, or one failed less than HEAL_RETRY_SECONDS ago."""
    try:
        if get_backend().has_index():
            return None
    except SearchUnavailable:
        return None  # down, not empty: a reindex could not run either
    recently = timezone.now() - timedelta(seconds=HEAL_RETRY_SECONDS)
    if ReindexRun.objects.filter(status=ReindexRun.Status.FAILED, finished_at__gte=recently).exists():
        return None
    try:
        run = start_reindex()
    except (ReindexAlreadyRunning, ReindexNotStarted) as exc:
        logger.info("search index missing; no automatic reindex now: %s", exc)
        return None
    logger.warning("the search engine holds no index: automatic reindex %s started", run.pk)
    return run
