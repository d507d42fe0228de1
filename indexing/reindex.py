"""Rebuild the search index with zero downtime: one function for the command, the task and the admin.

Builds a new concrete index from a streaming read of the database, switches the
alias (or tantivy's CURRENT pointer) atomically, replays through the outbox
whatever changed during the build, and drops the old index. A ``ReindexRun`` row
reports the progress (``done`` grows every batch) and is the lock: a second
reindex is refused while one is running.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from search.backends import SearchBackend, SearchUnavailable, get_backend
from search.documents import DocumentBuilder, indexable_rows
from store.models import Product, ProductImage

from .models import ReindexRun
from .outbox import record_changes
from .sync import drain_outbox
from .verify import compare

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 2000
MIN_BATCH_SIZE, MAX_BATCH_SIZE = 10, 20000
# A running row whose heartbeat is older than this belongs to a process that died
# (killed worker, restarted server): it no longer blocks a new reindex.
ABANDONED_AFTER = timedelta(minutes=5)
ERROR_MAX_CHARS = 2000

ProgressCallback = Callable[[ReindexRun], None]


class ReindexAlreadyRunning(RuntimeError):
    def __init__(self, run: ReindexRun | None) -> None:
        self.run = run
        if run is None:
            message = "A reindex is already running."
        else:
            progress = f"{run.done:,} of {run.total:,} products" if run.total is not None else "not started yet"
            message = (f"A reindex is already running (started {run.started_at:%Y-%m-%d %H:%M:%S} UTC by "
                       f"{run.started_by}, {progress}); wait for it to finish.")
        super().__init__(message)


class ReindexNotStarted(RuntimeError):
    """The background reindex could not be handed to a worker (broker down)."""


class EngineUnreachable(SearchUnavailable):
    """The engine did not answer before the build started."""


@dataclass
class ReindexOutcome:
    run: ReindexRun
    previous_index: str | None
    reconciled: int  # products changed during the build, replayed through the outbox


def check_engine(backend: SearchBackend | None = None) -> SearchBackend:
    """Return the backend once it answered. It creates no index: one with no index keeps
    answering 503 until the new one is built and switched in, rather than an empty shop."""
    backend = backend or get_backend()
    try:
        backend.has_index()
    except Exception as exc:  # transport errors of either engine, a tantivy directory we cannot write
        raise EngineUnreachable(f"The search engine ({engine_location(backend)}) is unreachable: {exc}") from exc
    return backend


def engine_location(backend: SearchBackend) -> str:
    """Where an operator should look: "elasticsearch at http://…", "tantivy at /srv/…"."""
    return f"{backend.name} at {backend.location}"


def claim_run(requested_by: User | None = None) -> ReindexRun:
    """Create the ``running`` row, or raise ReindexAlreadyRunning."""
    abandon_dead_runs()
    try:
        with transaction.atomic():
            return ReindexRun.objects.create(engine=get_backend().name, requested_by=requested_by)
    except IntegrityError:  # the partial unique constraint: one running row at most
        raise ReindexAlreadyRunning(current_run()) from None


def current_run() -> ReindexRun | None:
    """The reindex running now, if its process is alive."""
    abandon_dead_runs()
    return ReindexRun.objects.filter(status=ReindexRun.Status.RUNNING).select_related("requested_by").first()


def abandon_dead_runs() -> int:
    """Mark failed the running rows whose process is gone: at once when it ran on this host,
    after ABANDONED_AFTER without a heartbeat otherwise (another host, or not started yet)."""
    running = ReindexRun.objects.filter(status=ReindexRun.Status.RUNNING)
    here = socket.gethostname()
    abandoned = 0
    for pk, pid, index_name in running.filter(host=here, pid__isnull=False).values_list("pk", "pid", "index_name"):
        if _process_alive(pid):
            continue
        abandoned += running.filter(pk=pk).update(
            status=ReindexRun.Status.FAILED, finished_at=timezone.now(),
            error=f"Abandoned: the process building it (pid {pid} on {here}) is gone.",
        )
        _drop_half_built(index_name)
    cutoff = timezone.now() - ABANDONED_AFTER
    return abandoned + running.filter(heartbeat_at__lt=cutoff).update(
        status=ReindexRun.Status.FAILED, finished_at=timezone.now(),
        error=f"Abandoned: no progress for {int(ABANDONED_AFTER.total_seconds() // 60)} minutes "
              "(the process running it stopped).",
    )


def _drop_half_built(index_name: str) -> None:
    # What a dead build left would hold its disk space (or Elasticsearch's shards) for good.
    with suppress(Exception):  # the engine may be down: the index stays, as before
        backend = get_backend()
        if index_name and index_name != backend.current_index() and index_name in backend.list_indices():
            backend.drop_index(index_name)


def _process_alive(pid: int | None) -> bool:
    # A reused pid looks alive: the heartbeat's expiry still ends that run.
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True


def run_reindex(
    batch_size: int = DEFAULT_BATCH_SIZE,
    keep_old: bool = False,
    progress_callback: ProgressCallback | None = None,
    *,
    run: ReindexRun | None = None,
    requested_by: User | None = None,
) -> ReindexOutcome:
    """Rebuild the index in this thread; return when the new index is live.

    ``run`` is a row claimed beforehand (the admin claims it when the button is
    pressed); without it one is claimed here. ``progress_callback(run)`` is called
    once the build starts (``run.total`` and ``run.index_name`` set) and after each
    batch. Raises ReindexAlreadyRunning, EngineUnreachable, or SearchUnavailable
    when the engine fails during the build; the row is marked failed on any error."""
    if not MIN_BATCH_SIZE <= batch_size <= MAX_BATCH_SIZE:
        raise ValueError(f"The batch size must be between {MIN_BATCH_SIZE} and {MAX_BATCH_SIZE}.")
    run = run or claim_run(requested_by)
    try:
        # Which process builds it: if this one dies, the next claim sees it gone at once.
        run.host, run.pid = socket.gethostname(), os.getpid()
        _save_progress(run, "host", "pid")
        outcome = _rebuild(run, batch_size, keep_old, progress_callback)
    except BaseException as exc:  # KeyboardInterrupt too: the row must not stay "running"
        _finish(run, ReindexRun.Status.FAILED, f"{type(exc).__name__}: {exc}"[:ERROR_MAX_CHARS])
        raise
    _finish(run, ReindexRun.Status.SUCCEEDED)
    return outcome


def _rebuild(run: ReindexRun, batch_size: int, keep_old: bool, progress_callback) -> ReindexOutcome:
    backend = check_engine()
    run.total = Product.objects.visible().count()
    run.index_name = backend.create_index()
    _save_progress(run, "total", "index_name")
    if progress_callback:
        progress_callback(run)
    started = time.monotonic()

    def batch_written(count: int) -> None:
        run.done += count
        run.build_seconds = time.monotonic() - started
        _save_progress(run, "done", "build_seconds")
        if progress_callback:
            progress_callback(run)

    try:
        backend.load(run.index_name, _documents_by_id_range(batch_size), progress=batch_written)
    except BaseException:
        with suppress(Exception):  # a half-built index serves nobody; the engine may be gone too
            backend.drop_index(run.index_name)
        raise
    run.build_seconds = time.monotonic() - started
    _save_progress(run, "build_seconds")
    previous = backend.switch(run.index_name)
    # Changes committed while we were building: repair them through the outbox.
    drift = compare(backend)
    reconciled = drift.product_ids()
    record_changes(reconciled)
    drain_outbox()
    if previous and previous != run.index_name and not keep_old:
        backend.drop_index(previous)
    return ReindexOutcome(run=run, previous_index=previous, reconciled=len(reconciled))


def _documents_by_id_range(batch_size: int) -> Iterator[list[dict]]:
    """Every indexable product's document, in batches read by separate queries on id ranges.

    No statement stays open between batches: on SQLite an open read holds a snapshot, and
    the progress write after a batch then fails with "database is locked" as soon as the
    storefront has written since (WAL cannot move a stale snapshot up to a write). Memory
    stays flat on any database. What changes between two batches is replayed afterwards
    (``compare`` and the outbox), as with a single snapshot's read."""
    builder = DocumentBuilder()
    after = 0
    while chunk := list(indexable_rows().filter(pk__gt=after).order_by("pk")[:batch_size]):
        images = ProductImage.objects.filter(product_id__gte=chunk[0].pk, product_id__lte=chunk[-1].pk)
        yield builder.documents(chunk, images)
        after = chunk[-1].pk


