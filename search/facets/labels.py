"""Display names of facet values (category and brand names, attribute titles), read from
the catalog. They change rarely: each process keeps them LOCAL_SECONDS without asking the
shared cache or the database, and a save of a model they come from forgets them at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from django.core.cache import cache

LABELS_CACHE_SECONDS = 60
LOCAL_SECONDS = 30

_local: dict = {}
_local_lock = threading.Lock()
_shared_keys: set[str] = set()


def process_memo(key: Any, load: Callable[[], Any]) -> Any:
    now = time.monotonic()
    with _local_lock:
        found = _local.get(key)
        if found and now - found[0] < LOCAL_SECONDS:
            return found[1]
    value = load()
    with _local_lock:
        _local[key] = (now, value)
    return value


def shared_key(name: str) -> str:
    """The shared cache key of a facet's labels; declared once per facet, at import, so
    that every process forgets all of them on a save."""
    key = f"search:facet-labels:{name}"
    _shared_keys.add(key)
    return key


def shared_labels(name: str, load: Callable[[], dict[str, str]]) -> dict[str, str]:
    """Labels kept in this process and in the shared cache under ``name``."""
    key = shared_key(name)

    def from_cache() -> dict[str, str]:
        labels = cache.get(key)
        if labels is None:
            labels = load()
            cache.set(key, labels, LABELS_CACHE_SECONDS)
        return labels

    return process_memo(key, from_cache)


def forget_labels(**kwargs: Any) -> None:
    """Forget every label kept here and in the shared cache (a receiver of the label
    models' saves, connected by search.apps)."""
    with _local_lock:
        _local.clear()
    if kwargs.get("sender") is not None:
        cache.delete_many(list(_shared_keys))
