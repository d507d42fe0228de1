"""The tantivy engine's shortcuts give what the long way gives: typo-tolerant words and SKU
prefixes expanded into the index's own terms (search/backends/tantivy/terms.py) match what
tantivy's own fuzzy and prefix queries match, kept in step with every commit; facet
aggregations hosted in another group's run (search/backends/tantivy/hosting.py) count what
their own run counts; the business signals re-ranked over the best text matches
(search/backends/tantivy/rerank.py) order them as scoring every match would."""

from decimal import Decimal

import pytest
import tantivy

from search.backends.tantivy import backend as tantivy_backend_module
from search.backends.tantivy import terms as tantivy_terms
from search.backends.tantivy.compiler import any_term
from search.query.request import SearchRequest
from search.query.text import fuzziness
from search.results import assemble_result
from search.services import search_products
from store.models import Product
from tests.catalog import build_catalog
from tests.conftest import sync_index

pytestmark = pytest.mark.django_db

Q = tantivy.Query


@pytest.fixture
def indexed(tantivy_backend):
    catalog = build_catalog()
    sync_index()
    return catalog


def matching_ids(backend, query) -> set[int]:
    index, _ = backend._open_index()
    searcher = index.searcher()
    hits = searcher.search(query, 1000).hits
    return set(searcher.fast_field_values("id", [address for _, address in hits]))


@pytest.mark.parametrize("word", ["headphnes", "sweter", "merino", "shoos", "wirless", "cofee", "sonx", "acme", "tee"])
@pytest.mark.parametrize("field", ["name_words", "brand_words"])
def test_expanded_words_match_what_tantivys_fuzzy_query_matches(indexed, tantivy_backend, word, field):
    schema = tantivy_backend.schema
    _, terms = tantivy_backend._open_index()
    distance = fuzziness(word)  # typos are counted on the words as written: the typo fields hold them
    fuzzy = Q.fuzzy_term_query(schema, field, word, distance=distance)
    near = terms.fuzzy(field, word, distance)
    expanded = any_term(schema, field, near) if near else Q.empty_query()
    assert matching_ids(tantivy_backend, expanded) == matching_ids(tantivy_backend, fuzzy)


def test_a_word_added_after_the_first_searches_is_found_misspelt(indexed, tantivy_backend):
    assert search_products(SearchRequest(text="zefyrine")).total == 0  # the expander has seen the index
    product = Product.objects.get(pk=indexed.products["merino"].pk)
    product.name = "Zephyrine Merino Wool Sweater"
    product.save()
    sync_index()
    result = search_products(SearchRequest(text="zefyrine"))
    assert [h.id for h in result.hits] == [product.pk]


def test_a_sku_prefix_shared_by_many_skus_is_still_found(indexed, tantivy_backend, monkeypatch):
    # Past MAX_SKU_TERMS the prefix stays one automaton query rather than a set of terms.
    monkeypatch.setattr(tantivy_terms, "MAX_SKU_TERMS", 0)
    result = search_products(SearchRequest(text="snx-ph"))
    assert result.hits and result.hits[0].id == indexed.products["phone"].pk
    _, terms = tantivy_backend._open_index()
    assert terms.sku_prefix("snx-ph") is None
    assert terms.sku_prefix("no-such-sku") == ()


@pytest.mark.parametrize("request_", [
    SearchRequest(category="clothing", selected={"brand": ("acme", "zephyr")}),
    SearchRequest(category="clothing", selected={"brand": ("acme",), "availability": True, "rating": 3}),
    SearchRequest(category="clothing/tops", selected={"brand": ("acme", "nordic"), "price": (None, Decimal("90"))}),
    SearchRequest(text="shirt", category="clothing/tops", selected={"attributes": (("color", ("Black",)),)}),
    SearchRequest(text="shirt", category="clothing/tops",
                  selected={"attributes": (("color", ("Black", "White")),), "brand": ("acme", "zephyr")}),
    # A deep category alone hosts nothing any more: its ancestors are counted directly (no run
    # of their own, test_a_deep_category_counts_its_ancestors_under_the_other_filters); a brand's does.
    SearchRequest(category="clothing/tops/t-shirts", selected={"availability": True, "brand": ("acme", "zephyr")}),
])
def test_every_filter_facets_hosted_in_a_group_run_count_as_their_own_run(indexed, tantivy_backend, monkeypatch,
                                                                         request_):
    def facets():
        found = tantivy_backend.search(request_)
        result = assemble_result(request_, found)
        return result.total, [(f.name, [(v.value, v.count, v.selected) for v in f.values]) for f in result.facets]

    hosts = []
    host_for = tantivy_backend_module.host_for
    monkeypatch.setattr(tantivy_backend_module, "host_for", lambda *args: hosts.append(host_for(*args)) or hosts[-1])
    hosted = facets()
    assert hosts and hosts[-1] is not None  # the every-filter run did ride in another
    monkeypatch.setattr(tantivy_backend_module, "host_for", lambda *args: None)
    assert facets() == hosted


def exhaustive_order(backend, req: SearchRequest) -> list[int]:
    """Every match scored by its text and the business bonus (what the scoring clauses did
    before the re-rank), best first, ties in address order."""
    from search.backends.tantivy import compiler
    from search.query.ranking import business_bonus

    index, terms = backend._open_index()
    searcher = index.searcher()
    text = compiler.text_query(backend.schema, req, terms)
    hits = searcher.search(compiler.combine(backend.schema, text.scored, []), 1000).hits
    addresses = [a for _, a in hits]
    ids = searcher.fast_field_values("id", addresses)
    stock = searcher.fast_field_values("in_stock", addresses)
    popularity = searcher.fast_field_values("popularity", addresses)
    scored = [(float(score) + business_bonus(s, p), a.segment_ord, a.doc, pid)
              for (score, a), s, p, pid in zip(hits, stock, popularity, ids, strict=True)]
    return [pid for *_, pid in sorted(scored, key=lambda x: (-x[0], x[1], x[2]))]


@pytest.mark.parametrize("text", ["sweater", "t-shirt", "shoes", "wireless headphones", "cotton", "phone case"])
def test_the_rerank_orders_the_best_matches_as_scoring_every_match_would(indexed, tantivy_backend, text):
    req = SearchRequest(text=text, page_size=24)
    assert [h.id for h in tantivy_backend.search(req).hits] == exhaustive_order(tantivy_backend, req)[:24]


def test_the_rerank_moves_only_the_best_matches_and_in_stock_ones_up(indexed, tantivy_backend):
    from search.backends.tantivy import rerank
    from search.query.ranking import business_bonus

    searcher = tantivy_backend._open_index()[0].searcher()
    hits = searcher.search(Q.all_query(), 100).hits  # every product, all with the same text score
    depth = 6
    reranked = rerank.rerank(searcher, hits, depth=depth)
    assert reranked[depth:] == hits[depth:]  # below the depth: the engine's order, untouched
    head = [a for _, a in reranked[:depth]]
    bonus = [business_bonus(s, p) for s, p in zip(searcher.fast_field_values("in_stock", head),
                                                  searcher.fast_field_values("popularity", head), strict=True)]
    assert bonus == sorted(bonus, reverse=True) and bonus[0] > bonus[-1]  # in stock and selling first
    assert {(a.segment_ord, a.doc) for a in head} == {(a.segment_ord, a.doc) for _, a in hits[:depth]}
