"""Cache backends that count their hits and misses (the cache hit ratio in /metrics).

A thin subclass of each Django backend we use: only ``get`` and ``get_many`` are
counted (``get_or_set``, the ``{% cache %}`` tag and the cached_db sessions read
through them). The name in the metric is the ``METRICS_NAME`` of the cache's entry
in ``CACHES`` (a top-level key, ignored by Django).

The Redis one also keeps its ``redis.Redis`` client objects: Django's client makes a new
one (with its table of ~200 response callbacks) for every command, which costs more CPU
than a cache hit's round trip. A ``redis.Redis`` on a connection pool is thread-safe and
the pool reconnects after a fork, so one per pool is enough.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

from .metrics import record_cache_read

_MISSING = object()


class HitCountingMixin:
    def __init__(self, location: str, params: dict) -> None:
        super().__init__(location, params)
        self.metrics_name = params.get("METRICS_NAME", "default")

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        value = super().get(key, _MISSING, version=version)
        if value is _MISSING:
            record_cache_read(self.metrics_name, 0, 1)
            return default
        record_cache_read(self.metrics_name, 1, 0)
        return value

    def get_many(self, keys, version: int | None = None) -> dict:
        keys = list(keys)
        found = super().get_many(keys, version=version)
        record_cache_read(self.metrics_name, len(found), len(keys) - len(found))
        return found


class ReusingRedisCacheClient(RedisCacheClient):
    """Django's Redis client, making one ``redis.Redis`` per connection pool, not per command."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None or client.connection_pool is not pool:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class InstrumentedRedisCache(HitCountingMixin, RedisCache):
    def __init__(self, location: str, params: dict) -> None:
        super().__init__(location, params)
        self._class = ReusingRedisCacheClient


class InstrumentedLocMemCache(HitCountingMixin, LocMemCache):
    pass


class InstrumentedDummyCache(HitCountingMixin, DummyCache):
    """``CACHE_DISABLED=1``: nothing is kept, every read is a miss (the benchmark's "cache off")."""
