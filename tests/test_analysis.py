"""One analysis on both engines: the same tokens from Elasticsearch's analyzer (osmem's
``_analyze`` on the product index), tantivy's and the query side's (query_words + stem), for
every product name of the demo catalog and for the cases that used to differ."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from search.backends import get_backend
from search.backends.elasticsearch.mapping import index_body
from search.merchandising.models import SynonymSet
from search.merchandising.rules import forget_cached_rules
from search.query.request import SearchRequest
from search.query.text import (
    MAX_QUERY_WORDS,
    POSSESSIVE,
    query_words,
    stem,
    stem_analyzer,
    surface_words,
    word_analyzer,
)
from search.services import search_products
from store.demo.generator import DemoCatalog
from store.models import Product
from tests.conftest import engine_config, sync_index

DEMO_PRODUCTS = 3000

# The chain's decisions, one case each: decimals and hyphens split, possessives dropped,
# units and letters+digits kept as written, accents folded, other apostrophes separate.
CASES = {
    "Fernhill Men's Soft Running Shorts": ["fernhil", "men", "soft", "run", "short"],
    "Voltra Notebook 1 TB, 12.9\" – Silver": ["voltra", "notebook", "1", "tb", "12", "9", "silver"],
    "Serum 500 ml": ["serum", "500", "ml"],
    "Crew Neck T-Shirt": ["crew", "neck", "t", "shirt"],
    "Wi-Fi 4K Camera": ["wi", "fi", "4k", "camera"],
    "Levi’s O'Brien Café Straße": ["levi", "o", "brien", "cafe", "strass"],
    "The Witness's Lighthouse": ["the", "wit", "lighthous"],
    "Spark 3 S Earbuds, men'swear": ["spark", "3", "s", "earbud", "men", "swear"],
    "3.5mm USB-C Cable & Adapter": ["3", "5mm", "usb", "c", "cabl", "adapt"],
    # Snowball 2.2's Porter2 (tantivy's) on both engines.
    "Organic Pastel Universal Organizer": ["organic", "pastel", "universal", "organiz"],
}


def demo_names() -> list[str]:
    catalog = DemoCatalog(seed=42)
    names = {row.name for row in catalog.products(DEMO_PRODUCTS)}
    names |= {c.name for c in catalog.categories} | set(catalog.brands)
    return sorted(names)


@pytest.fixture
def elasticsearch_tokens(settings, tmp_path, request):
    """Tokens of the product index's text analyzer on osmem (the index a reindex creates)."""
    settings.SEARCH_ENGINE = engine_config("elasticsearch", tmp_path, request)
    backend = get_backend()
    backend.ensure_index()

    def analyze(text: str) -> list[str]:
        response = backend.client.indices.analyze(index=backend.alias, field="name", text=text)
        return [token["token"] for token in response["tokens"]]

    yield analyze
    for name in backend.list_indices():
        backend.drop_index(name)


def query_side_tokens(text: str) -> list[str]:
    return [stem(w) for w in query_words(text)]


@pytest.mark.parametrize(("text", "expected"), CASES.items())
def test_each_case_gives_the_chosen_tokens_on_both_engines_and_the_query_side(elasticsearch_tokens, text,
                                                                              expected):
    assert stem_analyzer().analyze(text) == expected
    assert elasticsearch_tokens(text) == expected
    assert query_side_tokens(text) == expected


def test_every_demo_product_name_gives_the_same_tokens_on_both_engines_and_the_query_side(elasticsearch_tokens):
    names = demo_names()
    assert len(names) > 2000
    differ = []
    for name in names:
        tantivy_tokens = stem_analyzer().analyze(name)
        es_tokens, query_tokens = elasticsearch_tokens(name), query_side_tokens(name)
        if es_tokens != tantivy_tokens or query_tokens != tantivy_tokens[:MAX_QUERY_WORDS]:  # a query keeps 12
            differ.append((name, tantivy_tokens, es_tokens, query_tokens))
    assert not differ, f"{len(differ)} of {len(names)} names differ, e.g. {differ[:3]}"


