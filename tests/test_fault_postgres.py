"""PostgreSQL cut: pages that need it answer a friendly 503 with Retry-After, never a 500,
the others keep answering, and everything recovers by itself when it is back.

The fault is real and private to this test: a TCP proxy (tests/tcp_proxy.py) on a free port
in front of the shared PostgreSQL is cut (its port closed, its live connections killed),
then restored. The shop runs as in production: gunicorn (deploy/gunicorn.conf.py, 2 workers
x 2 threads, persistent connections) on a free port, on a database of its own
(``catalog_f4_live``, migrated and seeded through the proxy) and the embedded tantivy
engine in a temporary directory, without a broker (index updates in-process)."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import psycopg
import pytest
import requests
from django.contrib.sessions.backends.cache import SessionStore
from django.db import OperationalError
from django.test import RequestFactory

from ops.db_outage import RETRY_AFTER_SECONDS, DatabaseOutageMiddleware
from tests.faults import FaultReport, time_to_recover
from tests.tcp_proxy import TcpProxy

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = ("127.0.0.1", 5432)
DATABASE = "catalog_f4_live"
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/7")
OUTAGE_SECONDS = 10
FRIENDLY = "This page is taking a short break"
# What each page answers while the database is down, for a visitor without a session (the
# category menu, home tiles and listings come from Redis and tantivy; no cart to read)...
NEEDS_DATABASE = ("category", "product")
WITHOUT_DATABASE = ("home", "search", "api", "cart")
# ...and for a shopper with a cart: the cart and the header's cart count read the database.
SHOPPER_PAGES = ("home", "cart")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def admin_sql(statement: str) -> None:
    with psycopg.connect(host=POSTGRES[0], port=POSTGRES[1], user="postgres", dbname="postgres",
                         autocommit=True) as conn:
        conn.execute(statement)


class Storefront:
    """gunicorn serving the shop on ``DATABASE`` through ``proxy``."""

    def __init__(self, tmp_path: Path, proxy: TcpProxy) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp_path / "gunicorn.log"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "false",
            "SECRET_KEY": "fault-test-" + uuid.uuid4().hex,
            "LOG_FORMAT": "plain",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{proxy.port}/{DATABASE}",
            "REDIS_URL": REDIS_URL,
            "CELERY_BROKER_URL": "",  # eager: index updates in-process
            "CACHE_KEY_PREFIX": "f4-live-" + uuid.uuid4().hex[:8],
            "TANTIVY_PATH": str(tmp_path / "search"),
            "VAR_DIR": str(tmp_path / "var"),
            "RATELIMIT_ENABLED": "false",
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": "2",
            "GUNICORN_THREADS": "2",
            "GUNICORN_TIMEOUT": "30",
        }
        self.env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        self.proc: subprocess.Popen | None = None

    def manage(self, *args: str) -> None:
        subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, check=True,
                       capture_output=True, timeout=120)

    def start(self) -> None:
        log = open(self.log_path, "w")  # noqa: SIM115 - the child process owns it
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "deploy/gunicorn.conf.py", "config.wsgi:application"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(requests.RequestException):
                if requests.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start:\n" + self.log()[-3000:])
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # the master stops its workers
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def storefront(tmp_path):
    """The shop on its own seeded database behind a proxy; everything dropped afterwards."""
    admin_sql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    admin_sql(f"CREATE DATABASE {DATABASE}")
    proxy = TcpProxy(*POSTGRES).start()
    shop = Storefront(tmp_path, proxy)
    try:
        shop.manage("migrate", "--noinput")
        shop.manage("seed_catalog", "--products", "200", "--seed", "1")
        shop.manage("reindex", "--no-input")
        shop.start()
        yield shop, proxy
    finally:
        shop.stop()
        proxy.close()
        admin_sql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


def catalog_pages(shop: Storefront) -> tuple[dict[str, str], requests.Session, int]:
    """One URL of each kind, and a shopper with one unit in the cart (its session in Redis)."""
    with psycopg.connect(host=POSTGRES[0], port=POSTGRES[1], user="postgres", dbname=DATABASE) as conn:
        slug_path, product_id, slug, word = conn.execute(
            "SELECT c.slug_path, p.id, p.slug, split_part(p.name, ' ', 1) FROM store_product p "
            "JOIN store_category c ON c.id = p.category_id "
            "WHERE p.is_active AND p.stock_quantity > 5 AND p.currency = 'USD' ORDER BY p.id LIMIT 1").fetchone()
    pages = {
        "home": "/",
        "search": f"/search?q={word}",
        "category": f"/c/{slug_path}/",
        "product": f"/p/{slug}/",
        "cart": "/cart/",
        "api": f"/api/search?q={word}",
    }
    shopper = requests.Session()
    shopper.get(shop.url + pages["product"], timeout=10)  # the CSRF cookie
    return pages, shopper, product_id


def add_to_cart(shop: Storefront, shopper: requests.Session, product_id: int) -> int:
    response = shopper.post(shop.url + "/cart/add/", data={
        "product": product_id, "quantity": "1", "csrfmiddlewaretoken": shopper.cookies["csrftoken"],
    }, headers={"Referer": shop.url + "/"}, allow_redirects=False, timeout=15)
    return response.status_code


def cart_units(shop: Storefront, shopper: requests.Session) -> int:
    page = shopper.get(shop.url + "/cart/", timeout=15)
    assert page.status_code == 200
    return int(re.search(r"data-cart-count>(\d+)<", page.text).group(1))


def test_postgresql_cut_pages_answer_503_or_200_never_500_and_recover(storefront):
    shop, proxy = storefront
    pages, shopper, product_id = catalog_pages(shop)
    visitor = requests.Session()  # no session: no cart, not logged in
    # (who, page): the visitor sees every page, the shopper with a cart the home page and the cart.
    visits = [("visitor", name) for name in pages] + [("shopper", name) for name in SHOPPER_PAGES]
    acknowledged = 0

    def get(who: str, name: str) -> requests.Response:
        client = shopper if who == "shopper" else visitor
        return client.get(shop.url + pages[name], timeout=15, allow_redirects=False)

    # Proxy up: every page answers, the caches (menu, home tiles, listings) are warm.
    assert add_to_cart(shop, shopper, product_id) == 302
    acknowledged += 1
    for who, name in visits:
        assert get(who, name).status_code == 200, (who, name)

    report = FaultReport(fault="PostgreSQL cut", engine="tantivy",
                         notes=f"{OUTAGE_SECONDS} s cut of a TCP proxy in front of PostgreSQL (port closed, live "
                               "connections killed); gunicorn 2 workers x 2 threads, CONN_MAX_AGE 60")
    by_page: dict[tuple[str, str], Counter] = {visit: Counter() for visit in visits}
    refused_adds = 0
    proxy.cut()
    try:
        cut_at = time.monotonic()
        while time.monotonic() - cut_at < OUTAGE_SECONDS:
            for who, name in visits:
                response = get(who, name)
                by_page[who, name][response.status_code] += 1
                report.served(response.status_code)
                if response.status_code == 503:
                    assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS), name
                    if name == "api":
                        assert response.json()["retry_after"] == RETRY_AFTER_SECONDS
                    else:
                        assert FRIENDLY in response.text, name
            status = add_to_cart(shop, shopper, product_id)  # a write during the outage: refused, said so
            report.served(status)
            assert status in (302, 503), status
            if status == 302:
                acknowledged += 1
            else:
                refused_adds += 1
    finally:
        proxy.restore()

    def every_page_answers() -> bool:
        return all(get(who, name).status_code == 200 for who, name in visits)

    report.recovery_seconds = time_to_recover(every_page_answers, timeout=30)
    assert add_to_cart(shop, shopper, product_id) == 302  # writes work again
    acknowledged += 1

    # A short cut while nobody asks: every thread's persistent connection dies unnoticed, and
    # is tested before its next use (CONN_HEALTH_CHECKS), so no shopper meets the dead one.
    for _ in range(5):
        for who, name in visits:
            assert get(who, name).status_code == 200
    proxy.cut()
    time.sleep(1)
    proxy.restore()
    after_quiet_cut = Counter(get(who, name).status_code for _ in range(5) for who, name in visits)
    assert after_quiet_cut == {200: 5 * len(visits)}, after_quiet_cut
    report.updates_lost = acknowledged - cart_units(shop, shopper)
    report.notes += "; by page: " + ", ".join(f"{who} {name} {dict(mix)}" for (who, name), mix in by_page.items())
    report.notes += f"; {refused_adds} cart adds refused with 503 during the cut"
    report.write()  # written again below with the log counts, if the checks get that far

    assert 500 not in report.during and "500" not in report.during, by_page
    assert set(report.during) <= {"200", "302", "503"}, by_page
    for name in NEEDS_DATABASE:
        assert set(by_page["visitor", name]) == {503}, (name, by_page["visitor", name])
    for name in WITHOUT_DATABASE:
        assert set(by_page["visitor", name]) == {200}, (name, by_page["visitor", name])
    for name in SHOPPER_PAGES:
        assert set(by_page["shopper", name]) == {503}, (name, by_page["shopper", name])
    assert refused_adds > 0 and report.updates_lost == 0

    log = shop.log()
    assert "Internal Server Error" not in log and "django.request" not in log, log[-3000:]
    # Once per outage per worker process (gunicorn recycles a worker after ~1000 requests: the
    # new one logs it too), not once per request; and its end.
    workers = log.count("Booting worker")
    outages = log.count("Database unavailable")
    assert 1 <= outages <= workers < 10, (outages, workers)
    assert "Database reachable again" in log
    report.notes += f"; logged {outages} times by {workers} worker processes"
    report.write()


@pytest.fixture
def closed_port_error() -> OperationalError:
    """The error Django raises when PostgreSQL refuses the connection (a real refusal)."""
    try:
        psycopg.connect(host="127.0.0.1", port=free_port(), user="postgres", connect_timeout=2)
    except psycopg.OperationalError as exc:
        return OperationalError(*exc.args)
    raise AssertionError("a closed port accepted a connection")


def test_a_session_changed_before_the_database_failed_is_not_saved_to_it(closed_port_error):
    """SessionMiddleware saves a changed session on any answer but a 500: after a database
    error the 503 must not make it write to the database that just failed (a 500 again)."""
    request = RequestFactory().get("/cart/")
    request.session = SessionStore()
    request.session["checkout_cart_id"] = 1  # changed by the view before its query failed
    response = DatabaseOutageMiddleware(lambda request: None).process_exception(request, closed_port_error)
    assert response.status_code == 503 and response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert FRIENDLY in response.content.decode()
    assert not request.session.modified
