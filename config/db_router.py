"""Reads to the PostgreSQL replica, writes to the primary.

Active when ``DATABASE_REPLICA_URL`` is set (settings define a ``"replica"`` database and
install this router). Replica reads are opt-in, per request: ``ops.middleware.ReplicaRoutingMiddleware``
allows them for read-only catalog pages. Everything else reads the primary: POSTs,
cart and checkout (never a stale price or stock), the admin, Celery tasks (the outbox
drain must reload the truth), management commands and the shell.

Read your own writes: a replica lags the primary by a little (usually well under a
second, more under load). A shopper who just wrote something (posted a review,
added to the cart) must not read the older state on the next page, so a write sets a
short-lived cookie (``PIN_COOKIE``) and requests carrying it read the primary. Code
that writes and then reads inside one request needs nothing: such requests are never
routed to the replica. Inside a replica-allowed request, ``primary_reads()`` forces
the primary for a block.

The replica down: before a request reads it, ``replica_answers()`` checks its connection
(or opens one, within ``DATABASE_CONNECT_TIMEOUT``, or the pool's timeout); if that fails, the
process reads the primary for ``REPLICA_RETRY_SECONDS`` before trying the replica again.
A request already reading the replica when it stops fails as any database outage does
(``ops.db_outage``: a 503); the next ones read the primary.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DatabaseError, connections

logger = logging.getLogger(__name__)

REPLICA = "replica"
PRIMARY = "default"
PIN_COOKIE = "read_primary"

_replica_allowed: ContextVar[bool] = ContextVar("replica_reads_allowed", default=False)
# Per process: until when (time.monotonic()) the replica is left alone after a failed connection.
_replica_down_until = 0.0
_down_lock = threading.Lock()


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def replica_answers() -> bool:
    """Whether this request may read the replica: its connection is healthy, or a new one opens.

    A failure leaves the replica alone for ``REPLICA_RETRY_SECONDS`` in this process (one
    request per process and period pays the connection attempt, the others read the primary
    at once)."""
    global _replica_down_until
    if time.monotonic() < _replica_down_until:
        return False
    connection = connections[REPLICA]
    try:
        # A persistent connection that died with the server is closed here (CONN_HEALTH_CHECKS),
        # so ensure_connection() opens a new one; a pooled one is checked by the pool.
        connection.close_if_health_check_failed()
        connection.ensure_connection()
    except DatabaseError as error:
        with _down_lock:
            first = time.monotonic() >= _replica_down_until
            _replica_down_until = time.monotonic() + settings.REPLICA_RETRY_SECONDS
        if first:
            logger.warning("read replica unreachable, reading the primary for %s s: %s",
                           settings.REPLICA_RETRY_SECONDS, str(error).strip().splitlines()[0] if str(error) else error)
        connection.close()
        return False
    return True


@contextmanager
def replica_reads() -> Iterator[None]:
    """Within the block, reads may go to the replica (when one is configured)."""
    token = _replica_allowed.set(True)
    try:
        yield
    finally:
        _replica_allowed.reset(token)


@contextmanager
def primary_reads() -> Iterator[None]:
    """Within the block, reads go to the primary even where the replica was allowed."""
    token = _replica_allowed.set(False)
    try:
        yield
    finally:
        _replica_allowed.reset(token)


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints) -> str:
        if _replica_allowed.get() and replica_configured():
            return REPLICA
        return PRIMARY

    def db_for_write(self, model, **hints) -> str:
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        # The replica is a copy of the primary: objects from either may be related.
        return True

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints) -> bool:
        # Only the primary is migrated; the replica receives the schema through replication.
        return db == PRIMARY