def test_the_words_elasticsearch_indexes_are_tantivys(settings, tmp_path, request):
    """What the engine indexes, not only what _analyze says: the demo names with punctuation
    indexed with the product analyzer's char filters, tokenizer and folding, their term
    vectors read back. (Without the stemmers: osmem indexes with an older Snowball than its
    _analyze, "soy" → "soi", which no setting changes; the stems are checked above.)"""
    settings.SEARCH_ENGINE = engine_config("elasticsearch", tmp_path, request)
    client = get_backend().client
    analysis = index_body()["settings"]["analysis"]
    unstemmed = analysis["analyzer"]["en_words"]  # the typo fields' analyzer: en_fold without its stemmers
    assert unstemmed == {**analysis["analyzer"]["en_fold"], "filter": ["lowercase", "asciifolding"]}
    index = f"words_{uuid.uuid4().hex[:8]}"
    client.indices.create(index=index, body={
        "settings": {"analysis": {**analysis, "analyzer": {"words": unstemmed}}},
        "mappings": {"properties": {"name": {"type": "text", "analyzer": "words"}}}})
    names = [name for name in demo_names() if not name.replace(" ", "").isalnum()]
    try:
        client.bulk(operations=[line for i, name in enumerate(names)
                                for line in ({"index": {"_index": index, "_id": str(i)}}, {"name": name})],
                    refresh=True)
        differ = []
        for i, name in enumerate(names):
            terms = client.termvectors(index=index, id=str(i), fields=["name"])["term_vectors"]["name"]["terms"]
            indexed = [t for _, t in sorted((token["position"], term) for term, info in terms.items()
                                            for token in info["tokens"])]
            words = [w for w in (POSSESSIVE.sub("", t) for t in word_analyzer().analyze(name)) if w]
            if indexed != words or words != surface_words(name):
                differ.append((name, indexed, words))
        assert len(names) > 1000
        assert not differ, f"{len(differ)} of {len(names)} names differ, e.g. {differ[:3]}"
    finally:
        client.indices.delete(index=index)


# --- what shoppers see, on each engine ---------------------------------------------------

def add_product(catalog, key: str, name: str, category: str = "electronics/phones") -> Product:
    product = Product.objects.create(
        name=name, slug=key, sku=f"TST-{key.upper()}", description=f"{name}.", brand=catalog.brands["sonix"],
        category=catalog.categories[category], price=Decimal("10.00"), stock_quantity=5,
        rating_average=Decimal("4.00"), rating_count=1, sales_count=1,
    )
    catalog.products[key] = product
    return product


def search(text: str):
    return search_products(SearchRequest(text=text, page_size=50))


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["men's soft shorts", "mens soft shorts", "12.9 tablet", '12.9" wi-fi tablet',
                                  "tablet wi-fi", "t-shirt men"])
def test_possessives_decimals_and_hyphens_find_their_products_without_relaxing(catalog, text):
    shorts = add_product(catalog, "shorts", "Fernhill Men's Soft Shorts", "clothing/tops")
    tablet = add_product(catalog, "tablet", 'Sonix Tab 12.9" Wi-Fi Tablet')
    tee = add_product(catalog, "mentee", "Men's Cotton T-Shirt", "clothing/tops/t-shirts")
    sync_index()
    result = search(text)
    assert not result.relaxed
    wanted = {"men's soft shorts": shorts, "mens soft shorts": shorts, "t-shirt men": tee}.get(text, tablet)
    assert [h.id for h in result.hits][:1] == [wanted.pk], [h.name for h in result.hits]


@pytest.mark.django_db
def test_a_mens_query_without_the_apostrophe_is_a_typo_of_men(catalog):
    # "mens" (4 letters, one typo) matches "men" as both engines fuzz it; not a possessive rule.
    add_product(catalog, "shorts", "Fernhill Men's Soft Shorts", "clothing/tops")
    sync_index()
    assert search("mens soft shorts").hits[0].highlighted_name == (
        "Fernhill <mark>Men&#x27;s</mark> <mark>Soft</mark> <mark>Shorts</mark>")


