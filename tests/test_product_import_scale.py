"""10,000 imported products all become searchable: the import writes them in one transaction
with their outbox rows, and the real Celery worker drains the outbox into the engine.

On tantivy only: the path under test (import → outbox → worker → engine) is the engine's
generic bulk write, which the behaviour and sync suites run on both engines; osmem-server is
too slow for 10,000 documents. The timing is bench/product_import.py's."""

from __future__ import annotations

import random

import pytest

from indexing.models import OutboxEntry
from search.query.request import SearchRequest
from search.services import search_products
from store.models import Brand, Category, Product, Vendor
from store.product_io import import_products, read_products_file, result_counts, result_problems
from tests.conftest import wait_for
from tests.product_files import csv_file, product_rows

COUNT = 10_000


@pytest.mark.parametrize("search_backend", ["tantivy"], indirect=True)
def test_importing_ten_thousand_products_makes_all_of_them_searchable(celery_worker, search_backend):
    Category.objects.add_root({"name": "Home", "slug": "home"})
    Brand.objects.create(name="Hearth", slug="hearth")
    vendor = Vendor.objects.create(name="Hearth & Co", slug="hearth-co")
    rows = product_rows(COUNT, brand="Hearth", category="home", vendor="hearth-co")

    result = import_products(read_products_file(csv_file(rows), "products.csv"), vendor_ids=[vendor.pk])
    assert result_problems(result) == []
    assert result_counts(result) == {"new": COUNT, "update": 0, "skip": 0, "invalid": 0}
    assert Product.objects.filter(vendor=vendor).count() == COUNT

    def indexed() -> bool:
        search_backend.refresh()
        return not OutboxEntry.objects.exists() and search_backend.count() == COUNT

    assert wait_for(indexed, timeout=180), (OutboxEntry.objects.count(), search_backend.count())
    # Every document is the product's, and a sample is found by what a shopper would type.
    ids = set(Product.objects.values_list("pk", flat=True))
    assert {pk for pk, _ in search_backend.iter_versions(min(ids), max(ids) + 1)} == ids
    for sample in random.Random(18).sample(rows, 10):
        hits = search_products(SearchRequest(text=sample["name"])).hits
        assert hits and hits[0].sku == sample["sku"], sample["name"]
