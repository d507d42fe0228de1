"""Elasticsearch restarted empty, an orphan index under the alias's name, a drifted mapping,
bulk rejections (429), external versions, the client's settings and the search preference.

Engine-specific (Elasticsearch's API, on osmem-server). The restart is real: the test's own
osmem-server process is killed and a new, empty one started on the same port; 429s come from
a real local HTTP proxy in front of osmem that refuses the first bulk requests.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse
from osmem_server import OsmemServer

from indexing.models import OutboxEntry, ReindexRun
from indexing.sync import drain_outbox
from indexing.verify import compare
from search.backends import SearchUnavailable, get_backend
from search.backends.elasticsearch import backend as es_backend
from search.backends.elasticsearch.client import build_client
from search.backends.elasticsearch.mapping import index_body
from search.documents import documents_for
from store.models import Product
from tests.catalog import build_catalog
from tests.conftest import ROOT, WorkerControl, engine_config, sync_index, wait_for
from tests.faults import FaultReport, time_to_recover

EDITED = 3  # products edited while the engine is empty


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OwnOsmem:
    """An osmem-server of this test's own, on a fixed port, that can be killed and restarted empty."""

    def __init__(self) -> None:
        self.port = free_port()
        self.server: OsmemServer | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        deadline = time.monotonic() + 10
        while True:
            try:
                self.server = OsmemServer.start(japanese=False, addr=f"127.0.0.1:{self.port}")
                return
            except Exception:  # the port may linger a moment after a kill
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def kill(self) -> None:
        if self.server and self.server.process.poll() is None:
            self.server.process.kill()
            self.server.process.wait(10)

    def close(self) -> None:
        self.kill()
        self.server = None


@pytest.fixture
def own_osmem() -> Iterator[OwnOsmem]:
    osmem = OwnOsmem()
    try:
        yield osmem
    finally:
        osmem.close()


def es_config(url: str, **options) -> dict:
    return {"BACKEND": "search.backends.elasticsearch", "INDEX_NAME": "products",
            "OPTIONS": {"URL": url, "PLAIN_JSON": True, "TIMEOUT": 3.0, "REPLICAS": 0, **options}}


def on_shared_osmem(osmem, tmp_path: Path) -> dict:
    """The session's osmem-server, under an index name of the test's own."""
    return engine_config("elasticsearch", tmp_path, None) | {"OPTIONS": es_config(osmem.url)["OPTIONS"]}


def concrete_names(url: str) -> list[str]:
    """The concrete indices on the engine (an alias is never a key here)."""
    return sorted(build_client(url, True, 3.0).indices.get(index="*"))


def worker_idle(worker: WorkerControl) -> bool:
    """Nothing queued for the worker, and every task it received finished."""
    with worker.app.connection_for_write() as conn:
        queued = conn.default_channel.client.llen(worker.queue)
    log = worker.log_path.read_text()
    return not queued and log.count("] received") == log.count("] succeeded") + log.count("] retry")


# --- Elasticsearch restarted empty ---------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_restarted_empty_answers_503_keeps_the_edits_and_heals_by_itself(own_osmem, settings, client, tmp_path):
    settings.SEARCH_ENGINE = es_config(own_osmem.url)
    backend = get_backend()
    backend.ensure_index()
    worker = WorkerControl(tmp_path)
    try:
        worker.start()
        catalog = build_catalog()  # indexed through the outbox, by the worker
        assert wait_for(lambda: not OutboxEntry.objects.exists())
        assert wait_for(lambda: worker_idle(worker))  # no drain left queued to heal behind our back
        backend.refresh()
        expected = Product.objects.visible().count()
        assert client.get(reverse("api-search")).json()["total"] == expected

        own_osmem.kill()
        own_osmem.start()  # the same port, nothing in it
        restarted = time.monotonic()
        report = FaultReport("Elasticsearch restarted empty", engine="elasticsearch")
        for _ in range(3):
            page = client.get(reverse("search"), {"q": "shirt"})
            api = client.get(reverse("api-search"), {"q": "shirt"})
            ready = client.get(reverse("readyz"))
            for response in (page, api):
                report.served(response.status_code)
            assert page.status_code == api.status_code == 503, (page.status_code, api.status_code)
            assert b"temporarily unavailable" in page.content
            assert "temporarily unavailable" in api.json()["error"]
            assert ready.status_code == 503 and "search" in ready.json()["failing"]

        edited = list(catalog.products.values())[:EDITED]
        with transaction.atomic():  # the worker's drain waits for the commit: this drain is ours
            for i, product in enumerate(edited):
                product.price = Decimal("500.00") + i
                product.save()
            with pytest.raises(SearchUnavailable):
                drain_outbox()
            assert OutboxEntry.objects.count() == EDITED  # the drain kept its rows
        assert concrete_names(own_osmem.url) == []  # the write auto-created nothing

        # Committed: the worker's drain finds no index and starts a reindex, which replays the outbox.
        def healed() -> bool:
            response = client.get(reverse("api-search"))
            return response.status_code == 200 and response.json()["total"] == expected

        after_commit = time_to_recover(healed, timeout=45)
        report.recovery_seconds = round(time.monotonic() - restarted, 2)  # from the empty engine's start
        assert wait_for(lambda: not OutboxEntry.objects.exists(), timeout=20)
        backend.refresh()
        lost = [p.pk for i, p in enumerate(edited)
                if (backend.get_document(p.pk) or {}).get("price") != float(Decimal("500.00") + i)]
        drift = compare(backend)
        report.updates_lost = len(lost) + len(drift.product_ids())
        run = ReindexRun.objects.get()
        report.notes = (f"the worker's drain of the {EDITED} edits found no index and started reindex run "
                        f"{run.pk} ({run.status}); searchable {after_commit} s after the edits' commit; "
                        "no index was auto-created")
        report.write()
        assert run.status == ReindexRun.Status.SUCCEEDED and run.requested_by is None
        assert drift.clean, drift
        assert not lost
        assert client.get(reverse("readyz")).status_code == 200
        assert "products" not in concrete_names(own_osmem.url)  # the alias, over its own index
    finally:
        worker.close()


