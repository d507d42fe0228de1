"""The rules version: a number in the database that every rule save bumps in its own
transaction, so that every process — each gunicorn worker, a management command in
another shell, the embedded run without Redis — sees the new version exactly when it
sees the new rows. ``search.merchandising.rules`` reads it at most every
RULES_CHECK_SECONDS and reloads its compiled rules when it moved; ``search.result_cache``
keys cached results by the version those rules were read at, so that no result made
under older rules is served. Apart from the rules themselves so that the models can bump
it without importing what reads them."""

from __future__ import annotations

from django.db import IntegrityError, models, transaction
from django.db.models import F

ROW_ID = 1

# Rule changes made by this process: the rules it caches are checked again at once after one,
# so whoever saved a rule (an admin's worker, a test) sees it without waiting for the next check.
_local = {"changes": 0}


class RulesVersion(models.Model):
    """One row (id 1). A table rather than a cache key: a per-process cache (embedded mode)
    would keep each process on its own version, and a shared cache that is cleared or down
    would lose the number while the rules stay changed."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=ROW_ID)
    version = models.PositiveBigIntegerField(default=0)

    class Meta:
        app_label = "search"
        verbose_name = "rules version"

    def __str__(self) -> str:
        return f"rules version {self.version}"


def bump_rules_version() -> None:
    """In the caller's transaction: the new number commits (or rolls back) with the rule
    change it announces. A reader that loaded the rows before the commit read the old
    number with them, and so reloads at its next check."""
    if not RulesVersion.objects.filter(pk=ROW_ID).update(version=F("version") + 1):
        try:  # the row is gone (a test database flushed): start again
            with transaction.atomic():
                RulesVersion.objects.create(pk=ROW_ID, version=1)
        except IntegrityError:  # created meanwhile by another process
            RulesVersion.objects.filter(pk=ROW_ID).update(version=F("version") + 1)
    _note_local_change()  # this transaction's own reads see the change now…
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(_note_local_change)  # …and every thread's once it commits


def _note_local_change() -> None:
    _local["changes"] += 1


def local_changes() -> int:
    """How many rule changes this process made (see ``_local``)."""
    return _local["changes"]


def read_rules_version() -> int:
    """The current number (0 before any rule change)."""
    return RulesVersion.objects.filter(pk=ROW_ID).values_list("version", flat=True).first() or 0
