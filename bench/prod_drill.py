"""Failover drill: faults under load against `make prod-local` (`make prod-drill`).

    .venv/bin/python bench/prod_drill.py [--seconds 12] [--clients 6]

A steady load of searches, page views and checkouts (log in, add to cart, place the order, pay
with the dummy gateway) goes to nginx over TLS from ``--clients`` threads, while the drill, in
turn: kills one app replica (SIGKILL to gunicorn's master and workers), starts it again, stops
the PostgreSQL replica, starts it again, restarts the Celery worker (warm shutdown), and
restarts both app replicas one after the other (SIGTERM: gunicorn finishes its requests; the
next starts once the first answers), as a deploy would. Each step lasts ``--seconds`` (longer
if its action takes longer).

Per step it prints the requests, the failed ones (status >= 400 but for what the shop answers
by design, or no answer), how many of those were in flight when the fault struck (a request
that a killed process or a stopped database was serving: the fault's own window), and the p95
latency. It exits 1 on a failed request outside that window, on a failed write (checkout) while
the read replica is down, or if the outbox has not drained at the end (index updates lost).

If prod-local is not running, the drill starts it first and stops it afterwards.
The load generator shares the machine's cores with the shop (and, here, with other
people's work): latencies are for this machine at that moment only.
"""

from __future__ import annotations

import argparse
import datetime
import html.parser
import os
import random
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import requests  # noqa: E402
from harness import figure, machine  # noqa: E402

from deploy.local import checks, topology  # noqa: E402

DEMO_PASSWORD = "demo-customer"
SEARCH_WORDS = ["shirt", "dress", "shoes", "jacket", "coffee", "lamp", "headphones", "sweater", "tee", "bag"]


@dataclass
class Hit:
    kind: str  # search, page, checkout
    started: float
    ended: float
    ok: bool
    what: str  # status code or exception name


@dataclass
class Step:
    name: str
    action: object = None  # a callable run once the step's load has started
    fault: str = ""  # "kill", "replica": requests in flight at its instant may fail
    fault_at: float | None = None  # the fault's action ran from fault_at to fault_done
    fault_done: float | None = None
    started: float = 0.0
    ended: float = 0.0
    notes: list[str] = field(default_factory=list)