# --- an orphan index under the alias's name, a drifted mapping ----------------------------------


def _orphan(backend) -> None:
    """What a write to the alias's name used to do: a concrete index of that name, dynamic mapping."""
    backend.client.index(index=backend.alias, id="1", document={"id": 1, "name": "stray"}, refresh=True)


@pytest.mark.django_db(transaction=True)
def test_an_orphan_index_under_the_alias_name_is_503_and_reindex_replaces_it(osmem, settings, client, tmp_path,
                                                                            capsys):
    settings.SEARCH_ENGINE = on_shared_osmem(osmem, tmp_path)
    backend = get_backend()
    build_catalog()  # no index yet: the outbox holds the catalog
    _orphan(backend)
    try:
        # A query the orphan's dynamic mapping cannot answer (no sort field) used to be a 500;
        # one it can answer answers from what is there (nothing): never a 500.
        assert client.get(reverse("search"), {"sort": "price_asc"}).status_code == 503
        assert client.get(reverse("api-search"), {"sort": "price_asc"}).status_code == 503
        assert client.get(reverse("search"), {"q": "shirt"}).status_code in (200, 503)
        assert client.get(reverse("readyz")).status_code == 503
        rows = OutboxEntry.objects.count()
        with pytest.raises(SearchUnavailable):
            drain_outbox()  # require_alias: the orphan takes no write
        assert OutboxEntry.objects.count() == rows
        with pytest.raises(CommandError) as failure:
            call_command("search_verify")
        assert failure.value.returncode == 1 and "mapping: differs" in capsys.readouterr().out

        call_command("reindex", "--no-input")  # used to fail with invalid_alias_name_exception
        backend.refresh()
        assert backend.current_index() and backend.current_index() != backend.alias
        assert backend.alias not in concrete_names(osmem.url)
        assert compare(backend).clean
        assert client.get(reverse("api-search")).json()["total"] == Product.objects.visible().count()
    finally:
        for name in [*backend.list_indices(), backend.alias]:
            backend.drop_index(name)


@pytest.mark.django_db(transaction=True)
def test_search_verify_reports_a_drifted_mapping_and_repair_reindexes(osmem, settings, client, tmp_path, capsys):
    settings.SEARCH_ENGINE = on_shared_osmem(osmem, tmp_path)
    backend = get_backend()
    # An index of another mapping under the alias: name a keyword (no word search), no "vendor" field.
    body = index_body()
    body["mappings"]["properties"]["name"] = {"type": "keyword"}
    del body["mappings"]["properties"]["vendor"]
    body["mappings"]["dynamic"] = True
    wrong = f"{backend.alias}_wrong"
    backend.client.indices.create(index=wrong, body=body)
    backend.switch(wrong)
    try:
        build_catalog()
        sync_index()  # the documents go in (the dynamic mapping adds vendor): drift is not in the ids
        differences = compare(backend).definition
        assert any("'name'" in d for d in differences) and any("dynamic" in d for d in differences)
        with pytest.raises(CommandError) as failure:
            call_command("search_verify")
        assert failure.value.returncode == 1
        assert "mapping: differs" in capsys.readouterr().out
        call_command("search_verify", "--repair")
        assert "now matches" in capsys.readouterr().out
        assert backend.current_index() != wrong and wrong not in backend.list_indices()
        assert compare(backend).clean and backend.definition_drift() == []
        call_command("search_verify")
        assert "mapping: matches" in capsys.readouterr().out
    finally:
        for name in backend.list_indices():
            backend.drop_index(name)


