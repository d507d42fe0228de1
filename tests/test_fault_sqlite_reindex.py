"""The embedded mode (SQLite + tantivy, no services): `manage.py reindex` in another shell
beside the running storefront, and a reindex killed half-way.

Everything runs as the README's embedded setup does: `manage.py` subprocesses on a SQLite
file in a temporary directory, with no PostgreSQL, Redis, broker or Elasticsearch in their
environment. The storefront is a real server process that a loop hits with searches, each
of which records analytics (SQLite writes) while the reindex reads and writes its progress.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from indexing.models import ReindexRun
from search.analytics.models import SearchEvent
from tests.faults import FaultReport, time_to_recover

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "ELASTICSEARCH_URL", "SEARCH_BACKEND",
            "SEARCH_INDEX_NAME", "CACHE_KEY_PREFIX", "DATABASE_REPLICA_URL", "DJANGO_SETTINGS_MODULE")
WORDS = ("shirt", "lamp", "shoe", "sofa", "phone", "chair", "book", "pan", "red", "blue")


@dataclass
class EmbeddedShop:
    home: Path
    env: dict
    db_path: Path
    url: str = ""
    server: subprocess.Popen | None = None
    log: Path = field(default_factory=Path)

    def manage(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True,
                              text=True, timeout=timeout)

    def start_manage(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        # A reader of our own, as short as a storefront request's.
        with sqlite3.connect(self.db_path, timeout=20) as db:
            return db.execute(sql, params).fetchall()

    def runs(self, status: str | None = None) -> list[tuple]:
        sql = f"SELECT id, status, done, error FROM {ReindexRun._meta.db_table}"
        if status:
            return self.query(sql + " WHERE status = ? ORDER BY id", (status,))
        return self.query(sql + " ORDER BY id")

    def search_events(self) -> int:
        return self.query(f"SELECT COUNT(*) FROM {SearchEvent._meta.db_table}")[0][0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen | None) -> None:
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Iterator[EmbeddedShop]:
    """The embedded setup of `make run` in a temporary directory, its storefront serving."""
    home = tmp_path_factory.mktemp("embedded")
    env = {k: v for k, v in os.environ.items() if k not in SERVICES}
    db_path = home / "db.sqlite3"
    env.update({
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"sqlite:///{db_path}",
        "VAR_DIR": str(home / "var"),
        "TANTIVY_PATH": str(home / "search"),
        "DEBUG": "0",
        "RATELIMIT_ENABLED": "0",  # one client address sends every search here
    })
    shop = EmbeddedShop(home, env, db_path)
    for args in (("migrate", "--noinput"), ("seed_catalog", "--products", "300", "--seed", "1"),
                 ("reindex", "--no-input")):
        done = shop.manage(*args)
        assert done.returncode == 0, done.stdout + done.stderr
    port = _free_port()
    shop.url = f"http://127.0.0.1:{port}"
    shop.log = home / "server.log"
    with open(shop.log, "w") as log:
        shop.server = subprocess.Popen([sys.executable, "manage.py", "runserver", "--noreload",
                                        f"127.0.0.1:{port}"], cwd=ROOT, env=env, stdout=log,
                                       stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{shop.url}/healthz", timeout=2)
                break
            except OSError:
                if shop.server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the storefront did not start:\n" + shop.log.read_text()) from None
                time.sleep(0.2)
        yield shop
    finally:
        _stop(shop.server)
        shutil.rmtree(home, ignore_errors=True)


class Shoppers:
    """Threads searching the storefront until stopped; the status of every answer."""

    def __init__(self, url: str, threads: int = 3) -> None:
        self.url = url
        self.statuses: Counter = Counter()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._shop, args=(n,)) for n in range(threads)]

    def _shop(self, n: int) -> None:
        i = 0
        while not self.stop.is_set():
            i += 1
            try:
                with urllib.request.urlopen(f"{self.url}/search?q={WORDS[(i + n) % len(WORDS)]}+{n}x{i}",
                                            timeout=30) as answer:
                    self.statuses[str(answer.status)] += 1
            except urllib.error.HTTPError as exc:
                self.statuses[str(exc.code)] += 1
            except OSError as exc:
                self.statuses[type(exc).__name__] += 1

    def __enter__(self) -> Shoppers:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(60)


def test_reindex_in_another_shell_beside_the_serving_storefront(shop):
    events_before = shop.search_events()
    report = FaultReport("SQLite reindex beside the storefront", engine="tantivy",
                         notes="embedded mode: runserver + 3 searching threads (analytics writes) while "
                               "3 `manage.py reindex --batch-size 10` run one after another")
    with Shoppers(shop.url) as shoppers:
        time.sleep(0.5)
        for _ in range(3):
            done = shop.manage("reindex", "--no-input", "--batch-size", "10")
            assert done.returncode == 0, done.stdout + done.stderr
            assert "Indexed 300 products" in done.stdout
            assert not shop.runs("running")  # none left running
        time.sleep(0.5)
    report.during.update(shoppers.statuses)
    served = shoppers.statuses["200"]
    # Every search the storefront answered was recorded (the recorder publishes every 0.5 s).
    report.recovery_seconds = time_to_recover(lambda: shop.search_events() - events_before >= served, timeout=15)
    report.updates_lost = served - (shop.search_events() - events_before)
    report.write()
    assert served > 20 and set(shoppers.statuses) == {"200"}, (shoppers.statuses, shop.log.read_text()[-3000:])
    assert report.updates_lost == 0
    assert "database is locked" not in shop.log.read_text()
    assert [status for _, status, _, _ in shop.runs()][-3:] == ["succeeded"] * 3


def test_a_killed_reindex_does_not_block_the_next_one(shop):
    report = FaultReport("SQLite reindex killed (SIGKILL)", engine="tantivy",
                         notes="embedded mode: a reindex killed mid-build; the next reindex claims at once")
    with Shoppers(shop.url, threads=2) as shoppers:
        for _attempt in range(5):  # the build is short: kill it once it has written progress
            victim = shop.start_manage("reindex", "--no-input", "--batch-size", "10")
            try:
                caught = False
                deadline = time.monotonic() + 30
                while victim.poll() is None and time.monotonic() < deadline:
                    if any(done > 0 for _, _, done, _ in shop.runs("running")):
                        victim.send_signal(signal.SIGKILL)
                        caught = True
                        break
                    time.sleep(0.005)
            finally:
                if victim.poll() is None and not caught:
                    victim.kill()
                victim.wait(10)
                assert victim.stdout is not None
                victim.stdout.close()
            if caught:
                break
        else:
            pytest.fail("the reindex always finished before it could be killed")
        killed_at = time.monotonic()
        killed = shop.runs("running")
        assert len(killed) == 1  # what the kill left behind

        outcome: dict = {}

        def next_reindex_ran() -> bool:
            outcome["run"] = shop.manage("reindex", "--no-input")
            return outcome["run"].returncode == 0

        report.recovery_seconds = time_to_recover(next_reindex_ran, timeout=60)
        since_kill = time.monotonic() - killed_at
    report.during.update(shoppers.statuses)
    report.updates_lost = 0 if "Indexed 300 products" in outcome["run"].stdout else 300
    report.write()
    assert "Indexed 300 products" in outcome["run"].stdout, outcome["run"].stdout + outcome["run"].stderr
    assert since_kill < 30  # at once, not after the 5 minutes of a silent heartbeat
    status, error, index_name = shop.query(
        f"SELECT status, error, index_name FROM {ReindexRun._meta.db_table} WHERE id = ?", (killed[0][0],))[0]
    assert status == "failed" and "is gone" in error, error
    assert index_name and not any(shop.home.glob(f"search/*/{index_name}"))  # its half-built index dropped
    assert not shop.runs("running")
    assert set(shoppers.statuses) == {"200"}, shoppers.statuses
