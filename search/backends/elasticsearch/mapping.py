"""The Elasticsearch product index, declared with django-elasticsearch-dsl.

The analysers mirror tantivy's (search/text.py): split into words, lowercase,
ASCII-fold, English (Porter2) stemming. (The standard tokenizer rather than a
pattern one: osmem-server, which the tests use, ignores pattern tokenizers.) Documents are
built by search.documents for both engines; this class only declares the index.
``deploy/elasticsearch/products-index.json`` is a copy for operators
(``manage.py export_index_settings`` writes it; a test keeps it in step).
"""

from __future__ import annotations

from django_elasticsearch_dsl import Document, fields
from django_elasticsearch_dsl.registries import registry
from elasticsearch.dsl import analyzer, token_filter

from search.facets import index_fields
from store.models import Product

porter2 = token_filter("porter2_english", "snowball", language="English")
en_fold = analyzer("en_fold", tokenizer="standard", filter=["lowercase", "asciifolding", porter2])

INDEX_SETTINGS = {
    "number_of_shards": 1,
    "number_of_replicas": 0,  # index_body() sets SEARCH_ENGINE["REPLICAS"] (ELASTICSEARCH_REPLICAS)
    "refresh_interval": "1s",
    "max_result_window": 10000,
}


@registry.register_document
class ProductDocument(Document):
    id = fields.LongField()
    sku = fields.KeywordField(index=False)
    sku_lower = fields.KeywordField()
    name = fields.TextField(analyzer=en_fold)
    slug = fields.KeywordField(index=False)
    description = fields.TextField(analyzer=en_fold)
    brand = fields.TextField(analyzer=en_fold)
    brand_slug = fields.KeywordField()
    category = fields.KeywordField(index=False)
    category_text = fields.TextField(analyzer=en_fold)
    category_path = fields.KeywordField()
    category_paths = fields.KeywordField()
    price = fields.DoubleField()
    currency = fields.KeywordField(index=False)
    compare_at_price = fields.DoubleField(index=False)
    in_stock = fields.BooleanField()
    stock_quantity = fields.IntegerField()
    rating = fields.DoubleField()
    rating_count = fields.IntegerField()
    popularity = fields.LongField()
    created_at = fields.DateField()
    attrs = fields.KeywordField()
    prefixes = fields.KeywordField()
    image_url = fields.KeywordField(index=False)
    vendor = fields.KeywordField()
    version = fields.LongField()
    sort_price_asc = fields.LongField()
    sort_price_desc = fields.LongField()
    sort_newest = fields.LongField()
    sort_rating = fields.LongField()
    sort_bestselling = fields.LongField()

    class Index:
        name = "products"
        settings = INDEX_SETTINGS

    class Django:
        model = Product
        ignore_signals = True  # the outbox (indexing app) keeps the index in step
        auto_refresh = False


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