# --- external versions ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_older_version_never_overwrites_a_newer_document(osmem, settings, tmp_path):
    settings.SEARCH_ENGINE = on_shared_osmem(osmem, tmp_path)
    backend = get_backend()
    backend.ensure_index()
    try:
        product = build_catalog().products["crew"]
        (current,), _ = documents_for({product.pk})
        older = {**current, "name": "An older name", "version": current["version"] - 1_000_000}
        assert backend.index_documents([current]) == []
        assert backend.index_documents([older]) == []  # its 409 is success: nothing left to write
        assert backend.get_document(product.pk)["name"] == current["name"]
        # The same version (a brand rename rebuilds the document, the row's stamp unchanged) is written.
        same = {**current, "name": "Renamed brand's shirt"}
        assert backend.index_documents([same]) == []
        assert backend.get_document(product.pk)["name"] == "Renamed brand's shirt"
        # A deletion keeps the version it removed: the same version may come back (a repair), an older not.
        backend.delete_documents([product.pk])
        assert backend.index_documents([older]) == [] and backend.get_document(product.pk) is None
        assert backend.index_documents([current]) == [] and backend.get_document(product.pk) is not None
    finally:
        for name in backend.list_indices():
            backend.drop_index(name)


# --- 429: a real proxy that refuses bulk writes ----------------------------------------------------


class RefusingProxy:
    """A local HTTP server in front of osmem: answers 429 to the first ``refuse`` bulk requests
    (the whole request, or ``per_item``: each action refused, as a node with a full write queue
    does), forwards the rest; records the requests it saw."""

    def __init__(self, upstream: str, refuse: int = 0, per_item: bool = False) -> None:
        self.upstream, self.refuse, self.per_item = upstream, refuse, per_item
        self.refused = 0
        self.seen: list[tuple[str, str, str]] = []  # (method, path, authorization)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _handle(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                proxy.seen.append((self.command, self.path, self.headers.get("Authorization", "")))
                if "_bulk" in self.path and proxy.refused < proxy.refuse:
                    proxy.refused += 1
                    self._refuse(body)
                    return
                request = urllib.request.Request(proxy.upstream + self.path, data=body or None, method=self.command,
                                                 headers={"Content-Type": self.headers.get("Content-Type",
                                                                                           "application/json")})
                try:
                    with urllib.request.urlopen(request, timeout=10) as response:
                        status, payload, product = response.status, response.read(), response.headers
                except urllib.error.HTTPError as exc:
                    status, payload, product = exc.code, exc.read(), exc.headers
                self._answer(status, payload, product.get("X-Elastic-Product", ""))

            def _refuse(self, body: bytes) -> None:
                if not proxy.per_item:
                    self._answer(429, json.dumps({"error": {"type": "es_rejected_execution_exception",
                                                            "reason": "rejected execution"}, "status": 429}).encode())
                    return
                lines = [json.loads(line) for line in body.splitlines() if line.strip()]
                items = [{op: {"_id": meta.get("_id"), "status": 429,
                               "error": {"type": "es_rejected_execution_exception", "reason": "queue full"}}}
                         for entry in lines for op, meta in entry.items()
                         if op in ("index", "delete", "create", "update")]
                self._answer(200, json.dumps({"took": 1, "errors": True, "items": items}).encode())

            def _answer(self, status: int, payload: bytes, product: str = "Elasticsearch") -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                if product:  # the client checks it is talking to Elasticsearch
                    self.send_header("X-Elastic-Product", product)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> RefusingProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@contextmanager
def proxied_engine(settings, upstream: str, tmp_path: Path, **proxy_options) -> Iterator[RefusingProxy]:
    with RefusingProxy(upstream, **proxy_options) as proxy:
        name = f"products_{os.getpid()}_{proxy.httpd.server_address[1]}"
        settings.SEARCH_ENGINE = {**es_config(proxy.url, API_KEY="c2VjcmV0LWtleQ=="), "INDEX_NAME": name}
        backend = get_backend()
        try:
            yield proxy
        finally:
            for index in backend.list_indices():
                backend.drop_index(index)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("per_item", [False, True], ids=["request-429", "item-429"])
