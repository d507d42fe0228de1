"""The Elasticsearch product index, declared with elasticsearch-dsl (the client's ``elasticsearch.dsl``).

The analyser is the chain of search/query/text.py, tantivy's: words are runs of letters and
digits, a possessive dropped, then lowercase, ASCII folding, English (Porter2) stemming, long
stems dropped. Char filters make the words (drop the possessive, turn everything else into
spaces) and the whitespace tokenizer cuts there: the standard tokenizer keeps "12.9" and
"o'brien" whole, and osmem-server, which the tests use, ignores pattern tokenizers.
tests/test_analysis.py checks the tokens against tantivy's. Documents are built by
search.documents for both engines; this class only declares the index.
``deploy/elasticsearch/products-index.json`` is a copy for operators
(``manage.py export_index_settings`` writes it; a test keeps it in step).
"""

from __future__ import annotations

from elasticsearch.dsl import (
    Boolean,
    Date,
    Document,
    Double,
    Integer,
    Keyword,
    Long,
    Text,
    analyzer,
    char_filter,
    token_filter,
)

from search.facets import index_fields
from search.query.text import WORD_MAX_CHARS, stem

# "men's", "Levi’s": the word without its possessive (as tantivy's stemmer drops it).
possessive = char_filter("drop_possessive", "pattern_replace", pattern=r"['’][sS]\b", replacement="")
# Whatever is not a letter or a digit separates words (hyphens, decimals' periods, quotes).
separators = char_filter("non_alphanumeric_to_space", "pattern_replace", pattern=r"[^\p{L}\p{N}]+", replacement=" ")
porter2 = token_filter("porter2_english", "snowball", language="English")
# tantivy's Porter2 is Snowball's since 2.2, which starts the stem's region after the prefixes
# "organ", "univers", "past", "later" and "emerg" ("organic" stays "organic", not "organ");
# osmem's (as Lucene's older Snowball) does not: their words are pinned to tantivy's stems.
# (osmem honours this filter in _analyze only; it indexes with an older Snowball still.)
SNOWBALL_22_WORDS = (
    "organ", "organs", "organic", "organics", "organically", "organism", "organisms", "organza",
    "organise", "organised", "organiser", "organisers", "organises", "organising", "organisation",
    "organisations", "organize", "organized", "organizer", "organizers", "organizes", "organizing",
    "organization", "organizations", "organizational",
    "universe", "universes", "universal", "universally", "universals", "universality", "university",
    "universities",
    "paste", "pasted", "pastes", "pasting", "pastel", "pastels", "pastry", "pastries", "pasture", "pastures",
    "pastime", "pastimes", "pastor", "pastors", "pasty", "pasties", "pastille", "pastilles", "pasteurized",
    "pasteurised",
    "lateral", "laterally", "laterals",
    "emerge", "emerged", "emerges", "emerging", "emergence", "emergency", "emergencies", "emergent",
)
snowball_22 = token_filter("snowball_2_2_stems", "stemmer_override",
                           rules=[f"{word} => {stem(word)}" for word in SNOWBALL_22_WORDS])
# tantivy's remove_long drops stems of WORD_MAX_CHARS bytes or more.
short_stems = token_filter("short_stems", "length", max=WORD_MAX_CHARS - 1)
en_fold = analyzer("en_fold", char_filter=[possessive, separators], tokenizer="whitespace",
                   filter=["lowercase", "asciifolding", snowball_22, porter2, short_stems])
# The words as written (search.query.text.surface_words), for typos counted on them, never on stems.
en_words = analyzer("en_words", char_filter=[possessive, separators], tokenizer="whitespace",
                    filter=["lowercase", "asciifolding"])
# The typo fields (search.query.ranking.FUZZY_FIELDS) hold their words unstemmed in this sub-field.
WORDS_SUBFIELD = "words"
_with_words = {WORDS_SUBFIELD: Text(analyzer=en_words)}

INDEX_SETTINGS = {
    "number_of_shards": 1,
    "number_of_replicas": 0,  # index_body() sets SEARCH_ENGINE["REPLICAS"] (ELASTICSEARCH_REPLICAS)
    "refresh_interval": "1s",
    "max_result_window": 10000,
}


class ProductDocument(Document):
    id = Long()
    sku = Keyword(index=False)
    sku_lower = Keyword()
    name = Text(analyzer=en_fold, fields=_with_words)
    slug = Keyword(index=False)
    description = Text(analyzer=en_fold)
    brand = Text(analyzer=en_fold, fields=_with_words)
    brand_slug = Keyword()
    category = Keyword(index=False)
    category_text = Text(analyzer=en_fold, fields=_with_words)
    category_path = Keyword()
    category_paths = Keyword()
    price = Double()
    currency = Keyword(index=False)
    compare_at_price = Double(index=False)
    in_stock = Boolean()
    stock_quantity = Integer()
    rating = Double()
    rating_count = Integer()
    popularity = Long()
    created_at = Date()
    attrs = Keyword()
    attribute_text = Text(analyzer=en_fold, fields=_with_words)  # the searchable attributes' values (search.documents)
    prefixes = Keyword()
    image_url = Keyword(index=False)
    vendor = Keyword()
    version = Long()
    sort_price_asc = Long()
    sort_price_desc = Long()
    sort_newest = Long()
    sort_rating = Long()
    sort_bestselling = Long()

    class Index:
        name = "products"
        settings = INDEX_SETTINGS


_FIELD_TYPES = {"keyword": "keyword", "float": "double", "boolean": "boolean"}


def index_body(replicas: int = 0) -> dict:
    """Settings and mappings for a new concrete product index."""
    body = ProductDocument._index.to_dict()
    body["mappings"]["dynamic"] = "strict"
    # What the facets filter and count on (search.facets.registry), where not declared above.
    properties = body["mappings"]["properties"]
    for name, kind in index_fields().items():
        properties.setdefault(name, {"type": _FIELD_TYPES[kind]})
    # Replica shards: none on a single node; 1 on the es-cluster profile (ELASTICSEARCH_REPLICAS),
    # so that the index survives the loss of a node.
    body["settings"]["number_of_replicas"] = replicas
    return body


def _comparable(value: object) -> object:
    """Elasticsearch may echo a parameter in another JSON type ("false" for false, "1" for 1)."""
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    return str(value).lower()


def mapping_differences(expected: dict, live: dict) -> list[str]:
    """How a live index's mapping differs from ``expected`` (index_body()'s): fields missing or
    of other parameters, fields the index has and we do not declare, another ``dynamic``.
    Parameters the live mapping leaves out are defaults Elasticsearch does not echo; ours
    are all explicit, so only the ones we declare are compared."""
    differences = []
    if _comparable(live.get("dynamic", "true")) != _comparable(expected.get("dynamic", "true")):
        differences.append(f"dynamic is {live.get('dynamic', 'true')!r}, not {expected.get('dynamic')!r}")
    ours, theirs = expected.get("properties", {}), live.get("properties", {})
    for name, declared in sorted(ours.items()):
        field = theirs.get(name)
        if field is None:
            differences.append(f"field {name!r} is missing")
            continue
        wrong = {key: field.get(key) for key, value in declared.items()
                 if _comparable(field.get(key)) != _comparable(value)}
        if wrong:
            differences.append(f"field {name!r} has {wrong}, not {({k: declared[k] for k in wrong})}")
    differences += [f"field {name!r} is not declared" for name in sorted(set(theirs) - set(ours))]
    return differences
