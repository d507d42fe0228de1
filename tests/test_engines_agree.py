"""Both engines, fed the same catalog, answer the same requests the same way:
same hit set, same order under every field sort, same facet counts, and the
same product first for relevance."""

from decimal import Decimal

import pytest
from django.test import override_settings

from search.backends import get_backend
from search.query.request import SearchRequest
from search.services import search_products
from tests.catalog import build_catalog
from tests.conftest import ENGINES, engine_config, sync_index

pytestmark = pytest.mark.django_db

REQUESTS = [
    SearchRequest(),
    SearchRequest(text="t-shirt"),
    SearchRequest(text="headphnes"),
    SearchRequest(text="silver"),  # only a colour: the attribute text
    SearchRequest(text="sweater", selected={"availability": True}),
    SearchRequest(category="clothing", selected={"brand": ("acme", "zephyr")}),
    SearchRequest(category="clothing/tops", selected={"attributes": (("color", ("Black", "White")),), "rating": 4}),
    SearchRequest(selected={"price": (Decimal("20"), Decimal("150"))}, sort="price_desc"),
    *[SearchRequest(sort=sort) for sort in ("price_asc", "price_desc", "newest", "rating", "bestselling")],
    SearchRequest(text="shirt", sort="price_asc", page=2, page_size=2),
    SearchRequest(text="wire noi", autocomplete=True),
]


def facet_counts(result) -> dict:
    return {(f.name, v.value): (v.count, v.selected) for f in result.facets for v in f.values}


@pytest.fixture
def both_engines(request, settings, tmp_path, osmem):
    configs = {name: engine_config(name, tmp_path, request) for name in ENGINES}
    build_catalog()
    outbox_rows = None
    for config in configs.values():
        with override_settings(SEARCH_ENGINE=config):
            get_backend().ensure_index()
            if outbox_rows is None:
                from indexing.models import OutboxEntry

                outbox_rows = list(OutboxEntry.objects.values_list("product_id", flat=True))
            else:  # the first drain emptied the outbox: queue the same changes again
                from indexing.outbox import record_changes

                record_changes(outbox_rows)
            sync_index()
    yield configs
    for config in configs.values():
        with override_settings(SEARCH_ENGINE=config):
            for index in get_backend().list_indices():
                get_backend().drop_index(index)


@pytest.mark.parametrize("request_", REQUESTS, ids=lambda r: repr({k: v for k, v in r.__dict__.items() if v}))
def test_the_two_engines_give_the_same_answers(both_engines, request_):
    answers = {}
    for name, config in both_engines.items():
        with override_settings(SEARCH_ENGINE=config):
            answers[name] = search_products(request_)
    tantivy, elastic = answers["tantivy"], answers["elasticsearch"]
    assert tantivy.total == elastic.total
    assert {h.id for h in tantivy.hits} == {h.id for h in elastic.hits}
    if request_.sort != "relevance" or not request_.text or request_.autocomplete:
        assert [h.id for h in tantivy.hits] == [h.id for h in elastic.hits]
    elif tantivy.hits:
        assert tantivy.hits[0].id == elastic.hits[0].id
    assert facet_counts(tantivy) == facet_counts(elastic)
    assert tantivy.suggestion == elastic.suggestion
