"""The ranking policy both compilers apply, in one engine-neutral place.

Field weights say how much a word found in each text field counts; the boosts add
what a shopper expects on top of text relevance (an exact SKU first, whole phrases,
products in stock and selling). Each compiler expresses them in its engine's terms.
"""

from __future__ import annotations

from types import MappingProxyType

# Name above brand and category, then the searchable attributes' values (a colour, a
# material: what the product is, more than its description says), then the description.
# Merchandisers override them with a FieldWeights rule (search.merchandising): these are
# the weights without one.
DEFAULT_FIELD_WEIGHTS: MappingProxyType[str, float] = MappingProxyType(
    {"name": 3.0, "brand": 2.0, "category_text": 2.0, "attribute_text": 1.5, "description": 1.0}
)
# Typo-tolerant matching is on these fields only (descriptions are too noisy, attribute
# values too alike: "wool" is not "wood"): names, brands and the category words a shopper
# types for a product type ("knievs").
FUZZY_FIELDS: MappingProxyType[str, float] = MappingProxyType({"name": 1.5, "brand": 1.0, "category_text": 1.0})
# Typo budgets by the length of the typed word (Algolia's documented defaults): none below
# MIN_WORD_SIZE_FOR_1_TYPO characters, one from there, two from MIN_WORD_SIZE_FOR_2_TYPOS.
MIN_WORD_SIZE_FOR_1_TYPO = 4
MIN_WORD_SIZE_FOR_2_TYPOS = 8
# A typo never changes the first letters (Lucene's spell checkers and Elasticsearch's
# suggesters default to one): "dress" is not a typo of "press", nor "cable" of "table".
TYPO_PREFIX_LENGTH = 1
PHRASE_BOOST = 3.0
PHRASE_SLOP = 2
SKU_EXACT_BOOST = 100.0
SKU_PREFIX_BOOST = 20.0
SKU_PREFIX_MIN_CHARS = 3
# Business signals: added to a product's score (after a boost rule's factor), so that among
# products matching the words as well, those in stock and selling come first. The engines apply
# them to the RERANK_DEPTH best text matches only (a re-rank from the index's fast fields),
# never as scoring clauses over the whole catalog's in-stock or popular products.
IN_STOCK_BOOST = 0.5
POPULAR_BOOST = 0.3
POPULAR_SALES = 100
RERANK_DEPTH = 300
# An optional word (a stopword, a word a fallback stopped requiring) that a product holds adds
# this to its score on top of its text score, so products matching more of the words rank first.
OPTIONAL_WORD_BOOST = 5.0


def business_bonus(in_stock: bool, popularity: int) -> float:
    """What the business signals add to a product's text score."""
    return (IN_STOCK_BOOST if in_stock else 0.0) + (POPULAR_BOOST if popularity >= POPULAR_SALES else 0.0)