def _save_progress(run: ReindexRun, *fields: str) -> None:
    # One short autocommit UPDATE: it waits for a concurrent writer (the busy timeout),
    # and holds SQLite's write lock only for itself.
    run.heartbeat_at = timezone.now()
    run.save(update_fields=[*fields, "heartbeat_at"])


def _finish(run: ReindexRun, status: str, error: str = "") -> None:
    run.status, run.error, run.finished_at = status, error, timezone.now()
    for attempt in (1, 2):
        try:
            run.save(update_fields=["status", "error", "finished_at"])
            return
        except Exception:
            if attempt == 2 or connection.in_atomic_block:
                # The database itself may be what failed: the pid check (or the heartbeat)
                # ends the run then.
                logger.exception("could not record the end of reindex run %s", run.pk)
                return
            # A fresh connection holds no snapshot or broken transaction of the failed build.
            connection.close()


# --- in the background (the admin button) -------------------------------------------------


def start_reindex(requested_by: User | None = None,
                  batch_size: int = DEFAULT_BATCH_SIZE) -> ReindexRun:
    """Claim a run and build it in the background; return the row at once.

    With a broker, a Celery worker builds it (``indexing.tasks.reindex``). In the
    embedded mode tasks run eagerly, in the caller: a thread keeps the request short."""
    run = claim_run(requested_by)

    def hand_over() -> None:
        try:
            if settings.CELERY_TASK_ALWAYS_EAGER:
                # Not a daemon: a stopping server lets the build finish instead of abandoning it.
                threading.Thread(target=_reindex_in_thread, args=(run.pk, batch_size),
                                 name=f"reindex-{run.pk}").start()
            else:
                from .tasks import reindex  # a cycle: indexing.tasks runs this module's builds

                reindex.delay(run.pk, batch_size)
        except Exception as exc:
            _finish(run, ReindexRun.Status.FAILED, f"Could not start the background reindex: {exc}"[:ERROR_MAX_CHARS])
            raise ReindexNotStarted(f"Could not start the reindex: {exc}") from exc

    # The worker (or thread) reads the row: hand over once it is committed (at once in autocommit).
    transaction.on_commit(hand_over)
    return run


def _reindex_in_thread(run_id: int, batch_size: int) -> None:
    try:
        run_claimed(run_id, batch_size)
    except Exception:  # recorded on the row; logged, since nobody awaits this thread
        logger.exception("background reindex %s failed", run_id)
    finally:
        connection.close()  # this thread's own connection


def run_claimed(run_id: int, batch_size: int = DEFAULT_BATCH_SIZE, keep_old: bool = False) -> ReindexOutcome | None:
    """Build a run claimed by ``start_reindex``; nothing if it was abandoned meanwhile."""
    run = ReindexRun.objects.filter(pk=run_id, status=ReindexRun.Status.RUNNING).first()
    if run is None:
        logger.warning("reindex run %s is no longer waiting to run; skipped", run_id)
        return None
    return run_reindex(batch_size, keep_old, run=run)
