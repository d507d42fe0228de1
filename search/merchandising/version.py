"""The rules version: a number in the shared cache that every rule save bumps, so running
processes reload their compiled rules within seconds (search.merchandising.rules) and
cached results made under other rules are not read (search.result_cache). Apart from the
rules themselves so that the models can bump it without importing what reads them."""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction

VERSION_KEY = "search:rules-version"


def _incr_version() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, 1, None)


def bump_rules_version() -> None:
    """Now, and again once the transaction commits: a process that reloaded in between
    (and so read the rows as they were before the commit) reloads once more."""
    _incr_version()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(_incr_version)