def test_bulk_rejections_are_retried_with_back_off_in_the_drain_and_the_reindex(osmem, settings, tmp_path,
                                                                               monkeypatch, per_item):
    monkeypatch.setattr(es_backend, "BULK_BACKOFF_SECONDS", 0.05)
    with proxied_engine(settings, osmem.url, tmp_path, refuse=2, per_item=per_item) as proxy:
        backend = get_backend()
        backend.ensure_index()
        build_catalog()
        started = time.monotonic()
        assert drain_outbox() == Product.objects.count()  # refused twice, then written
        assert proxy.refused == 2 and time.monotonic() - started >= 0.05 + 0.1  # two back-offs
        assert not OutboxEntry.objects.exists()
        proxy.refused = 0
        call_command("reindex", "--no-input", "--batch-size", "10")  # the load retries too
        assert proxy.refused == 2
        backend.refresh()
        assert compare(backend).clean
        # The API key went on the wire.
        assert {auth for _, _, auth in proxy.seen} == {"ApiKey c2VjcmV0LWtleQ=="}
        # Refused beyond the retries: the drain keeps its rows.
        proxy.refused, proxy.refuse = 0, 100
        Product.objects.filter(pk=Product.objects.first().pk).update(price=Decimal("9.99"))
        with pytest.raises(SearchUnavailable):
            drain_outbox()
        assert proxy.refused == es_backend.BULK_RETRIES + 1
        assert OutboxEntry.objects.count() == 1


# --- the client's settings, and the shopper's preference ------------------------------------


def test_ca_certificates_api_key_and_several_hosts_reach_the_client(osmem):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "SEARCH_BACKEND": "",
           "ELASTICSEARCH_URL": "https://es1.example:9200, https://es2.example:9243",
           "ELASTICSEARCH_CA_CERTS": "/etc/ssl/certs/ca-certificates.crt", "ELASTICSEARCH_API_KEY": "a2V5OnNlY3JldA=="}
    script = ("import django, json; django.setup(); from django.conf import settings; "
              "print(json.dumps(settings.SEARCH_ENGINE['OPTIONS']))")
    options = json.loads(subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True,
                                        text=True, check=True).stdout)
    assert options["CA_CERTS"] == "/etc/ssl/certs/ca-certificates.crt"
    assert options["API_KEY"] == "a2V5OnNlY3JldA=="
    client = build_client(options["URL"], ca_certs=options["CA_CERTS"], api_key=options["API_KEY"])
    nodes = sorted(client.transport.node_pool.all(), key=lambda node: node.config.host)
    assert [(n.config.scheme, n.config.host, n.config.port) for n in nodes] == [
        ("https", "es1.example", 9200), ("https", "es2.example", 9243)]
    assert {n.config.ca_certs for n in nodes} == {options["CA_CERTS"]}
    assert client._headers["authorization"] == "ApiKey a2V5OnNlY3JldA=="
    # A dead node among the hosts: every request still answers, from the live one.
    failover = build_client(f"http://127.0.0.1:{free_port()},{osmem.url}", True, 2.0)
    for _ in range(4):
        assert failover.info()["version"]


@pytest.mark.django_db
def test_a_shopper_pages_with_one_preference_and_shoppers_share_the_cached_results(osmem, settings, tmp_path):
    from django.test import Client

    with proxied_engine(settings, osmem.url, tmp_path) as proxy:
        get_backend().ensure_index()
        build_catalog()
        sync_index()

        def preferences(seen: list) -> list[str]:
            return [path.split("preference=", 1)[1].split("&")[0] for _, path, _ in seen
                    if "_search" in path and "preference=" in path]

        shopper, other = Client(), Client()
        shopper.get(reverse("search"), {"q": "zzzz-warmup"})  # the first page sets the CSRF cookie
        del proxy.seen[:]
        for page in (4, 5):  # beyond the cached pages: each one asks the engine
            assert shopper.get(reverse("search"), {"q": "shirt", "page": page}).status_code in (200, 400)
        mine = preferences(proxy.seen)
        assert len(mine) >= 2 and len(set(mine)) == 1 and not mine[0].startswith("_")
        del proxy.seen[:]
        other.get(reverse("search"), {"q": "zzzz-warmup"})
        other.get(reverse("search"), {"q": "shirt", "page": 4})
        assert preferences(proxy.seen) and set(preferences(proxy.seen)) != set(mine)
        # The first page of a query is cached for everyone, whatever their preference.
        shopper.get(reverse("search"), {"q": "sweater"})
        del proxy.seen[:]
        assert other.get(reverse("search"), {"q": "sweater"}).status_code == 200
        assert not [path for _, path, _ in proxy.seen if "_search" in path]
