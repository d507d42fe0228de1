"""How many requests a shopper's search costs on Elasticsearch (osmem-server: the count, never
its timings). Each request is counted as the client sends it (a spy on the client's one
request method, calling through to the server)."""

from __future__ import annotations

import pytest
from elasticsearch import Elasticsearch

from search.backends import get_backend
from search.query.request import SearchRequest
from search.services import search_products
from tests.catalog import build_catalog
from tests.conftest import engine_config, sync_index

pytestmark = pytest.mark.django_db


@pytest.fixture
def requests_sent(settings, tmp_path, request, monkeypatch):
    settings.SEARCH_ENGINE = engine_config("elasticsearch", tmp_path, request)
    backend = get_backend()
    backend.ensure_index()
    build_catalog()
    sync_index()
    sent: list[str] = []
    perform = Elasticsearch.perform_request

    def counted(self, method, path, *args, **kwargs):
        body = kwargs.get("body") or {}
        sent.append(f"{method} {path} {sorted(body.get('aggs', {}))[:3]} size={body.get('size')}")
        return perform(self, method, path, *args, **kwargs)

    monkeypatch.setattr(Elasticsearch, "perform_request", counted)
    yield sent
    for name in backend.list_indices():
        backend.drop_index(name)


def vocabulary_lookups(sent: list[str]) -> int:
    return sum("['known']" in request for request in sent)


def test_a_short_result_asks_the_vocabulary_once(requests_sent):
    # An exact product name: one product has every word, the others of its type follow. At 37d7c96
    # (bench/relevance.py's compared tree) 6 requests, 2 of them vocabulary: the known words, the
    # search and its follow-up aggregations, the type words, the search for more and its follow-up.
    # Now the type words come with the known words, in one filters aggregation: 5, 1.
    result = search_products(SearchRequest(text="studio monitor headphones"))
    assert result.all_words_total == 1 and result.total == 3
    assert (len(requests_sent), vocabulary_lookups(requests_sent)) == (5, 1), requests_sent


def test_a_zero_result_fallback_reuses_the_first_lookup(requests_sent):
    # "merino headphones": both words known, no product has both; the fallback needs the type words
    # to drop "merino" (before: a lookup of its own). The known words, the search, the search
    # without "merino" (and its follow-up).
    result = search_products(SearchRequest(text="merino headphones"))
    assert result.ignored_words == ("merino",)
    assert vocabulary_lookups(requests_sent) == 1, requests_sent
