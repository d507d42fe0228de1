"""Semantic matching (issue 14) with the real model (all-MiniLM-L6-v2, loaded once per test
session by search.semantic.embedder), on both engines: shoppers' words the catalog never uses
find what it sells; absent product types still find nothing; filters, facets, pins and hides
apply to what it found; the vocabulary follows the catalog; the merchandiser switches it off.
Without the ``semantic`` extra the model tests skip and the lexical-only tests still run."""

from __future__ import annotations

import sys
from decimal import Decimal

import pytest
from django.core.management import call_command

from search.analytics.models import SearchEvent
from search.merchandising.models import PinnedProduct, PinRule, SemanticSettings
from search.preview import preview_search
from search.query.request import SearchRequest
from search.semantic import embedder
from search.semantic.vocabulary import catalog_terms, forget_vocabulary, refresh_vocabulary
from search.services import autocomplete, search_products
from store.models import Brand, Category, Product
from tests.conftest import sync_index
from tests.test_search_analytics import eager_tasks, searches_and_clicks_written  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db

PHONES = ("phone", "rugged")
HEADPHONES = ("anc", "buds", "studio")


def search(text: str, **kwargs):
    return search_products(SearchRequest(text=text, page_size=50, **kwargs))


def keys(catalog, result) -> set[str]:
    by_id = {p.pk: key for key, p in catalog.products.items()}
    return {by_id[h.id] for h in result.hits}


@pytest.fixture(autouse=True)
def fresh_vocabulary():
    forget_vocabulary()
    yield
    forget_vocabulary()


@pytest.fixture
def semantic(catalog):
    """The behaviour catalog on the engine under test, with its vocabulary embedded."""
    pytest.importorskip("sentence_transformers", reason="the semantic extra is not installed")
    assert embedder.enabled()
    assert refresh_vocabulary().terms
    return catalog


def test_shoppers_words_find_what_the_shop_sells_under_its_own_names(semantic):
    for word, expected in (("cellphone", PHONES), ("earphones", HEADPHONES)):
        lexical = search(word, semantic=False)
        assert lexical.total == 0, f"{word!r} matched lexically: the test proves nothing"
        found = search(word)
        assert keys(semantic, found) == set(expected), (word, found.request.tuning.semantic_terms)
        added = found.request.tuning.semantic_terms
        assert added and all(w == word and similarity >= 0.62 for w, _term, similarity in added)


def test_product_types_the_shop_does_not_carry_still_find_nothing(semantic):
    for word in ("sofa", "kettle", "piano", "umbrella", "lawnmower"):
        result = search(word)
        assert result.total == 0, (word, [h.name for h in result.hits], result.request.tuning.semantic_terms)
        assert result.not_carried == (word,)


def test_filters_facets_pins_and_hides_apply_to_semantically_found_products(semantic):
    products = semantic.products
    filtered = search("cellphone", selected={"brand": ("zephyr",)})
    assert keys(semantic, filtered) == {"rugged"}
    brands = {v.value: v.count for f in search("cellphone").facets if f.name == "brand" for v in f.values}
    assert brands == {"sonix": 1, "zephyr": 1}  # counted over what semantic matching found
    rule = PinRule.objects.create(query="earphones")
    PinnedProduct.objects.create(rule=rule, product=products["crew"], position=0)
    PinnedProduct.objects.create(rule=rule, product=products["anc"], action="hide")
    pinned = search("earphones")
    assert pinned.hits[0].id == products["crew"].pk and pinned.hits[0].pinned
    assert keys(semantic, pinned) == {"crew", "buds", "studio"}


