"""The index follows the database through engine outages, worker outages and crashes."""

import threading
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections

from indexing.models import OutboxEntry
from indexing.sync import drain_outbox
from indexing.verify import compare
from search.backends import SearchUnavailable
from search.query.request import SearchRequest
from search.services import search_products
from store.models import Brand, Category, Product
from tests.conftest import engine_down, wait_for


def make_products(n: int) -> list[Product]:
    category = Category.objects.add_root({"name": "Kitchen", "slug": "kitchen"})
    brand = Brand.objects.create(name="Forge", slug="forge")
    return [
        Product.objects.create(name=f"Cast Iron Pan {i}", slug=f"pan-{i}", sku=f"FRG-{i}", brand=brand,
                               category=category, price=Decimal("20.00") + i, stock_quantity=5)
        for i in range(n)
    ]


@pytest.mark.django_db(transaction=True)
def test_edits_succeed_while_the_engine_is_down_and_drain_when_it_returns(search_backend, settings, worker):
    products = make_products(10)
    drain_outbox()
    with engine_down(settings):
        for i in range(100):
            p = products[i % 10]
            p.price = Decimal("50.00") + i
            p.save()  # the shopper-facing write succeeds
        Product.objects.filter(pk=products[0].pk).update(is_active=False)
        assert OutboxEntry.objects.count() >= 10
        with pytest.raises(SearchUnavailable):
            drain_outbox()
        assert OutboxEntry.objects.count() >= 10  # nothing acknowledged, nothing lost
    drain_outbox()
    search_backend.refresh()
    assert OutboxEntry.objects.count() == 0
    drift = compare(search_backend)
    assert drift.clean, drift
    assert search_backend.get_document(products[0].pk) is None
    assert search_backend.count() == 9


def test_worker_down_edits_wait_in_the_queue_and_drain_when_it_starts(worker, search_backend):
    products = make_products(20)  # published to the worker's queue while no worker runs
    assert OutboxEntry.objects.count() == 20
    worker.start()
    assert wait_for(lambda: OutboxEntry.objects.count() == 0)
    search_backend.refresh()
    assert compare(search_backend).clean
    assert search_products(SearchRequest(text="cast iron pan")).total == len(products)


@pytest.mark.django_db(transaction=True)
def test_crash_between_the_bulk_write_and_the_outbox_delete_loses_and_duplicates_nothing(search_backend, worker):
    products = make_products(15)
    # Another session holds a SHARE lock on the outbox: the drain can lock its rows
    # (ROW SHARE) and write to the engine, but its DELETE (ROW EXCLUSIVE) times out.
    blocker = connections.create_connection("default")
    blocker.connect()
    blocker.set_autocommit(False)
    with blocker.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {OutboxEntry._meta.db_table} IN SHARE MODE")
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '300ms'")
    try:
        with pytest.raises(Exception, match="lock timeout"):
            drain_outbox()
    finally:
        blocker.rollback()
        blocker.close()
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
    search_backend.refresh()
    assert search_backend.count() == 15  # the engine got the write...
    assert OutboxEntry.objects.count() == 15  # ...and the rows survived the crash
    drain_outbox()  # draining again is harmless
    search_backend.refresh()
    assert OutboxEntry.objects.count() == 0
    assert search_backend.count() == 15
    assert search_products(SearchRequest(text="cast iron pan")).total == len(products)
    assert compare(search_backend).clean


@pytest.mark.django_db(transaction=True)
def test_reindex_while_searching_never_fails_a_search(search_backend, worker):
    make_products(40)
    drain_outbox()
    search_backend.refresh()
    failures, answers = [], []
    stop = threading.Event()

    def shop() -> None:
        try:
            while not stop.is_set():
                try:
                    answers.append(search_products(SearchRequest(text="pan")).total)
                except Exception as exc:  # noqa: BLE001 - every failure is the finding
                    failures.append(exc)
        finally:
            connection.close()

    shopper = threading.Thread(target=shop)
    shopper.start()
    try:
        for _ in range(3):
            call_command("reindex", "--no-input", "--batch-size", "10")
    finally:
        stop.set()
        shopper.join()
    assert not failures, failures[:3]
    assert answers and set(answers) == {40}
    assert len(search_backend.list_indices()) == 1  # old indices dropped


@pytest.mark.django_db(transaction=True)
def test_search_verify_reports_drift_and_repairs_it(search_backend, worker, capsys):
    products = make_products(5)
    drain_outbox()
    search_backend.refresh()
    call_command("search_verify")
    assert "matches" in capsys.readouterr().out
    # Drift behind the outbox's back: an edit never recorded, a document removed.
    OutboxEntry.objects.all().delete()
    Product.objects.filter(pk=products[1].pk).update(name="Enamel Pan")
    OutboxEntry.objects.all().delete()
    search_backend.delete_documents([products[2].pk])
    search_backend.refresh()
    with pytest.raises(CommandError) as failure:
        call_command("search_verify")
    assert failure.value.returncode == 1
    out = capsys.readouterr().out
    assert "missing: 1" in out and "stale: 1" in out and "orphaned: 0" in out
    # Walking in small id ranges finds the same drift as one large range.
    assert compare(search_backend, chunk=2) == compare(search_backend, chunk=1000)
    orphan = products[3]
    Product.objects.filter(pk=orphan.pk).update(is_active=False)
    OutboxEntry.objects.all().delete()
    assert compare(search_backend, chunk=2).orphaned == [orphan.pk]
    call_command("search_verify", "--repair")
    assert "now matches" in capsys.readouterr().out
    assert search_backend.get_document(orphan.pk) is None
    assert compare(search_backend).clean
