""""More like this": the engine-neutral part of related products. Both engines build their
similarity query (tantivy's MoreLikeThisQuery, Elasticsearch's ``more_like_this``) from the
product's words in these text fields and these settings, keep in-stock products only and
leave the product itself out."""

from __future__ import annotations

from search.query.filters import Filter

# The analysed fields compared, as the index holds them (search.documents).
LIKE_FIELDS = ("name", "brand", "category_text", "attribute_text", "description")
DESCRIPTION_CHARS = 1000
# A word counts from its first occurrence and in any number of products; the 25 most telling
# words of the product make the query (Lucene's MoreLikeThis defaults, but for the small
# frequencies of a product's few words).
MIN_TERM_FREQUENCY = 1
MIN_DOC_FREQUENCY = 1
MAX_QUERY_TERMS = 25
MIN_WORD_LENGTH = 3


def related_filters(product_id: int) -> list[Filter]:
    return [Filter("_related", "term", "in_stock", (True,)), Filter("_related", "not_terms", "id", (product_id,))]
