"""The engine-neutral search request.

The facets (search.facets) turn GET parameters into a validated ``SearchRequest``;
each engine's compiler turns it into that engine's query. Nothing else builds queries.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from search.query.ranking import DEFAULT_TYPOS, TypoTolerance
from search.query.text import query_words
from search.query.tuning import Tuning

MAX_TEXT_LENGTH = 200
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 24
# Both engines page inside a window; beyond it ask the shopper to refine.
MAX_RESULT_WINDOW = 5000
MAX_FILTER_VALUES = 50

SORTS = {
    "relevance": "Relevance",
    "price_asc": "Price: low to high",
    "price_desc": "Price: high to low",
    "newest": "Newest",
    "rating": "Top rated",
    "bestselling": "Best selling",
}

_CATEGORY_PATH = re.compile(r"^[-a-zA-Z0-9_]+(/[-a-zA-Z0-9_]+)*$")

# A facet's selection, as its facet parsed it: a tuple of values, a (low, high) pair, a number...
Selection = Any


class InvalidSearchRequest(ValueError):
    """A request a shopper can fix; the message says how."""


class PageBeyondWindow(InvalidSearchRequest):
    """A page past the results that can be browsed (``MAX_RESULT_WINDOW``): often simply past
    the last page, which the listing then says."""


@dataclass(frozen=True)
class SearchRequest:
    text: str = ""
    category: str | None = None
    # Facet name → its selection (search.facets parses and validates them). A mapping
    # is accepted and kept as a sorted tuple of pairs, so that requests stay hashable.
    selected: tuple[tuple[str, Selection], ...] | Mapping[str, Selection] = ()
    sort: str = "relevance"
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    with_facets: bool = True
    # As-you-type: every word matches as a prefix of a name or brand word.
    autocomplete: bool = False
    # The relaxed fallback: any word may match instead of every word.
    match_any: bool = False
    # Set by search.services, never from the URL: merchandising rules for this
    # query (search.query.tuning.Tuning), a restriction to given ids (pins), and an
    # explicit (offset, limit) when pins shift the organic results.
    tuning: Tuning | None = None
    only_ids: tuple[int, ...] = ()
    window: tuple[int, int] | None = None
    # Set by search.services from the category's price bucketing (never from the URL):
    # a fixed range width, or a number of ranges holding similar numbers of products;
    # neither: round-number ranges that adapt to the results.
    price_step: float | None = None
    price_equal_ranges: int = 0
    # Set by search.services (never from the URL): the query's words the index knows, which
    # are never typo-expanded into other words (what the shopper typed is what they meant).
    known_words: frozenset[str] = frozenset()
    # Set by search.services with known_words, in the same lookup (never from the URL): the words it
    # looked up, and those of them naming a product type (category words), for the fallbacks.
    looked_up: frozenset[str] = frozenset()
    type_words: frozenset[str] = frozenset()
    # Set by search.services (never from the URL): words that may match and score but never
    # exclude a product (stopwords, and the words a zero-result fallback stopped requiring).
    optional_words: frozenset[str] = frozenset()
    # From the URL (``exact=1``): search the text as typed, never a spelling correction of it.
    exact: bool = False
    # Set by the web layer from the shopper's session (never from the URL): an opaque value
    # that keeps one shopper's pages on the same shard copies, so paging stays stable across
    # replicas. An engine without replicas ignores it; the result caches leave it out of keys.
    preference: str = ""
    # Set by the web layer (never from the URL): the A/B test variant this visitor is served
    # ("12:b", search.merchandising.experiments), "" for none. Part of the result caches' keys.
    variant: str = ""
    # Set by the caller for an experiment (never from the URL): typo settings that replace the rules'
    # (search.query.tuning.Tuning.typos) for this request; part of the result caches' keys.
    typo_tolerance: TypoTolerance | None = None
    # Set by an experiment (never from the URL): semantic matching on or off and its weight for
    # this request, instead of the shop's merchandising setting; None keeps the setting.
    semantic: bool | None = None
    semantic_weight: float | None = None

    def __post_init__(self) -> None:
        if len(self.text) > MAX_TEXT_LENGTH:
            raise InvalidSearchRequest(f"The search text is limited to {MAX_TEXT_LENGTH} characters.")
        if self.category is not None and not _CATEGORY_PATH.match(self.category):
            raise InvalidSearchRequest("Unknown category.")
        if self.sort not in SORTS:
            raise InvalidSearchRequest(f"Sort must be one of: {', '.join(SORTS)}.")
        if self.page < 1:
            raise InvalidSearchRequest("Page numbers start at 1.")
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise InvalidSearchRequest(f"Page size must be between 1 and {MAX_PAGE_SIZE}.")
        if self.page * self.page_size > MAX_RESULT_WINDOW:
            raise PageBeyondWindow(
                f"Only the first {MAX_RESULT_WINDOW} results can be browsed; refine the search or the filters."
            )
        if isinstance(self.selected, Mapping):
            object.__setattr__(self, "selected", tuple(sorted((k, v) for k, v in self.selected.items()
                                                              if v not in (None, (), False))))

    @property
    def offset(self) -> int:
        return self.window[0] if self.window else (self.page - 1) * self.page_size

    @property
    def limit(self) -> int:
        return self.window[1] if self.window else self.page_size

    def is_optional(self, group: tuple[tuple[str, ...], ...]) -> bool:
        """Whether a query position (its alternatives, each a tuple of words) may match without
        being required: every word of every alternative is optional."""
        return bool(self.optional_words) and all(w in self.optional_words for alt in group for w in alt)

    def word_groups(self) -> tuple[tuple[tuple[str, ...], ...], ...]:
        """Per query position, the alternatives that may match there: the rules' synonym groups,
        or each typed word alone."""
        if self.tuning and self.tuning.word_groups:
            return self.tuning.word_groups
        return tuple(((w,),) for w in query_words(self.text))

    @property
    def exact_words(self) -> frozenset[str]:
        """Words matched as written, never typo-expanded: typed words the index knows and the
        words synonyms add."""
        return self.known_words | self.tuning.exact_words if self.tuning else self.known_words

    @property
    def typos(self) -> TypoTolerance:
        """The typo budgets this request searches with: an experiment's, else the rules', else the defaults."""
        if self.typo_tolerance is not None:
            return self.typo_tolerance
        return self.tuning.typos if self.tuning else DEFAULT_TYPOS

    def selection(self, facet: str) -> Selection:
        """What the shopper selected in ``facet``, or None."""
        for name, value in self.selected:  # type: ignore[misc]  # a tuple after __post_init__
            if name == facet:
                return value
        return None
