"""The engine-neutral search request and result.

Views turn GET parameters into a validated ``SearchRequest``; each engine's
compiler turns it into that engine's query. Nothing else builds queries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

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

_SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
_CATEGORY_PATH = re.compile(r"^[-a-zA-Z0-9_]+(/[-a-zA-Z0-9_]+)*$")
_ATTR_VALUE_MAX = 80


class InvalidSearchRequest(ValueError):
    """A request a shopper can fix; the message says how."""


@dataclass(frozen=True)
class SearchRequest:
    text: str = ""
    category: str | None = None
    brands: tuple[str, ...] = ()
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    rating_min: int | None = None
    in_stock: bool = False
    attributes: tuple[tuple[str, tuple[str, ...]], ...] = ()
    sort: str = "relevance"
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    with_facets: bool = True
    # As-you-type: every word matches as a prefix of a name or brand word.
    autocomplete: bool = False
    # The relaxed fallback: any word may match instead of every word.
    match_any: bool = False
    # Set by search.services, never from the URL: merchandising rules for this
    # query (search.rules.Tuning), a restriction to given ids (pins), and an
    # explicit (offset, limit) when pins shift the organic results.
    tuning: object | None = None
    only_ids: tuple[int, ...] = ()
    window: tuple[int, int] | None = None
    # Set by search.services from the category's price bucketing (never from the URL):
    # a fixed range width, or a number of ranges holding similar numbers of products;
    # neither: round-number ranges that adapt to the results.
    price_step: float | None = None
    price_equal_ranges: int = 0

    def __post_init__(self) -> None:
        if len(self.text) > MAX_TEXT_LENGTH:
            raise InvalidSearchRequest(f"The search text is limited to {MAX_TEXT_LENGTH} characters.")
        if self.category is not None and not _CATEGORY_PATH.match(self.category):
            raise InvalidSearchRequest("Unknown category.")
        if any(not _SLUG.match(b) for b in self.brands) or len(self.brands) > MAX_FILTER_VALUES:
            raise InvalidSearchRequest("Unknown brand.")
        if self.sort not in SORTS:
            raise InvalidSearchRequest(f"Sort must be one of: {', '.join(SORTS)}.")
        if self.page < 1:
            raise InvalidSearchRequest("Page numbers start at 1.")
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise InvalidSearchRequest(f"Page size must be between 1 and {MAX_PAGE_SIZE}.")
        if self.page * self.page_size > MAX_RESULT_WINDOW:
            raise InvalidSearchRequest(
                f"Only the first {MAX_RESULT_WINDOW} results can be browsed; refine the search or the filters."
            )
        for bound in (self.price_min, self.price_max):
            if bound is not None and (bound < 0 or bound > Decimal("100000000")):
                raise InvalidSearchRequest("Prices must be between 0 and 100,000,000.")
        if self.price_min is not None and self.price_max is not None and self.price_min > self.price_max:
            raise InvalidSearchRequest("The minimum price is above the maximum price.")
        if self.rating_min is not None and not 1 <= self.rating_min <= 5:
            raise InvalidSearchRequest("The rating filter must be between 1 and 5.")
        for code, values in self.attributes:
            if not _SLUG.match(code) or len(values) > MAX_FILTER_VALUES:
                raise InvalidSearchRequest("Unknown attribute filter.")
            if any(len(v) > _ATTR_VALUE_MAX for v in values):
                raise InvalidSearchRequest("Attribute filter values are limited to 80 characters.")

    @property
    def offset(self) -> int:
        return self.window[0] if self.window else (self.page - 1) * self.page_size

    @property
    def limit(self) -> int:
        return self.window[1] if self.window else self.page_size

    def attribute_filters(self) -> dict[str, tuple[str, ...]]:
        return dict(self.attributes)

    @classmethod
    def from_params(cls, params, *, category: str | None = None, **overrides) -> SearchRequest:
        """Build from GET parameters (a QueryDict or a dict of lists)."""

        def get(name: str, default: str = "") -> str:
            value = params.get(name, default)
            if isinstance(value, list):
                value = value[-1] if value else default
            return str(value).strip()

        def get_list(name: str) -> list[str]:
            values = params.getlist(name) if hasattr(params, "getlist") else params.get(name, [])
            if isinstance(values, str):
                values = [values]
            return [str(v).strip() for v in values if str(v).strip()]

        attributes = {}
        for key in sorted(params.keys()):
            if key.startswith("attr_"):
                values = tuple(sorted(set(get_list(key))))
                if values:
                    attributes[key[5:]] = values
        return cls(
            text=" ".join(get("q").split()),
            category=category if category is not None else (get("category") or None),
            brands=tuple(sorted(set(get_list("brand")))),
            price_min=_decimal(get("price_min"), "minimum price"),
            price_max=_decimal(get("price_max"), "maximum price"),
            rating_min=_int(get("rating"), "rating"),
            in_stock=get("in_stock") in ("1", "true", "on"),
            attributes=tuple(attributes.items()),
            sort=get("sort") or "relevance",
            page=_int(get("page"), "page") or 1,
            page_size=_int(get("page_size"), "page size") or DEFAULT_PAGE_SIZE,
            **overrides,
        )


def _decimal(raw: str, label: str) -> Decimal | None:
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise InvalidSearchRequest(f"The {label} must be a number.") from None
    if not value.is_finite():
        raise InvalidSearchRequest(f"The {label} must be a number.")
    return value


def _int(raw: str, label: str) -> int | None:
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 9:
        raise InvalidSearchRequest(f"The {label} must be a whole number.")
    return int(raw)


@dataclass
class SearchHit:
    id: int
    name: str
    slug: str
    sku: str
    brand: str
    price: Decimal
    currency: str
    compare_at_price: Decimal | None
    in_stock: bool
    rating: float
    rating_count: int
    image_url: str
    # Name with the matched words wrapped in <mark>; built from escaped text.
    highlighted_name: str = ""
    score: float = 0.0
    pinned: bool = False
    # Set by the views when the search was recorded: the link records the click.
    click_url: str = ""


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


@dataclass
class SearchResult:
    request: SearchRequest
    total: int
    hits: list[SearchHit]
    facets: list[Facet] = field(default_factory=list)
    suggestion: str | None = None
    relaxed: bool = False
    # A merchandiser's redirect for this query: views send the shopper there.
    redirect: str | None = None

    @property
    def num_pages(self) -> int:
        capped = min(self.total, MAX_RESULT_WINDOW)
        return max(1, -(-capped // self.request.page_size))
