"""Redis stopped: the shop keeps serving from PostgreSQL, and recovers by itself.

Faults are real: a private ``redis-server`` (port 6391, no persistence) is killed with
SIGKILL and restarted empty on the same port, or frozen with SIGSTOP (a hung Redis: the
socket stays open, nothing answers). The full-stack test runs the shop in gunicorn
(deploy/gunicorn.conf.py, one worker) with its cache, sessions, rate limiter and Celery
broker on that Redis; the unit tests use ``ops.cache`` directly.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
import redis
import requests
from django.conf import settings as django_settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.auth.models import User
from django.core.cache.backends.redis import RedisCache
from prometheus_client import REGISTRY

from indexing.models import OutboxEntry
from indexing.sync import drain_outbox
from ops.cache import InstrumentedRedisCache
from search.backends import get_backend
from tests.catalog import build_catalog
from tests.faults import FaultReport, time_to_recover

ROOT = Path(__file__).resolve().parent.parent
REDIS_PORT = 6391
PAGES = {
    "home": "/",
    "search": "/search?q=shirt",
    "category": "/c/clothing/",
    "product": "/p/crew/",
    "cart": "/cart/",
    "api": "/api/search?q=headphones",
    "autocomplete": "/api/autocomplete?q=sh",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """A redis-server of the test's own, on a fixed port, that the test kills and restarts."""

    def __init__(self, directory: Path, port: int = REDIS_PORT) -> None:
        self.directory, self.port = directory, port
        self.proc: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{port}"

    def start(self) -> None:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                raise RuntimeError(f"port {self.port} is taken: a redis-server of an earlier run left behind?")
        self.directory.mkdir(parents=True, exist_ok=True)
        log = open(self.directory / "redis.log", "a")  # noqa: SIM115 - the child process owns it
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory)],
            stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)
            finally:
                client.close()

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.proc = None

    def freeze(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def keys(self, db: int = 0) -> int:
        client = redis.Redis(port=self.port, db=db)
        try:
            return int(client.dbsize())
        finally:
            client.close()

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)  # a frozen process does not die of SIGTERM
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        server.close()


def redis_cache(location: str, **params) -> InstrumentedRedisCache:
    """A cache of the test's own (a fresh failure state: the metrics name is unique)."""
    return InstrumentedRedisCache(location, {
        "METRICS_NAME": f"test-{uuid.uuid4().hex[:8]}",
        "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.5},
        **params,
    })


def cache_errors(name: str) -> float:
    return sum(REGISTRY.get_sample_value("catalog_cache_errors_total", {"cache": name, "operation": op}) or 0
               for op in ("get", "get_many", "has_key", "set", "set_many", "add", "touch", "delete",
                          "delete_many", "incr", "clear"))


# --- The cache layer, unit level ---------------------------------------------------------------


def test_every_cache_operation_fails_open_against_a_closed_port():
    location = f"redis://127.0.0.1:{free_port()}/0"
    with pytest.raises(redis.ConnectionError):  # Django's own backend: what every page got (a 500)
        RedisCache(location, {"OPTIONS": {"socket_connect_timeout": 0.25}}).get("k")

    cache = redis_cache(location)
    started = time.perf_counter()
    assert cache.get("k", "default") == "default"
    assert cache.get_many(["a", "b"]) == {}
    assert cache.set("k", 1, 30) is None
    assert cache.delete("k") is False
    assert cache.incr("counter", 2) == 2  # as if just created: the rate limiter lets the request through
    assert cache.decr("counter") == -1
    assert cache.add("k", 1) is False
    assert cache.has_key("k") is False
    assert "k" not in cache
    assert cache.get_or_set("k", "built") == "built"
    assert cache.set_many({"a": 1}) == ["a"]
    cache.delete_many(["a"])
    assert time.perf_counter() - started < 1.0, "a dead Redis must cost milliseconds"
    assert cache_errors(cache.metrics_name) >= 12


def test_writes_skipped_during_a_hang_are_replayed_once_redis_answers(private_redis):
    """A hung Redis (frozen, not restarted: it keeps its data). A delete or a version bump
    skipped meanwhile must not leave the old entry to be served as fresh afterwards."""
    cache = redis_cache(f"{private_redis.url}/2", RETRY_AFTER_FAILURE_SECONDS=0.3)
    cache.set("menu", "the old menu", 600)
    cache.set("generation", 5, None)
    cache.set("session", "logged in", 600)

    private_redis.freeze()
    try:
        started = time.perf_counter()
        assert cache.get("menu") is None  # times out (socket_timeout): a miss
        assert time.perf_counter() - started < 1.5
        cache.delete("menu")  # a category was saved: forget the menu
        cache.set("generation", 6, None)  # the outbox drain bumped the listing generation
        cache.set("session", "logged out", 600)  # written through to PostgreSQL, not to Redis
        assert time.perf_counter() - started < 1.5, "skipped while failing, without a round trip"
    finally:
        private_redis.thaw()

    def answers() -> bool:
        return cache.get("probe", "miss") == "miss" and cache.outage.healthy()

    time_to_recover(answers, timeout=10, pause=0.1)
    assert cache.get("menu") is None
    assert cache.get("generation") not in (None, 5)  # bumped: everything keyed by 5 is stale
    assert cache.get("session") is None  # read from PostgreSQL next time, not the old copy
    cache.set("menu", "the new menu", 600)
    assert cache.get("menu") == "the new menu"  # caching as before