class FormFields(html.parser.HTMLParser):
    """The fields of the form whose action matches, with their values (for the checkout form)."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action, self.inside, self.fields, self._select = action, False, {}, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = (attrs.get("action") or "").rstrip("/").endswith(self.action.rstrip("/"))
        elif self.inside and tag == "input" and attrs.get("name"):
            if attrs.get("type") in ("radio", "checkbox") and "checked" not in attrs:
                self.fields.setdefault(attrs["name"], attrs.get("value", ""))
            else:
                self.fields[attrs["name"]] = attrs.get("value", "")
        elif self.inside and tag in ("select", "textarea") and attrs.get("name"):
            self._select = attrs["name"]
            self.fields.setdefault(attrs["name"], "")
        elif (self.inside and tag == "option" and self._select
              and (not self.fields[self._select] or "selected" in attrs)):
            self.fields[self._select] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag in ("select", "textarea"):
            self._select = None


ADDRESS = {"full_name": "Drill Shopper", "name": "Drill Shopper", "address_line1": "1 Failover Street",
           "line1": "1 Failover Street", "city": "Springfield", "postal_code": "12345", "phone": "+1 555 0100"}


class Shopper(threading.Thread):
    def __init__(self, number: int, load: Load) -> None:
        super().__init__(daemon=True, name=f"shopper-{number}")
        self.number, self.load = number, load
        # A logged-in buyer (checkouts), and an anonymous visitor (searches, pages): after a
        # write the buyer reads the primary for a few seconds (read your own writes), the
        # visitor reads the replica.
        self.session = checks.shop()
        self.session.headers["Referer"] = topology.HTTPS_URL + "/"
        self.visitor = checks.shop()
        self.random = random.Random(number)

    def request(self, kind: str, method: str, path: str, **kwargs) -> requests.Response | None:
        started = time.monotonic()
        client = self.session if kind == "checkout" else self.visitor
        try:
            response = client.request(method, topology.HTTPS_URL + path, timeout=30, allow_redirects=False,
                                      **kwargs)
        except requests.RequestException as error:
            self.load.record(Hit(kind, started, time.monotonic(), False, type(error).__name__))
            return None
        self.load.record(Hit(kind, started, time.monotonic(), response.status_code < 400, str(response.status_code)))
        return response if response.status_code < 400 else None

    def csrf(self) -> str:
        return self.session.cookies.get("csrftoken", domain="127.0.0.1") or self.session.cookies.get("csrftoken", "")

    def log_in(self) -> None:
        self.session.get(topology.HTTPS_URL + "/accounts/login/", timeout=30)
        username = f"customer{self.number + 1}"
        response = self.session.post(topology.HTTPS_URL + "/accounts/login/", timeout=30, allow_redirects=False, data={
            "username": username, "login": username, "password": DEMO_PASSWORD, "csrfmiddlewaretoken": self.csrf()})
        if response.status_code != 302:
            raise SystemExit(f"drill: could not log in as {username} ({response.status_code})")

    def checkout(self) -> None:
        product_id = self.random.choice(self.load.product_ids)
        if not self.request("checkout", "POST", "/cart/add/",
                            data={"product": product_id, "quantity": "1", "csrfmiddlewaretoken": self.csrf()}):
            return
        page = self.request("checkout", "GET", "/checkout/")
        if page is None:
            return
        if page.status_code == 302:  # an empty cart (a stale add): nothing to order
            return
        form = FormFields("/checkout/")
        form.feed(page.text)
        data = {name: value or ADDRESS.get(name, "") for name, value in form.fields.items()}
        data["email"] = data.get("email") or f"customer{self.number + 1}@example.com"
        data.pop("action", None)
        placed = self.request("checkout", "POST", "/checkout/", data=data)
        if placed is None:
            return
        match = re.search(r"/orders/(\d+)/pay/", placed.headers.get("Location", ""))
        if placed.status_code != 302 or not match:
            self.load.record(Hit("checkout", time.monotonic(), time.monotonic(), False, "order not placed"))
            return
        # The payment page starts the payment (the dummy gateway's pending payment), then "Pay".
        if self.request("checkout", "GET", f"/orders/{match.group(1)}/pay/") is None:
            return
        if self.request("checkout", "POST", f"/orders/{match.group(1)}/pay/dummy/",
                        data={"outcome": "pay", "csrfmiddlewaretoken": self.csrf()}):
            with self.load.lock:
                self.load.paid += 1

    def run(self) -> None:
        self.log_in()
        while not self.load.stopping.is_set():
            roll = self.random.random()
            if roll < 0.5:
                word = self.random.choice(SEARCH_WORDS)
                self.request("search", "GET", f"/search?q={word}")
            elif roll < 0.9:
                path = self.random.choice(["/", self.random.choice(self.load.category_paths),
                                           self.random.choice(self.load.product_paths)])
                self.request("page", "GET", path)
            else:
                self.checkout()


class Load:
    def __init__(self, clients: int) -> None:
        self.hits: list[Hit] = []
        self.paid = 0  # checkouts that went through to "Pay"
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        rows = topology.primary().sql(
            "SELECT p.id, p.slug, c.slug_path FROM store_product p JOIN store_category c ON c.id = p.category_id "
            "WHERE p.is_active AND p.stock_quantity > 20 ORDER BY p.id LIMIT 300", topology.DATABASE)
        if not rows:
            raise SystemExit("drill: no product with stock to buy")
        self.product_ids = [row[0] for row in rows]
        self.product_paths = [f"/p/{row[1]}/" for row in rows]
        self.category_paths = sorted({f"/c/{row[2]}/" for row in rows})
        self.shoppers = [Shopper(number, self) for number in range(clients)]

    def record(self, hit: Hit) -> None:
        with self.lock:
            self.hits.append(hit)

    def start(self) -> None:
        for shopper in self.shoppers:
            shopper.start()

    def stop(self) -> None:
        self.stopping.set()
        for shopper in self.shoppers:
            shopper.join(60)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)] if ordered else 0.0


def by_kind(hits: list[Hit]) -> dict[str, int]:
    return {kind: sum(1 for hit in hits if hit.kind == kind) for kind in ("search", "page", "checkout")}


def paid_orders() -> int:
    return int(topology.primary().sql("SELECT count(*) FROM checkout_order WHERE status = 'paid'",
                                      topology.DATABASE)[0][0])


def outbox_backlog() -> int:
    return int(topology.primary().sql("SELECT count(*) FROM indexing_outboxentry", topology.DATABASE)[0][0])


def routed_to_primary() -> float:
    return sum(checks.replica_routed(web)["primary"] for web in topology.WEB_REPLICAS
               if topology.port_open(topology.PORTS[web]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=12.0)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    started_here = not topology.running()
    if started_here:
        print("prod-local is not running: starting it", flush=True)
        topology.up()
    try:
        checks.check_all()
        return drill(args)
    finally:
        if started_here:
            topology.down()


def drill(args) -> int:
    services = topology.services()
    replica = topology.replica()
    fallback: dict[str, float] = {}

    def stop_replica():
        fallback["before"] = routed_to_primary()
        replica.stop("fast")

    def restart_replica():
        fallback["during"] = routed_to_primary() - fallback.get("before", 0)
        replica.start()

    steps = [
        Step("steady load"),
        Step("kill web1 (SIGKILL)", lambda: services["web1"].kill(), fault="kill"),
        Step("start web1 again", lambda: services["web1"].start()),
        Step("stop the PostgreSQL replica", stop_replica, fault="replica"),
        Step("start the PostgreSQL replica again", restart_replica),
        Step("restart the Celery worker", lambda: (services["worker"].stop(), services["worker"].start())),
        Step("rolling restart of web1 and web2", lambda: topology.rolling_restart(log=lambda _: None)),
        Step("steady load again"),
    ]
    load = Load(args.clients)
    backlog_before, paid_before = outbox_backlog(), paid_orders()
    load_before = f"{os.getloadavg()[0]:.1f}"
    load.start()
    time.sleep(3)  # logged in, warm
    for step in steps:
        step.started = time.monotonic()
        time.sleep(2)
        if step.action:
            step.fault_at = time.monotonic()
            step.action()
            step.fault_done = time.monotonic()
        time.sleep(max(0.0, step.started + args.seconds - time.monotonic()))
        step.ended = time.monotonic()
        print(f"  {step.name}: done", flush=True)
    load.stop()

    failed_run = False
    rows = []
    faults = [step for step in steps if step.fault and step.fault_at is not None and step.fault_done is not None]
    for step in steps:
        hits = [hit for hit in load.hits if step.started <= hit.started < step.ended]
        errors = [hit for hit in hits if not hit.ok]
        # In flight while a fault struck (this step's, or the one after it for a request that
        # started before): started before its action ended, ended after it began.
        in_window = [hit for hit in errors if any(hit.started <= fault.fault_done and hit.ended >= fault.fault_at
                                                  for fault in faults)]
        outside = [hit for hit in errors if hit not in in_window]
        if step.fault == "replica":
            writes = [hit for hit in errors if hit.kind == "checkout"]
            if writes:
                failed_run = True
            step.notes.append(f"{len(writes)} of {by_kind(hits)['checkout']} checkout requests failed; "
                              f"{fallback.get('during', 0):.0f} catalog requests read the primary instead")
            if errors:
                last_error = max(hit.ended for hit in errors) - (step.fault_at or 0)
                step.notes.append(f"last failure {last_error:.1f} s after the stop began")
        if outside:
            failed_run = True
            kinds = sorted({f"{hit.kind} {hit.what}" for hit in outside})
            step.notes.append("outside the window: " + ", ".join(kinds))
        rows.append((step.name, len(hits), by_kind(hits), len(errors), len(in_window), len(outside),
                     p95([hit.ended - hit.started for hit in hits]) * 1000, "; ".join(step.notes)))

    paid = paid_orders() - paid_before
    if paid != load.paid or not paid:
        failed_run = True  # every "Pay" the drill saw answered must be a paid order in the database
    deadline = time.monotonic() + 90
    while (backlog := outbox_backlog()) > 0 and time.monotonic() < deadline:
        time.sleep(2)
    if backlog:
        failed_run = True

    lines = [
        f"machine: {machine()}; load average before the drill {load_before}, after {os.getloadavg()[0]:.1f} "
        "(1 min; other people's work shares the 2 cores)",
        f"{args.clients} clients (each a visitor searching and browsing, and a logged-in buyer), "
        f"{args.seconds:.0f} s per step; {paid} orders placed and paid in the database "
        f"({load.paid} payments answered); "
        f"outbox {backlog_before} rows before, {backlog} after the drain",
        "",
        "The load generator, the shop and everybody else's work share the 2 cores: p95 moves with the "
        "machine's load more than with the step (compare steps within one run only, never across runs); "
        "the counts of failed requests are what the drill is for.",
        "",
        "| step | requests (search / page / checkout) | failed | of which in flight at the fault | "
        "failed outside | p95 ms | notes |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, total, kinds, errors, in_window, outside, p95_ms, notes in rows:
        lines.append(f"| {name} | {total} ({kinds['search']} / {kinds['page']} / {kinds['checkout']}) | {errors} | "
                     f"{in_window} | {outside} | {p95_ms:.0f} | {notes} |")
    lines.append(f"\n{len(load.hits)} requests in all; {'PASSED' if not failed_run else 'FAILED'}")
    print("\n" + "\n".join(lines))
    figure("failover drill: failed requests outside a fault's in-flight window",
           sum(row[5] for row in rows), "requests", target="0", met=not failed_run)
    write_section(lines)
    return 1 if failed_run else 0


def write_section(lines: list[str]) -> None:
    """This run's figures into docs/PERFORMANCE.md, replacing the last run's (`make bench` keeps
    the section: bench/run_all.py's SEPARATE)."""
    page = ROOT / "docs" / "PERFORMANCE.md"
    text = page.read_text() if page.exists() else "# Performance\n"
    section = (f"<!-- prod_drill -->\n## prod_drill\n\n`bench/prod_drill.py` (`make prod-drill`; prod-local with "
               f"{topology.PRODUCTS:,} products, osmem-server as Elasticsearch), "
               f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC\n\n" + "\n".join(lines)
               + "\n<!-- /prod_drill -->")
    pattern = re.compile(r"^<!-- prod_drill -->$.*?^<!-- /prod_drill -->$", re.M | re.S)
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
    page.write_text(text.rstrip("\n") + "\n")
    print(f"wrote the prod_drill section of {page.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