def test_a_catalog_change_reaches_the_vocabulary(semantic):
    assert search("sunblock").total == 0
    parent = semantic.categories["clothing"]
    sunscreen = Category.objects.add_child(parent, {"name": "Sun Care", "slug": "sun-care"})
    brand = Brand.objects.create(name="Solara", slug="solara")
    for i, name in enumerate(("Mineral Sunscreen SPF 50", "Daily Sunscreen SPF 30", "Kids Sunscreen SPF 50")):
        Product.objects.create(name=name, slug=f"sun-{i}", sku=f"SOL-{i}", brand=brand, category=sunscreen,
                               price=Decimal("12.00"), stock_quantity=5, description=name)
    sync_index()
    assert any("sunscreen" in t.term for t in catalog_terms())
    assert search("sunblock").total == 0  # the stored vocabulary is the one last refreshed
    from indexing.tasks import refresh_semantic_vocabulary

    assert refresh_semantic_vocabulary() >= 1  # the new terms only; the others come from the cache
    assert refresh_semantic_vocabulary() == 0  # the catalog as it was: not even read again
    found = search("sunblock")
    assert {h.name for h in found.hits} == {"Mineral Sunscreen SPF 50", "Daily Sunscreen SPF 30",
                                            "Kids Sunscreen SPF 50"}
    assert refresh_vocabulary().embedded == 0  # nothing new: nothing embedded again


def test_reindex_builds_the_vocabulary_with_the_new_index(catalog, capsys):
    pytest.importorskip("sentence_transformers", reason="the semantic extra is not installed")
    assert search("cellphone").total == 0  # no vocabulary yet: lexical only
    call_command("reindex", "--no-input")
    assert "Semantic vocabulary:" in capsys.readouterr().out
    assert keys(catalog, search("cellphone")) == set(PHONES)


def test_the_merchandiser_switches_it_off_and_sets_its_weight(semantic):
    assert search("cellphone").total == 2
    setting = SemanticSettings.objects.create(enabled=True, weight=Decimal("0.25"))
    tuning = search("cellphone").request.tuning
    assert tuning.semantic_weight == 0.25
    assert all(0 < weight <= 0.25 for _word, weight in tuning.word_weights)
    setting.enabled = False
    setting.save()
    assert search("cellphone").total == 0
    # An experiment (issue 20) overrides the shop's setting per request.
    assert search("cellphone", semantic=True, semantic_weight=0.8).total == 2


def test_autocomplete_stays_lexical(semantic):
    assert search("cellphone").total == 2
    suggestions = autocomplete("cellphone")
    assert suggestions.products == [] and suggestions.categories == []


def test_the_preview_shows_what_came_from_the_semantic_side(semantic, search_backend):
    if search_backend.name != "tantivy":
        pytest.skip("the preview presents what the engines found: shown once")
    preview = preview_search("cellphone")
    assert preview.semantic_status.startswith("on, weight")
    assert preview.semantic_terms and preview.semantic_terms[0][0] == "cellphone"
    assert preview.baseline_total == 0 and preview.total == 2
    for entry in preview.hits:
        assert any(reason.startswith("semantic: “") and "for “cellphone” (similarity 0." in reason
                   for reason in entry.reasons), entry.reasons


@pytest.mark.usefixtures("eager_tasks")
def test_analytics_mark_semantically_rescued_searches(semantic, search_backend, client):
    if search_backend.name != "tantivy":
        pytest.skip("what is recorded does not depend on the engine")
    for text in ("cellphone", "smartphone", "sofa"):
        assert client.get("/api/search", {"q": text}).status_code == 200
    searches_and_clicks_written()
    assert dict(SearchEvent.objects.values_list("query", "semantic_rescue")) == {
        "cellphone": True, "smartphone": False, "sofa": False}


def test_without_the_extra_the_shop_is_lexical_only_and_says_so(one_engine_catalog, client, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # as if the extra were not installed
    assert not embedder.installed() and not embedder.enabled()
    assert search("cellphone").total == 0
    assert search("smartphone").total == 1
    body = client.get("/readyz").json()
    assert body["semantic"].startswith("off: the semantic extra is not installed")
    call_command("reindex", "--no-input")
    assert "Semantic matching off: the semantic extra is not installed" in capsys.readouterr().out


def test_readyz_says_semantic_matching_is_on(one_engine_catalog, client):
    pytest.importorskip("sentence_transformers", reason="the semantic extra is not installed")
    assert client.get("/readyz").json()["semantic"] == "on"
