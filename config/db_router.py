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
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings

REPLICA = "replica"
PRIMARY = "default"
PIN_COOKIE = "read_primary"

_replica_allowed: ContextVar[bool] = ContextVar("replica_reads_allowed", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


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