def test_a_counter_written_while_redis_was_dead_is_back_after_it_restarts_empty(private_redis):
    """The listing generation bumped while Redis was dead: once it is back (empty), the bump
    is there, rather than the "never bumped" 0 that entries made after the restart share."""
    cache = redis_cache(f"{private_redis.url}/2", RETRY_AFTER_FAILURE_SECONDS=0.3)
    cache.set("generation", 5, None)
    private_redis.kill()
    cache.set("generation", 1_700_000_000_000, None)
    private_redis.start()
    time_to_recover(lambda: cache.get("probe", "miss") == "miss" and cache.outage.healthy(), timeout=10, pause=0.1)
    assert cache.get("generation") == 1_700_000_000_000


def test_a_probe_answered_with_an_error_of_the_caller_ends_the_outage(private_redis):
    """The first command after a pause is an incr of a missing key (ValueError, as Django
    says so): Redis answered, so the cache is used again."""
    cache = redis_cache(f"{private_redis.url}/2", RETRY_AFTER_FAILURE_SECONDS=0.2)
    private_redis.kill()
    assert cache.get("k") is None
    private_redis.start()
    time.sleep(0.3)
    with pytest.raises(ValueError):
        cache.incr("missing")
    cache.set("k", "v", 30)
    assert cache.get("k") == "v"


# --- The shop in gunicorn, Redis killed ----------------------------------------------------------


class Shop:
    """gunicorn (deploy/gunicorn.conf.py, one worker) on a free port, on the test's database
    and search index, with its cache, sessions, rate limiter and broker on the private Redis."""

    def __init__(self, tmp_path: Path, redis_url: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp_path / "gunicorn.log"
        db = django_settings.DATABASES["default"]
        self.env = {
            **{k: v for k, v in os.environ.items() if k not in ("PROMETHEUS_MULTIPROC_DIR",)},
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "REDIS_URL": f"{redis_url}/0",
            "CELERY_BROKER_URL": f"{redis_url}/1",
            "CACHE_KEY_PREFIX": "fault-redis",
            "VAR_DIR": str(tmp_path / "shop-var"),
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": "1",
            "GUNICORN_THREADS": "4",
            "GUNICORN_MAX_REQUESTS": "0",
            **get_backend().environment(),
        }
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.log_path, "a")  # noqa: SIM115 - the child process owns it
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "deploy/gunicorn.conf.py", "config.wsgi:application"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):
                pass  # not listening yet, or its first request still booting on a busy machine
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start:\n" + self.log_path.read_text()[-3000:])
            time.sleep(0.1)

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def run_python(self, code: str) -> subprocess.CompletedProcess:
        """Another process of the shop (an editor's, a shell) with the same environment."""
        return subprocess.run([sys.executable, "-c", "import django; django.setup()\n" + code], cwd=ROOT,
                              env=self.env, capture_output=True, text=True, timeout=60)

    def cache_hits(self) -> float:
        text = requests.get(self.url + "/metrics", timeout=5).text
        match = re.search(r'^catalog_cache_requests_total\{cache="default",result="hit"\} (\S+)$', text, re.M)
        return float(match.group(1)) if match else 0.0

    def log_tail(self) -> str:
        return self.log_path.read_text()[-4000:]


@pytest.fixture
def shop(private_redis, tantivy_backend, transactional_db, tmp_path, settings):
    # This process (the outbox drain, as beat would run it) uses the same Redis as the shop.
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "LOCATION": f"{private_redis.url}/0", "KEY_PREFIX": "fault-redis"},
        "ratelimit": {**settings.CACHES["ratelimit"], "LOCATION": f"{private_redis.url}/0",
                      "KEY_PREFIX": "fault-redis"},
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    settings.CELERY_BROKER_URL = f"{private_redis.url}/1"
    build_catalog()
    drain_outbox()
    get_backend().refresh()
    server = Shop(tmp_path, private_redis.url)
    server.start()
    try:
        yield server
    finally:
        server.close()


def make_shopper(username: str) -> None:
    # The shop runs with the production hashers (the tests' settings use MD5 for speed).
    User.objects.create(username=username, password=PBKDF2PasswordHasher().encode("a good password", "fixedsalt"))


