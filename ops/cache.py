"""Cache backends that count their hits and misses (the cache hit ratio in /metrics).

A thin subclass of each Django backend we use: only ``get`` and ``get_many`` are
counted (``get_or_set``, the ``{% cache %}`` tag and the cached_db sessions read
through them). The name in the metric is the ``METRICS_NAME`` of the cache's entry
in ``CACHES`` (a top-level key, ignored by Django).

The Redis one also keeps its ``redis.Redis`` client objects: Django's client makes a new
one (with its table of ~200 response callbacks) for every command, which costs more CPU
than a cache hit's round trip. A ``redis.Redis`` on a connection pool is thread-safe and
the pool reconnects after a fork, so one per pool is enough.

**Failing open.** Redis is a cache here, never the truth: when it cannot be reached
(stopped, restarting, a port closed, out of memory) a read is a miss and a write is
skipped, so pages are served from PostgreSQL and the search engine. Each failure is
counted (``catalog_cache_errors_total{cache,operation}``) and logged at most once per
``LOG_EVERY_SECONDS``. After a failure the cache is left alone for
``RETRY_AFTER_FAILURE_SECONDS`` (every operation in between is a miss or a skipped write
without a round trip), then the next operation tries again: a dead Redis costs one
refused connection a second per process, not a timeout per operation.

Writes skipped meanwhile are not forgotten: the key of each one is kept (up to
``MAX_LOST_WRITES`` per cache and process) and, before the first operation once Redis
answers again, the entry is deleted (what Redis still holds for it is older than the
truth: a session written through to PostgreSQL, a forgotten category menu) or, for a
counter (``incr``, or ``set`` without expiry: the listing generation, the rules version),
bumped, so that everything cached under its old value is stale at once. The rate
limiter's cache opts out (``REPLAY_LOST_WRITES: False``): its counters are approximate.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

from .metrics import record_cache_error, record_cache_read

logger = logging.getLogger(__name__)

_MISSING = object()

# What "Redis cannot serve this" looks like: refused or timed-out connections, a server
# loading its data, out of memory (noeviction), a read-only replica after a failover.
CACHE_FAILURES: tuple[type[Exception], ...] = (redis.RedisError, OSError)
RETRY_AFTER_FAILURE_SECONDS = 1.0
LOG_EVERY_SECONDS = 30.0
MAX_LOST_WRITES = 10_000
_INVALIDATE, _BUMP, _CLEAR = "invalidate", "bump", "clear"
_EVERYTHING = ("", None)
REPLAY_BATCH = 500

CacheKey = tuple[str, int | None]  # (key, version) as the caller gave them
LostWrite = tuple[str, Any]  # (what to do once the cache answers, the value of a lost set without expiry)


class CacheOutage:
    """What one process knows of one cache's health (Django makes a backend object per
    thread: this is shared by all of them): whether to leave it alone for now, the keys
    whose writes were skipped, and when the failures were last logged."""

    def __init__(self, name: str, pause: float, replay: bool) -> None:
        self.name = name
        self.pause = pause
        self.replay = replay
        self.lock = threading.Lock()
        self.resume_at = 0.0  # monotonic; 0: healthy
        self.probing = False  # one thread tries the cache again, the others keep skipping it
        self.since = 0.0
        self.lost: dict[CacheKey, LostWrite] = {}
        self.lost_overflow = 0
        self.failures = 0  # since the last log line
        self.logged_at = 0.0

    def healthy(self) -> bool:
        return not self.resume_at

    def may_try(self) -> bool:
        """True if this thread may send a command now (it probes when the pause is over)."""
        if not self.resume_at:
            return True
        with self.lock:
            if not self.resume_at:
                return True
            if self.probing or time.monotonic() < self.resume_at:
                return False
            self.probing = True
            return True

    def failed(self, operation: str, error: BaseException | None) -> None:
        record_cache_error(self.name, operation)
        now = time.monotonic()
        with self.lock:
            if not self.resume_at:
                self.since = now
            if error is not None:  # a skipped operation (error None) leaves the pause as it is
                self.resume_at = now + self.pause
                self.probing = False
            self.failures += 1
            if now - self.logged_at < LOG_EVERY_SECONDS:
                return
            count, self.failures, self.logged_at = self.failures, 0, now
        logger.warning("cache %r unavailable (%s); serving without it: %d operation(s) missed or "
                       "skipped since the last message", self.name,
                       f"{type(error).__name__}: {error}" if error else "still failing", count)

    def succeeded(self) -> None:
        if not self.resume_at:
            return
        with self.lock:
            if not self.resume_at:
                return
            down_for = time.monotonic() - self.since
            self.resume_at, self.probing, self.failures, self.logged_at = 0.0, False, 0, 0.0
        logger.warning("cache %r reachable again after %.1f s", self.name, down_for)

    def remember(self, writes: Iterable[tuple[CacheKey, Any]], kind: str) -> None:
        """Keep ``writes`` ((key, version), value) that did not happen, to replay them later."""
        if not self.replay:
            return
        with self.lock:
            if kind == _CLEAR:
                self.lost = {_EVERYTHING: (_CLEAR, _MISSING)}
                return
            if _EVERYTHING in self.lost:
                return  # everything goes anyway
            for key, value in writes:
                if key in self.lost or len(self.lost) < MAX_LOST_WRITES:
                    self.lost[key] = _merged(self.lost.get(key), (kind, value))
                else:
                    self.lost_overflow += 1

    def take_lost(self) -> tuple[dict[CacheKey, LostWrite], int]:
        with self.lock:
            lost, overflow = self.lost, self.lost_overflow
            self.lost, self.lost_overflow = {}, 0
            return lost, overflow

    def give_back(self, lost: dict[CacheKey, LostWrite]) -> None:
        """What a replay did not get to, before what was remembered since."""
        with self.lock:
            for key, write in self.lost.items():
                lost[key] = _merged(lost.get(key), write)
            self.lost = lost


def _merged(earlier: LostWrite | None, later: LostWrite) -> LostWrite:
    """A counter stays a counter (bumping it also makes its entries stale); the latest value wins."""
    if earlier is None:
        return later
    kind = _BUMP if _BUMP in (earlier[0], later[0]) else later[0]
    return kind, later[1] if later[1] is not _MISSING else earlier[1]


_outages: dict[tuple, CacheOutage] = {}
_outages_lock = threading.Lock()


def cache_outage(name: str, location: Any, params: dict) -> CacheOutage:
    key = (name, str(location), params.get("KEY_PREFIX", ""))
    with _outages_lock:
        if key not in _outages:
            _outages[key] = CacheOutage(
                name,
                float(params.get("RETRY_AFTER_FAILURE_SECONDS", RETRY_AFTER_FAILURE_SECONDS)),
                bool(params.get("REPLAY_LOST_WRITES", True)),
            )
        return _outages[key]


class HitCountingMixin:
    """Counts reads, and fails open (the module docstring): never raises because the cache
    is down, whatever the operation."""

    def __init__(self, location: str, params: dict) -> None:
        super().__init__(location, params)  # type: ignore[call-arg]
        self.metrics_name = params.get("METRICS_NAME", "default")
        self.outage = cache_outage(self.metrics_name, location, params)

    # --- failing open ---------------------------------------------------------------

    def _attempt(self, operation: str, command: Callable[[], Any], fallback: Any,
                 lost: Iterable[tuple[CacheKey, Any]] = (), kind: str = _INVALIDATE) -> Any:
        """``command()``, or ``fallback`` (remembering the ``lost`` writes) if the cache is
        failing. Lost writes of earlier failures are replayed first, once it answers again."""
        outage = self.outage
        if not outage.may_try():
            outage.failed(operation, None)
            outage.remember(lost, kind)
            return fallback
        try:
            if outage.lost or outage.lost_overflow:
                self._replay_lost_writes()
            result = command()
        except CACHE_FAILURES as error:
            outage.failed(operation, error)
            outage.remember(lost, kind)
            return fallback
        except BaseException:
            outage.succeeded()  # it answered (incr of a missing key: ValueError), or the probe ends here
            raise
        outage.succeeded()
        return result

    def _replay_lost_writes(self) -> None:
        """Make what Redis still holds for a skipped write stale (the module docstring).
        Raises if the cache fails again; what was not done yet is kept for the next time."""
        lost, overflow = self.outage.take_lost()
        if overflow:
            logger.error("cache %r: %d skipped write(s) beyond the %d kept cannot be replayed; entries "
                         "older than the truth may be served until they expire",
                         self.metrics_name, overflow, MAX_LOST_WRITES)
        count = len(lost)
        try:
            if _EVERYTHING in lost:
                super().clear()  # type: ignore[misc]
                lost.clear()
            for (key, version), (kind, value) in list(lost.items()):
                if kind != _BUMP:
                    continue
                try:
                    super().incr(key, 1, version=version)  # type: ignore[misc]
                except ValueError:  # gone (Redis restarted empty): put back what was written
                    if value is not _MISSING:
                        super().add(key, value, None, version=version)  # type: ignore[misc]
                except redis.ResponseError:  # not a number: forget it instead
                    super().delete(key, version=version)  # type: ignore[misc]
                del lost[(key, version)]
            by_version: dict[int | None, list[str]] = {}
            for key, version in lost:
                by_version.setdefault(version, []).append(key)
            for version, keys in by_version.items():
                for start in range(0, len(keys), REPLAY_BATCH):
                    batch = keys[start:start + REPLAY_BATCH]
                    super().delete_many(batch, version=version)  # type: ignore[misc]
                    for key in batch:
                        del lost[(key, version)]
        except BaseException:
            self.outage.give_back(lost)
            raise
        if count:
            logger.warning("cache %r: %d write(s) skipped while it was down made stale", self.metrics_name, count)

    # --- the operations ---------------------------------------------------------------

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        value = self._attempt("get", lambda: super(HitCountingMixin, self).get(key, _MISSING, version=version),
                              _MISSING)
        if value is _MISSING:
            record_cache_read(self.metrics_name, 0, 1)
            return default
        record_cache_read(self.metrics_name, 1, 0)
        return value

    def get_many(self, keys, version: int | None = None) -> dict:
        keys = list(keys)
        found = self._attempt("get_many", lambda: super(HitCountingMixin, self).get_many(keys, version=version), {})
        record_cache_read(self.metrics_name, len(found), len(keys) - len(found))
        return found

    def has_key(self, key: str, version: int | None = None) -> bool:
        return self._attempt("has_key", lambda: super(HitCountingMixin, self).has_key(key, version=version), False)

    def set(self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> None:
        self._attempt("set", lambda: super(HitCountingMixin, self).set(key, value, timeout, version=version),
                      None, [((key, version), value)], _BUMP if timeout is None else _INVALIDATE)

    def set_many(self, data: dict, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> list:
        return self._attempt("set_many", lambda: super(HitCountingMixin, self).set_many(data, timeout, version=version),
                             list(data), [((key, version), value) for key, value in data.items()],
                             _BUMP if timeout is None else _INVALIDATE)

    def add(self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        # An add that did not happen changed nothing: there is nothing to replay.
        return self._attempt("add", lambda: super(HitCountingMixin, self).add(key, value, timeout, version=version),
                             False)

    def touch(self, key: str, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._attempt("touch", lambda: super(HitCountingMixin, self).touch(key, timeout, version=version),
                             False)

    def delete(self, key: str, version: int | None = None) -> bool:
        return self._attempt("delete", lambda: super(HitCountingMixin, self).delete(key, version=version),
                             False, [((key, version), _MISSING)])

    def delete_many(self, keys, version: int | None = None) -> None:
        keys = list(keys)
        self._attempt("delete_many", lambda: super(HitCountingMixin, self).delete_many(keys, version=version),
                      None, [((key, version), _MISSING) for key in keys])

    def incr(self, key: str, delta: int = 1, version: int | None = None) -> int:
        """``decr`` comes here too. While the cache fails: ``delta``, as if the counter had just
        been created (the rate limiter lets the request through), and the counter is bumped
        once the cache is back."""
        return self._attempt("incr", lambda: super(HitCountingMixin, self).incr(key, delta, version=version),
                             delta, [((key, version), _MISSING)], _BUMP)

    def clear(self) -> None:
        self._attempt("clear", lambda: super(HitCountingMixin, self).clear(), None, [], _CLEAR)


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
