"""The ranking policy both compilers apply, in one engine-neutral place.

Field weights say how much a word found in each text field counts; the boosts add
what a shopper expects on top of text relevance (an exact SKU first, whole phrases,
products in stock and selling). Each compiler expresses them in its engine's terms.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

# Name above brand and category, then the searchable attributes' values (a colour, a
# material: what the product is, more than its description says), then the description.
# Merchandisers override them with a FieldWeights rule (search.merchandising): these are
# the weights without one.
DEFAULT_FIELD_WEIGHTS: MappingProxyType[str, float] = MappingProxyType(
    {"name": 3.0, "brand": 2.0, "category_text": 2.0, "attribute_text": 1.5, "description": 1.0}
)
# What a typo match in each field counts. Typo-tolerant matching is on the fields of
# TypoTolerance (below): by default names and the category words a shopper types for a product
# type ("knievs"); brands (a brand is a name: "Stride" is not "slides") and the attribute values
# (too alike: "wool" is not "wood") match as typed unless a merchandiser switches their typos on.
# Descriptions never (too noisy).
FUZZY_FIELDS: MappingProxyType[str, float] = MappingProxyType(
    {"name": 1.5, "brand": 1.0, "category_text": 1.0, "attribute_text": 1.0})
# Typos are counted on the words as written, never on stems ("cawe" is a typo of "case", though
# its stem "caw" is two edits from "case"): each field of FUZZY_FIELDS has an unstemmed twin, its
# words lower-case and folded (search.query.text.surface_words), against which the typed word is matched.
# Fewer typos first, then relevance (Algolia's first ranking criterion): a product gains this for
# each typo of a word's budget it did not need, more than any text score can add, and outside the
# merchandisers' boosts (they reorder products of equal typos).
FEWER_TYPOS_BOOST = 1000.0
# Typo budgets by the length of the typed word (Algolia's documented defaults): none below
# MIN_WORD_SIZE_FOR_1_TYPO characters, one from there, two from MIN_WORD_SIZE_FOR_2_TYPOS.
MIN_WORD_SIZE_FOR_1_TYPO = 4
MIN_WORD_SIZE_FOR_2_TYPOS = 8
# Longest threshold a merchandiser may set (a word longer than any the shop uses: typos off).
MAX_TYPO_WORD_SIZE = 40
# A typo never changes the first letters (Lucene's spell checkers and Elasticsearch's
# suggesters default to one): "dress" is not a typo of "press", nor "cable" of "table".
TYPO_PREFIX_LENGTH = 1


@dataclass(frozen=True)
class TypoTolerance:
    """How many typos a typed word may have, and where (Algolia's typo settings: minWordSizefor1Typo,
    minWordSizefor2Typos, disableTypoToleranceOnWords, disableTypoToleranceOnAttributes,
    allowTyposOnNumericTokens). A merchandiser's TypoSettings rule sets them; an experiment may
    vary them per request (search.query.tuning.Tuning.typos). The budget is the typed word's."""

    min_word_size_for_1_typo: int = MIN_WORD_SIZE_FOR_1_TYPO
    min_word_size_for_2_typos: int = MIN_WORD_SIZE_FOR_2_TYPOS
    # Words (as query_words gives them: lower-case, folded) that always match as typed.
    disabled_words: frozenset[str] = frozenset()
    # Fields of FUZZY_FIELDS whose words match only as typed.
    disabled_fields: frozenset[str] = frozenset({"brand", "attribute_text"})
    # A word holding a digit (a SKU, a model number, a size) matches as typed unless this is on.
    typos_on_numbers: bool = False

    def budget(self, word: str) -> int:
        """The typo budget of a typed word."""
        if (len(word) < self.min_word_size_for_1_typo or word in self.disabled_words
                or (not self.typos_on_numbers and any(c.isdigit() for c in word))):
            return 0
        return 1 if len(word) < self.min_word_size_for_2_typos else 2

    @property
    def fields(self) -> dict[str, float]:
        """The typo-tolerant fields and what a typo match in each counts."""
        return {f: w for f, w in FUZZY_FIELDS.items() if f not in self.disabled_fields}


DEFAULT_TYPOS = TypoTolerance()
# The text as typed (a shopper's "search instead for"): typos nowhere.
NO_TYPOS = TypoTolerance(disabled_fields=frozenset(FUZZY_FIELDS))
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
