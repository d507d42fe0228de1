"""The engine-neutral search result: what a search found, in display form."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from search.query.request import MAX_RESULT_WINDOW, SearchRequest
from search.query.text import MatchedTerms, highlight, query_words, stem
from store.selectors import ProductCard


@dataclass
class SearchHit(ProductCard):
    """A product card as the engine found it: its relevance score, and whether a
    merchandiser pinned it. ``highlighted_name`` wraps the matched words in <mark> (built
    from escaped text); ``click_url`` is set when the search was recorded."""

    score: float = 0.0
    pinned: bool = False


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool = False
    depth: int = 0


@dataclass
class Facet:
    name: str
    label: str
    values: list[FacetValue] = field(default_factory=list)
    kind: str = "terms"
    # Range facets: the range of the values found (price: {"min": …, "max": …}).
    stats: dict[str, float | None] = field(default_factory=dict)


@dataclass
class SearchResult:
    request: SearchRequest
    total: int
    hits: list[SearchHit]
    facets: list[Facet] = field(default_factory=list)
    suggestion: str | None = None
    relaxed: bool = False
    # Set by search.services' fallbacks, for the notices (page and API) and analytics:
    # the text the results are for when they came only through a spelling correction;
    corrected_text: str | None = None
    # the typed words every result matched only with typos (by the main query or a correction);
    typo_words: tuple[str, ...] = ()
    # the words no longer required, as no product matched them with the others (they still rank);
    ignored_words: tuple[str, ...] = ()
    # words the shop knows nothing of, naming what was asked for: a product type it does not carry;
    not_carried: tuple[str, ...] = ()
    # how many of the results match every word (the first ones), when more that match only the
    # product-type words follow them; None when every result matches every word.
    all_words_total: int | None = None
    # A merchandiser's redirect for this query: views send the shopper there.
    redirect: str | None = None

    @property
    def num_pages(self) -> int:
        capped = min(self.total, MAX_RESULT_WINDOW)
        return max(1, -(-capped // self.request.page_size))


def _money(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def matched_terms(req: SearchRequest) -> MatchedTerms:
    """What a request's words match in a name, for highlighting, the same on both engines:
    each word and each synonym alternative (the tuning's word groups), with the typo budget
    the compilers give it (none for a word the index knows nor a synonym's). As-you-type
    matches word prefixes: only the words as typed."""
    words = query_words(req.text)
    if req.autocomplete:
        return MatchedTerms(frozenset(stem(w) for w in words))
    # the compilers' words and rule
    return MatchedTerms.of((w for group in req.word_groups() for alternative in group for w in alternative),
                           req.exact_words, req.typos)


def make_hit(display: dict, terms: MatchedTerms, score: float) -> SearchHit:
    """A listing hit from the indexed display fields (the same on both engines); ``terms``
    (matched_terms()) says which words of the name to highlight."""
    compare = display.get("compare_at_price")
    return SearchHit(
        id=int(display["id"]), name=display["name"], slug=display["slug"], sku=display["sku"],
        brand=display["brand"], price=_money(display["price"]), currency=display["currency"],
        compare_at_price=_money(compare) if compare is not None else None, in_stock=bool(display["in_stock"]),
        rating=float(display["rating"]), rating_count=int(display["rating_count"]),
        image_url=display.get("image_url", ""), highlighted_name=highlight(display["name"], terms), score=score,
    )