@pytest.mark.django_db
def test_highlight_marks_the_words_a_typo_matched(catalog):
    hits = {h.name: h.highlighted_name for h in search("sweter").hits}
    assert hits["Merino Wool Sweater"] == "Merino Wool <mark>Sweater</mark>"
    assert hits["Chunky Knit Cardigan Sweater"] == "Chunky Knit Cardigan <mark>Sweater</mark>"


@pytest.mark.django_db
def test_highlight_never_marks_a_neighbour_of_a_word_the_index_knows(catalog):
    # "case" is known: "Café" is one edit away, but was not what matched.
    assert [h.highlighted_name for h in search("case").hits] == ["Rugged Phone <mark>Case</mark> Edition"]


@pytest.mark.django_db
def test_highlight_marks_the_words_a_synonym_matched(catalog):
    SynonymSet.objects.create(terms="jumper, sweater")
    forget_cached_rules()
    hits = {h.name: h.highlighted_name for h in search("merino jumper").hits}
    assert hits["Merino Wool Sweater"] == "<mark>Merino</mark> Wool <mark>Sweater</mark>"


@pytest.mark.django_db
def test_a_typo_highlight_stays_escaped(catalog):
    add_product(catalog, "hostile", '<img src=x onerror=alert(1)> Sweater "Deluxe"', "clothing/tops/sweaters")
    sync_index()
    hits = {h.name: h.highlighted_name for h in search("sweter").hits}
    assert hits['<img src=x onerror=alert(1)> Sweater "Deluxe"'] == (
        "&lt;img src=x onerror=alert(1)&gt; <mark>Sweater</mark> &quot;Deluxe&quot;")


def test_the_osmem_stemmer_gap_is_known_and_small(settings, tmp_path, request):
    """osmem-server (the tests' Elasticsearch) *indexes* with an older Snowball English stemmer than
    its own ``_analyze`` and than tantivy's Porter2 (Snowball 2.2; Elasticsearch 9's "english"
    snowball filter is that one too, and the stemmer_override pins the words where they differ).
    Measured here over the demo catalog's vocabulary: which words osmem indexes under another stem
    than tantivy. A word there can match differently on the two engines in the tests and the
    relevance bench (never on a real Elasticsearch); the gap must stay that small."""
    settings.SEARCH_ENGINE = engine_config("elasticsearch", tmp_path, request)
    client = get_backend().client
    analysis = index_body()["settings"]["analysis"]
    index = f"stems_{uuid.uuid4().hex[:8]}"
    client.indices.create(index=index, body={"settings": {"analysis": analysis}, "mappings": {
        "properties": {"words": {"type": "text", "analyzer": "en_fold"}}}})
    vocabulary = sorted({w for name in demo_names() for w in surface_words(name)})
    chunks = [vocabulary[i:i + 200] for i in range(0, len(vocabulary), 200)]
    try:
        client.bulk(operations=[line for i, chunk in enumerate(chunks)
                                for line in ({"index": {"_index": index, "_id": str(i)}}, {"words": " ".join(chunk)})],
                    refresh=True)
        differ = {}
        for i, chunk in enumerate(chunks):
            terms = client.termvectors(index=index, id=str(i), fields=["words"])["term_vectors"]["words"]["terms"]
            indexed = {token["position"]: term for term, info in terms.items() for token in info["tokens"]}
            for position, word in enumerate(chunk):
                if indexed.get(position) != stem(word):
                    differ[word] = (indexed.get(position), stem(word))
    finally:
        client.indices.delete(index=index)
    assert len(vocabulary) > 800
    assert differ.get("soy") == ("soi", "soy"), "the gap this test documents (osmem's older stemmer) is gone?"
    print(f"osmem indexes {len(differ)} of {len(vocabulary)} demo words under another stem: {sorted(differ.items())}")
    assert len(differ) <= len(vocabulary) // 50, f"{len(differ)} words: {sorted(differ.items())[:20]}"
