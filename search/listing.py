"""A listing page's view model: the search result plus the links, chips, pages and
hidden form inputs the templates need, so facets work as plain links and GET forms
(no JavaScript) and the reactive component renders the very same markup.

The page state is the GET parameters (``Params``: name → values, in URL order).
Every link is computed here from that state, and the reactive component changes
its state with the same functions (``toggled``, ``without``, ``cleared``), so a
click with JavaScript and a link followed without it land on the same URL.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest

from search.analytics import click_url_maker, record_search
from search.backends import SearchUnavailable
from search.request import SORTS, Facet, InvalidSearchRequest, SearchRequest, SearchResult
from search.services import search_products
from store.pagination import Pagination, paginate
from store.templatetags.storefront import money

logger = logging.getLogger(__name__)

Params = dict[str, list[str]]

UNAVAILABLE_MESSAGE = "Search is temporarily unavailable. Please try again in a moment."
# A facet's values set these GET parameters; "price" sets price_min/price_max and
# an attribute facet's name (attr_<code>) is its parameter.
FACET_PARAMS = {"category": "category", "brand": "brand", "rating": "rating", "availability": "in_stock"}
# The facets a shopper may tick several values of (checkboxes); the others are single-choice links.
CHECKBOX_FACETS = ("brand", "availability")
# "Clear all" keeps what was searched and how it is shown, not how it was narrowed.
KEPT_BY_CLEAR = ("q", "sort", "page_size")
MAX_PARAM_VALUES = 60


def params_from_query(query: Mapping) -> Params:
    """GET parameters (a QueryDict or a dict of lists/strings) as ordered, non-empty Params."""
    params: Params = {}
    items = query.lists() if hasattr(query, "lists") else query.items()
    for name, values in items:
        if isinstance(values, str):
            values = [values]
        cleaned = [str(v).strip() for v in values if str(v).strip()][:MAX_PARAM_VALUES]
        if cleaned:
            params[str(name)] = cleaned
    return params


def query_string(params: Params) -> str:
    return urlencode([(name, value) for name, values in params.items() for value in values])


def url_for(base_url: str, params: Params) -> str:
    query = query_string(params)
    return f"{base_url}?{query}" if query else base_url


def _first(params: Params, name: str) -> str:
    values = params.get(name) or [""]
    return values[-1]


def _set(params: Params, name: str, values: list[str]) -> None:
    """Set in place (keeping the parameter's position in the URL), append if new, drop if empty."""
    if values:
        params[name] = values
    else:
        params.pop(name, None)


def _decimal(raw: str) -> Decimal | None:
    try:
        value = Decimal(raw)
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def _fresh(params: Params) -> Params:
    """A copy without the page: any change of what is listed starts at page 1."""
    return {name: list(values) for name, values in params.items() if name != "page"}


def price_selected(params: Params, key: str) -> bool:
    lo, _, hi = key.partition("-")
    return (_decimal(lo) if lo else None, _decimal(hi) if hi else None) == (
        _decimal(_first(params, "price_min")), _decimal(_first(params, "price_max"))
    )


def toggled(params: Params, facet: str, value: str) -> Params:
    """The state after clicking ``value`` of ``facet``: select it, or unselect it if it was selected."""
    new = _fresh(params)
    value = str(value)
    if facet == "price":
        if price_selected(params, value):
            _set(new, "price_min", [])
            _set(new, "price_max", [])
        else:
            lo, _, hi = value.partition("-")
            _set(new, "price_min", [lo] if lo else [])
            _set(new, "price_max", [hi] if hi else [])
    elif facet == "brand" or facet.startswith("attr_"):
        values = new.get(facet, [])
        _set(new, facet, [v for v in values if v != value] if value in values else [*values, value])
    elif facet == "availability":
        # SearchRequest reads "1", "true" and "on" as ticked.
        _set(new, "in_stock", [] if _first(new, "in_stock") in ("1", "true", "on") else ["1"])
    elif facet in FACET_PARAMS:
        name = FACET_PARAMS[facet]
        current = _first(new, name)
        same = current == value or (facet == "rating" and current.isdigit() and value.isdigit()
                                    and int(current) == int(value))
        _set(new, name, [] if same else [value])
    return new


def without(params: Params, facet: str, value: str = "") -> Params:
    """The state without one selected value (a chip's ×); price goes as a whole."""
    new = _fresh(params)
    if facet == "price":
        _set(new, "price_min", [])
        _set(new, "price_max", [])
    else:
        name = FACET_PARAMS.get(facet, facet)
        _set(new, name, [v for v in new.get(name, []) if value and v != value])
    return new


def cleared(params: Params) -> Params:
    return {name: list(values) for name, values in params.items() if name in KEPT_BY_CLEAR}


def with_text(params: Params, text: str) -> Params:
    new = _fresh(params)
    _set(new, "q", [text] if text else [])
    return new


def with_page(params: Params, page: int) -> Params:
    new = {name: list(values) for name, values in params.items()}
    _set(new, "page", [str(page)] if page > 1 else [])
    return new


@dataclass
class FacetOption:
    value: str
    label: str
    count: int
    selected: bool
    href: str
    depth: int = 0
    # The category a shopper is in: shown as text, not as a link.
    current: bool = False


@dataclass
class FacetGroup:
    name: str
    label: str
    kind: str  # "tree", "checkbox" or "links"
    options: list[FacetOption]
    # The GET parameter of a checkbox group's inputs.
    param: str = ""
    # Price only: the range of the listed prices (min, max) and whole-number hints
    # for the min/max inputs (low, high).
    stats: dict = field(default_factory=dict)


@dataclass
class Chip:
    facet: str
    value: str
    label: str
    href: str


@dataclass
class Listing:
    base_url: str
    params: Params
    search_request: SearchRequest | None = None
    result: SearchResult | None = None
    error: str | None = None
    status: int = 200
    groups: list[FacetGroup] = field(default_factory=list)
    chips: list[Chip] = field(default_factory=list)
    pagination: Pagination | None = None
    suggestion_href: str = ""
    # Category pages: the category is the page, so it is neither a chip nor a hidden input.
    fixed_category: bool = False

    @property
    def redirect(self) -> str | None:
        """A merchandiser's redirect for the searched text (the views send the shopper there)."""
        return getattr(self.result, "redirect", None)

    @property
    def query(self) -> str:
        return query_string(self.params)

    @property
    def url(self) -> str:
        return url_for(self.base_url, self.params)

    @property
    def text(self) -> str:
        return _first(self.params, "q")

    @property
    def sort(self) -> str:
        return self.search_request.sort if self.search_request else _first(self.params, "sort") or "relevance"

    @property
    def sort_options(self) -> list[tuple[str, str, bool]]:
        return [(value, label, value == self.sort) for value, label in SORTS.items()]

    @property
    def clear_href(self) -> str:
        return url_for(self.base_url, cleared(self.params))

    @property
    def price_min(self) -> str:
        return _first(self.params, "price_min")

    @property
    def price_max(self) -> str:
        return _first(self.params, "price_max")

    def _pairs(self, skip: Iterable[str]) -> list[tuple[str, str]]:
        skipped = set(skip)
        return [(name, v) for name, values in self.params.items() if name not in skipped for v in values]

    @property
    def search_form_hidden(self) -> list[tuple[str, str]]:
        """A new text keeps the filters and the sort, not the page."""
        return self._pairs(("q", "page"))

    @property
    def sort_form_hidden(self) -> list[tuple[str, str]]:
        return self._pairs(("sort", "page"))

    @property
    def facet_form_hidden(self) -> list[tuple[str, str]]:
        """Everything the filter form has no visible input for (ticked boxes and the price
        inputs submit themselves), so "Apply" keeps the rest of the state."""
        shown = {(g.param, o.value) for g in self.groups if g.kind == "checkbox"
                 for o in g.options if o.selected}
        skip = {"page", "price_min", "price_max"}
        if any(g.name == "availability" for g in self.groups):
            skip.add("in_stock")  # its box stands for any spelling of "ticked"
        return [(name, v) for name, v in self._pairs(skip) if (name, v) not in shown]


def build_listing(
    params: Params,
    *,
    base_url: str,
    category: str | None = None,
    category_url: Callable[[str], str] | None = None,
    http_request: HttpRequest | None = None,
) -> Listing:
    """Validate and run the search for ``params``; never raises for a shopper's input or an
    engine outage: ``error`` and ``status`` (400/503) say what went wrong.

    ``category`` scopes a category page (its ``category`` parameter is ignored) and
    ``category_url`` turns a category path into that page's URL for the drill-down links."""
    if category is not None:
        params = {name: values for name, values in params.items() if name != "category"}
    listing = Listing(base_url=base_url, params=params, fixed_category=category is not None)
    try:
        listing.search_request = SearchRequest.from_params(params, category=category)
        started = time.perf_counter()
        listing.result = search_products(listing.search_request)
        track_clicks(http_request, listing.search_request, listing.result, time.perf_counter() - started)
    except InvalidSearchRequest as exc:
        listing.error, listing.status = str(exc), 400
        return listing
    except SearchUnavailable:
        logger.exception("search engine unavailable")
        listing.error, listing.status = UNAVAILABLE_MESSAGE, 503
        return listing
    _decorate(listing, category_url)
    return listing


def track_clicks(http_request: HttpRequest | None, search_request: SearchRequest, result: SearchResult,
                 seconds: float) -> None:
    """Record the search (asynchronously) and route each hit's link through the click recorder."""
    token = record_search(http_request, search_request, result, seconds * 1000)
    if not token:
        return
    click_url = click_url_maker(token, search_request.text)
    for position, hit in enumerate(result.hits, start=search_request.offset + 1):
        hit.click_url = click_url(hit.id, position)


def _decorate(listing: Listing, category_url: Callable[[str], str] | None) -> None:
    result, req, params = listing.result, listing.search_request, listing.params
    assert result is not None and req is not None

    def href(new: Params) -> str:
        return url_for(listing.base_url, new)

    facets = {f.name: f for f in result.facets}
    for facet in result.facets:
        group = _group(facet, params, href, req, category_url)
        if group is not None:
            listing.groups.append(group)

    if req.category and not listing.fixed_category:
        label = next((v.label for v in facets["category"].values if v.value == req.category), req.category)
        listing.chips.append(Chip("category", req.category, label, href(without(params, "category"))))
    brand_labels = {v.value: v.label for v in facets["brand"].values} if "brand" in facets else {}
    chips = listing.chips
    for slug in req.brands:
        chips.append(Chip("brand", slug, brand_labels.get(slug, slug), href(without(params, "brand", slug))))
    if req.price_min is not None or req.price_max is not None:
        label = _price_label(req.price_min, req.price_max)
        chips.append(Chip("price", "", label, href(without(params, "price"))))
    if req.rating_min:
        label = f"{req.rating_min}★ & up"
        chips.append(Chip("rating", str(req.rating_min), label, href(without(params, "rating"))))
    if req.in_stock:
        chips.append(Chip("availability", "1", "In stock only", href(without(params, "availability"))))
    for code, values in req.attributes:
        facet = facets.get(f"attr_{code}")
        label = facet.label if facet else code.replace("_", " ").capitalize()
        for value in values:
            removed = href(without(params, f"attr_{code}", value))
            chips.append(Chip(f"attr_{code}", value, f"{label}: {value}", removed))

    listing.pagination = paginate(req.page, result.num_pages, lambda n: href(with_page(params, n)))
    if result.suggestion:
        listing.suggestion_href = href(with_text(params, result.suggestion))


def _group(facet: Facet, params: Params, href: Callable[[Params], str], req: SearchRequest,
           category_url: Callable[[str], str] | None) -> FacetGroup | None:
    if facet.name == "category":
        options = []
        if req.category and category_url is None:
            options.append(FacetOption("", "All categories", 0, False, href(without(params, "category"))))
        for v in facet.values:
            # A category page's drill-down goes to the category's own page, keeping the filters.
            target = url_for(category_url(v.value), _fresh(params)) if category_url else href(
                toggled(params, "category", v.value) if v.value != req.category else params
            )
            options.append(FacetOption(v.value, v.label, v.count, v.selected, target, v.depth,
                                       current=v.value == req.category))
        return FacetGroup("category", facet.label, "tree", options) if options else None
    if facet.name == "price":
        stats = dict(getattr(facet, "stats", {}) or {})
        if stats.get("min") is not None and stats.get("max") is not None:
            # Whole-currency hints for the min/max inputs.
            stats["low"], stats["high"] = int(math.floor(stats["min"])), int(math.ceil(stats["max"]))
        if not facet.values and stats.get("min") is None and req.price_min is None and req.price_max is None:
            return None
        options = [FacetOption(v.value, v.label, v.count, price_selected(params, v.value),
                               href(toggled(params, "price", v.value))) for v in facet.values]
        return FacetGroup("price", facet.label, "links", options, stats=stats)
    param = facet.name if facet.name.startswith("attr_") else FACET_PARAMS.get(facet.name, facet.name)
    options = [
        FacetOption(v.value, v.label, v.count, v.selected, href(toggled(params, facet.name, v.value)))
        for v in facet.values if v.count or v.selected
    ]
    if not options:
        return None
    checkbox = facet.name in CHECKBOX_FACETS or facet.name.startswith("attr_")
    return FacetGroup(facet.name, facet.label, "checkbox" if checkbox else "links", options, param=param)


def _price_label(low: Decimal | None, high: Decimal | None) -> str:
    currency = settings.SHOP_CURRENCY
    if low is not None and high is not None:
        return f"{money(low, currency)} – {money(high, currency)}"
    if low is not None:
        return f"From {money(low, currency)}"
    return f"Up to {money(high, currency)}"