def log_in(shop: Shop, username: str) -> tuple[requests.Session, int]:
    browser = requests.Session()
    browser.get(shop.url + "/accounts/login/", timeout=10)
    response = browser.post(shop.url + "/accounts/login/", timeout=10, allow_redirects=False, data={
        "login": username, "password": "a good password",
        "csrfmiddlewaretoken": browser.cookies.get("csrftoken", ""),
    })
    return browser, response.status_code


def visit(shop: Shop, browser: requests.Session, seen: Counter) -> dict[str, int]:
    statuses = {}
    for name, path in PAGES.items():
        status = browser.get(shop.url + path, timeout=10).status_code
        statuses[name] = status
        seen[str(status)] += 1
    return statuses


def test_redis_killed_the_shop_serves_from_postgresql_and_recovers(shop, private_redis):
    report = FaultReport("Redis stopped", notes="SIGKILL of redis-server, restarted empty on the same port; "
                                                "gunicorn (1 worker x 4 threads), tantivy")
    anonymous = requests.Session()
    make_shopper("before")
    make_shopper("during")

    # Redis up: every page answers, the cache fills, a login works.
    assert set(visit(shop, anonymous, Counter()).values()) == {200}
    customer, status = log_in(shop, "before")
    assert status == 302
    assert customer.get(shop.url + "/orders/", timeout=10, allow_redirects=False).status_code == 200
    hits_before = shop.cache_hits()
    visit(shop, anonymous, Counter())
    assert shop.cache_hits() > hits_before, "pages are served from the cache while Redis runs"
    assert private_redis.keys(0) > 0

    private_redis.kill()
    fault_started = time.monotonic()

    # An editor renames a product while Redis (cache and broker) is down.
    edit_started = time.monotonic()
    edit = shop.run_python(
        "from store.models import Product\n"
        "p = Product.objects.get(slug='merino'); p.name = 'Merino Wool Outage Sweater'; p.save()\n"
    )
    assert edit.returncode == 0, edit.stderr
    edit_seconds = time.monotonic() - edit_started  # a whole process: Django's start-up included
    # The beat's periodic drain: rows to the engine, the (failed) generation bump skipped.
    drain_outbox()
    get_backend().refresh()

    slowest = 0.0
    rounds = 0
    while time.monotonic() - fault_started < 5 or rounds < 3:
        started = time.monotonic()
        statuses = visit(shop, anonymous, report.during)
        slowest = max(slowest, (time.monotonic() - started) / len(PAGES))
        assert set(statuses.values()) == {200}, (statuses, shop.log_tail())
        # Logged in before the outage: the session is read from PostgreSQL.
        orders = customer.get(shop.url + "/orders/", timeout=10, allow_redirects=False)
        report.served(orders.status_code)
        assert orders.status_code == 200
        rounds += 1
    # A login during the outage: the session is written to PostgreSQL.
    newcomer, status = log_in(shop, "during")
    report.served(status)
    assert status == 302, shop.log_tail()
    home = newcomer.get(shop.url + "/", timeout=10)
    report.served(home.status_code)
    assert "Hi, during" in home.text
    # The edit is already searchable: nothing is cached meanwhile.
    found = anonymous.get(shop.url + "/api/search", params={"q": "outage"}, timeout=10)
    report.served(found.status_code)
    assert "Merino Wool Outage Sweater" in found.text

    private_redis.start()
    restarted = time.monotonic()

    def caching_again() -> bool:
        before = shop.cache_hits()
        statuses = {anonymous.get(shop.url + "/c/clothing/", timeout=10).status_code for _ in range(2)}
        return statuses == {200} and shop.cache_hits() > before

    report.recovery_seconds = time_to_recover(caching_again, timeout=30, pause=0.2)
    assert time.monotonic() - restarted < 30
    assert set(visit(shop, anonymous, Counter()).values()) == {200}
    assert "Hi, during" in newcomer.get(shop.url + "/", timeout=10).text
    assert customer.get(shop.url + "/orders/", timeout=10, allow_redirects=False).status_code == 200

    # Nothing lost: the edit is in the index and on the (cached again) listing.
    drain_outbox()
    lost = OutboxEntry.objects.count()
    shown = anonymous.get(shop.url + "/c/clothing/", timeout=10).text
    listed = anonymous.get(shop.url + "/api/search", params={"q": "merino"}, timeout=10).text
    renamed = "Merino Wool Outage Sweater"
    report.updates_lost = lost + (renamed not in listed) + (renamed not in shown)
    report.notes += (f"; during the fault a page took {slowest * 1000:.0f} ms at most (round average); "
                     f"the editor's save took {edit_seconds:.2f} s")
    report.write()
    assert report.updates_lost == 0
    assert set(report.during) == {"200", "302"}
