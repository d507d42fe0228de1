"""Related products ("more like this") on the product page, from the configured engine, on
both engines: products alike in their words, in stock, never the product itself; an engine
that cannot answer leaves the section out instead of failing the page."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from search.backends import get_backend
from search.backends.elasticsearch.compiler import more_like_this_body
from search.related import like_fields, related_products
from store.models import Product
from tests.conftest import engine_down

pytestmark = pytest.mark.django_db


def related_names(product: Product) -> list[str]:
    product = Product.objects.select_related("brand", "category").get(pk=product.pk)
    return [h.name for h in related_products(product, product.category.ancestors_and_self())]


def test_more_like_this_finds_products_of_the_same_kind_in_stock(catalog):
    tees = {p.name for p in Product.objects.visible().filter(category__slug_path="clothing/tops/t-shirts",
                                                             stock_quantity__gt=0)}
    names = related_names(catalog.products["crew"])
    assert names and "Organic Cotton Crew Neck T-Shirt" not in names
    assert set(names[:3]) <= tees, names  # the other T-shirts first (the out-of-stock one never)
    assert "Graphic Print T-Shirt" not in names  # out of stock
    headphones = related_names(catalog.products["anc"])
    assert headphones[0] == "Studio Monitor Headphones", headphones  # Sport Earbuds are out of stock


def test_the_product_page_shows_them_and_survives_an_engine_outage(client, catalog, settings):
    product = catalog.products["vneck"]
    html = client.get(product.get_absolute_url()).content.decode()
    section = html.split('id="related-title"')[1].split("</section>")[0]
    assert "More like this" in html and "Organic Cotton Crew Neck T-Shirt" in section
    Product.objects.filter(pk=product.pk).update(price=product.price)  # a new stamp: not from the cache
    reads_while_down = get_backend().name == "tantivy"  # its "down" is a stuck writer: readers still read
    with engine_down(settings):
        response = client.get(product.get_absolute_url())
    assert response.status_code == 200
    assert ('id="related-title"' in response.content.decode()) == reads_while_down


def test_related_products_cost_no_query(catalog):
    product = Product.objects.select_related("brand", "category").get(pk=catalog.products["merino"].pk)
    categories = product.category.ancestors_and_self()
    with CaptureQueriesContext(connection) as queries:
        get_backend().more_like_this(product.pk, like_fields(product, categories), 4)
    assert len(queries) == 0  # the engine alone: the page's queries stay constant


def test_the_elasticsearch_body_is_the_documented_more_like_this():
    """Checked against Elasticsearch 9's documented API (the in-memory test server answers it
    too, so the behaviour tests above also run it)."""
    body = more_like_this_body(7, {"name": "Slim Tee", "brand": "", "description": "soft"}, 4)
    mlt = body["query"]["bool"]["must"][0]["more_like_this"]
    assert mlt["like"] == [{"doc": {"name": "Slim Tee", "description": "soft"}}]
    assert mlt["fields"] == ["name", "description"]
    assert {"min_term_freq", "min_doc_freq", "max_query_terms", "min_word_length"} <= set(mlt)
    assert body["query"]["bool"]["filter"] == [{"term": {"in_stock": True}},
                                               {"bool": {"must_not": [{"terms": {"id": [7]}}]}}]
    assert more_like_this_body(7, {"name": "  "}, 4) is None


@pytest.mark.parametrize("search_backend", ["tantivy"], indirect=True)  # tantivy's own assertion
def test_more_like_this_answers_after_edits_left_deleted_documents(search_backend):
    """An edit is a delete and an add: until a merge, tantivy's document frequencies count the
    deleted copy, and a term then seems to be in more documents than the index holds. Its
    BM25 panics on that (the request thread dies, no response at all) unless such terms are
    skipped."""
    from tests.catalog import build_catalog
    from tests.conftest import sync_index

    build_catalog()
    sync_index()
    product = Product.objects.get(slug="merino")
    product.name = "Merino Wool Outage Sweater"
    product.save()
    sync_index()
    answered = [related_names(p) for p in Product.objects.visible()]
    assert any(answered)  # and no panic on the way
