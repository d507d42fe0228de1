"""An engine that answers but lost its index (Elasticsearch restarted empty, tantivy's index
directory deleted) serves 503s, never 500s, until the beat's drain notices and reindexes: no
person acts. Engine-neutral: the index is lost through the SearchBackend interface."""

from __future__ import annotations

import pytest
from django.urls import reverse

from indexing.models import OutboxEntry, ReindexRun
from indexing.tasks import drain_outbox
from indexing.verify import compare
from store.models import Product
from tests.catalog import build_catalog
from tests.conftest import sync_index, wait_for
from tests.faults import FaultReport, time_to_recover


@pytest.mark.django_db(transaction=True)
def test_a_lost_index_is_503_until_the_beat_drain_reindexes_by_itself(search_backend, worker, client):
    build_catalog()
    sync_index()
    expected = Product.objects.visible().count()
    with worker.app.connection_for_write() as conn:  # the catalog's drains: done above, by this process
        conn.default_channel.client.delete(worker.queue)

    for name in search_backend.list_indices():
        search_backend.drop_index(name)
    report = FaultReport("search index lost", engine=search_backend.name)
    for _ in range(3):
        for response in (client.get(reverse("search"), {"q": "shirt"}), client.get(reverse("api-search"))):
            report.served(response.status_code)
            assert response.status_code == 503
        ready = client.get(reverse("readyz"))
        assert ready.status_code == 503 and "search" in ready.json()["failing"]

    worker.start()
    drain_outbox.delay()  # what the beat sends every 30 s: an idle drain

    def healed() -> bool:
        response = client.get(reverse("api-search"))
        # While the reindex builds: 503, never an empty shop (no empty index is put in place first).
        assert response.status_code == 503 or response.json()["total"] == expected, response.content
        return response.status_code == 200

    report.recovery_seconds = time_to_recover(healed, timeout=45)
    search_backend.refresh()
    drift = compare(search_backend)
    report.updates_lost = len(drift.product_ids())
    report.notes = "recovery counted from the beat's idle drain; a worker reindex rebuilt the index"
    report.write()
    assert drift.clean, drift
    assert ReindexRun.objects.get().status == ReindexRun.Status.SUCCEEDED
    assert wait_for(lambda: not OutboxEntry.objects.exists())
    assert client.get(reverse("readyz")).status_code == 200


@pytest.mark.django_db
def test_a_reindex_puts_no_empty_index_in_place_before_its_own_is_built(search_backend, client):
    """The engine check before a build creates nothing: while the new index loads, shoppers get
    503 (come back soon), not an empty shop."""
    from indexing.reindex import check_engine

    for name in search_backend.list_indices():
        search_backend.drop_index(name)
    assert check_engine() is search_backend
    assert search_backend.has_index() is False
    assert client.get(reverse("api-search"), {"q": "shirt"}).status_code == 503



@pytest.mark.parametrize("search_backend", ["tantivy"], indirect=True)  # Elasticsearch: definition_drift
@pytest.mark.django_db(transaction=True)
def test_a_tantivy_index_of_another_schema_is_503_and_healed_not_a_500(search_backend, worker, client):
    """A deploy that changed the fields finds the old release's index in place: searches and the
    product page's related products must not crash on it, and the drain rebuilds it."""
    import tantivy

    from search.backends import get_backend

    build_catalog()
    sync_index()
    with worker.app.connection_for_write() as conn:  # the catalog's drains: done above, by this process
        conn.default_channel.client.delete(worker.queue)
    path = search_backend.root / search_backend.current_index()
    for child in path.iterdir():
        child.unlink()
    old_schema = tantivy.SchemaBuilder().add_text_field("title", stored=True).build()
    tantivy.Index(old_schema, path=str(path)).writer(15_000_000, 1).commit()
    search_backend._open.clear()  # as a freshly started process finds it

    assert get_backend().has_index() is False
    assert client.get(reverse("search"), {"q": "shirt"}).status_code == 503
    assert client.get(reverse("api-search"), {"q": "shirt"}).status_code == 503
    product = Product.objects.visible().first()
    assert client.get(product.get_absolute_url()).status_code == 200  # no related products, no 500

    worker.start()
    drain_outbox.delay()  # what the beat sends every 30 s
    assert wait_for(lambda: client.get(reverse("api-search"), {"q": "shirt"}).status_code == 200, timeout=60)
    assert ReindexRun.objects.get().status == ReindexRun.Status.SUCCEEDED
