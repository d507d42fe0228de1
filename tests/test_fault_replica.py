"""The read replica stopped: catalog reads fall back to the primary at once, and go back to
the replica by themselves once it answers again.

Real processes: a private PostgreSQL primary and a streaming replica cloned from it with
``pg_basebackup -R`` (deploy/local/postgres.py, Debian's PostgreSQL 15 binaries), the replica
reached through a TCP proxy (tests/tcp_proxy.py) that the test cuts (port closed, live
connections killed). The router's database is read from PostgreSQL itself:
``pg_is_in_recovery()`` is true only on the standby. Both connection modes run: persistent
connections (CONN_MAX_AGE with health checks) and Django's psycopg pool."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.faults import FaultReport, time_to_recover
from tests.tcp_proxy import TcpProxy

ROOT = Path(__file__).resolve().parent.parent

pg = pytest.importorskip("deploy.local.postgres")
if not (pg.PG_BIN / "initdb").exists():
    pytest.skip(f"no PostgreSQL server binaries in {pg.PG_BIN} (set PG_BIN)", allow_module_level=True)


@pytest.fixture(scope="module")
def streaming_replica():
    """A private primary and its hot standby, for this module only."""
    root = pg.make_root(Path(tempfile.mkdtemp(prefix="replica-test-")))
    primary = pg.Cluster(root, "primary", 0, fast=True)
    replica = pg.Cluster(root, "replica", 0, fast=True)
    primary.port, replica.port = free_ports(2)
    try:
        primary.init_primary().start()
        replica.clone_from(primary).start()
        yield primary, replica
    finally:
        replica.remove()
        primary.remove()
        root.rmdir()


def free_ports(count: int) -> list[int]:
    import socket

    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


# A Django process on the shop's own settings (config.settings, from the environment as in
# production), reading through the router and ReplicaRoutingMiddleware: each line it reads on
# stdin is a number of catalog page views, and it answers where each one read (the alias and
# whether that server is a standby) and the slowest view's seconds.
SHOP_PROCESS = """
import json, sys, time
import django
django.setup()
from django.db import connections
from django.http import HttpResponse
from django.test import RequestFactory
from config.db_router import PrimaryReplicaRouter
from ops import metrics
from ops.middleware import ReplicaRoutingMiddleware
from store.models import Product

seen = []

def view(request):
    alias = PrimaryReplicaRouter().db_for_read(Product)
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        seen.append(alias + (":standby" if cursor.fetchone()[0] else ":primary"))
    return HttpResponse("ok")

middleware = ReplicaRoutingMiddleware(view)
for line in sys.stdin:
    seen.clear()
    statuses = []
    slowest = 0.0
    for _ in range(int(line)):
        started = time.monotonic()
        statuses.append(middleware(RequestFactory().get("/c/clothing/")).status_code)
        slowest = max(slowest, time.monotonic() - started)
        for connection in connections.all(initialized_only=True):
            connection.close_if_unusable_or_obsolete()  # as at the end of a request
    print(json.dumps({"statuses": statuses, "seen": seen, "slowest": slowest,
                      "fallbacks": metrics.REPLICA_ROUTED.labels("primary")._value.get()}), flush=True)
"""


class Shop:
    def __init__(self, primary_port: int, replica_port: int, pool: bool, tmp_path: Path) -> None:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "VAR_DIR": str(tmp_path),
               "DATABASE_URL": f"postgres://postgres@127.0.0.1:{primary_port}/postgres",
               "DATABASE_REPLICA_URL": f"postgres://postgres@127.0.0.1:{replica_port}/postgres",
               "DATABASE_POOL": "1" if pool else "0", "REPLICA_POOL_TIMEOUT": "1", "REPLICA_RETRY_SECONDS": "1",
               "DATABASE_CONNECT_TIMEOUT": "2", "CELERY_BROKER_URL": "", "LOG_FORMAT": "plain"}
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        self.proc = subprocess.Popen([sys.executable, "-c", SHOP_PROCESS], cwd=ROOT, env=env, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def views(self, count: int) -> dict:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(f"{count}\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, self.proc.stderr.read() if self.proc.stderr else "the shop process died"
        answer = json.loads(line)
        assert answer["statuses"] == [200] * count
        return answer

    def close(self) -> str:
        self.proc.stdin.close()
        self.proc.wait(20)
        return self.proc.stderr.read()


@pytest.mark.parametrize("pool", [False, True], ids=["persistent", "pool"])
def test_reads_fall_back_to_the_primary_while_the_replica_is_cut_and_return_after(streaming_replica, pool,
                                                                                  tmp_path):
    primary, replica = streaming_replica
    proxy = TcpProxy("127.0.0.1", replica.port).start()
    shop = Shop(primary.port, proxy.port, pool, tmp_path)
    try:
        # A real hot standby answers the catalog's reads.
        assert shop.views(3)["seen"] == ["replica:standby"] * 3

        proxy.cut()  # the replica's port closed, its live connections killed
        answer = shop.views(5)
        during = [*answer["statuses"]]
        assert answer["seen"] == ["default:primary"] * 5  # no error: the first view already read the primary
        assert answer["slowest"] < 3.0  # a refused connection (or the pool's 1 s timeout), not a hang
        assert answer["fallbacks"] == 5  # catalog_replica_routed_requests_total{database="primary"}
        answer = shop.views(5)
        during += answer["statuses"]
        assert answer["slowest"] < 0.5  # within REPLICA_RETRY_SECONDS nobody tries the replica

        proxy.restore()
        recovery = time_to_recover(lambda: shop.views(1)["seen"] == ["replica:standby"], timeout=15, pause=0.3)
        assert shop.views(3)["seen"] == ["replica:standby"] * 3
        mode = "psycopg pool" if pool else "persistent connections"
        report = FaultReport(fault=f"PostgreSQL replica cut ({mode})", recovery_seconds=recovery,
                             notes="catalog reads answered from the primary during the cut; recovery: "
                                   "from the restore to the first read on the replica again")
        for status in during:
            report.served(status)
        report.write()
    finally:
        log = shop.close()
        proxy.close()
    assert "read replica unreachable, reading the primary" in log
