"""A listing page's view model: the search result plus the links, chips, pages and
hidden form inputs the templates need, so facets work as plain links and GET forms
(no JavaScript) and the reactive component renders the very same markup.

The page state is the GET parameters (``Params``: name → values, in URL order).
Every link is computed here from that state, and the reactive component changes
its state with the same functions (``toggled``, ``without``, ``cleared``), so a
click with JavaScript and a link followed without it land on the same URL.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from search.analytics.experiments import assigned_variant
from search.analytics.recorder import click_url_maker, record_search
from search.backends import SearchUnavailable
from search.facets import FACETS, Chip, FacetGroup, LinkContext, facet_for, parse_request
from search.facets.state import Params, first, fresh, params_from_query, query_string, url_for, with_page, with_text
from search.query.request import SORTS, InvalidSearchRequest, PageBeyondWindow, SearchRequest
from search.query.result import SearchHit, SearchResult
from search.services import search_products
from search.web.dead_ends import RemovableFilter, popular_products, removable_filters
from store.models import Category
from store.pagination import Pagination, paginate
from taxes.display import apply_display_rates

logger = logging.getLogger(__name__)

__all__ = ["Listing", "Params", "build_listing", "category_page_url", "cleared", "params_from_query", "scope_category",
           "toggled", "with_page", "with_text", "without"]

UNAVAILABLE_MESSAGE = "Search is temporarily unavailable. Please try again in a moment."
# "Clear all" keeps what was searched and how it is shown, not how it was narrowed.
KEPT_BY_CLEAR = ("q", "sort", "page_size")


def toggled(params: Params, facet: str, value: str) -> Params:
    """The state after clicking ``value`` of ``facet``: select it, or unselect it if it was selected."""
    declared = facet_for(facet)
    return declared.toggled(params, facet, str(value)) if declared else fresh(params)


def without(params: Params, facet: str, value: str = "") -> Params:
    """The state without one selected value (a chip's ×); a range goes as a whole."""
    declared = facet_for(facet)
    return declared.without(params, facet, value) if declared else fresh(params)


def category_page_url(slug_path: str) -> str:
    return reverse("category", kwargs={"slug_path": slug_path})


def scope_category(slug_path: str) -> Category | None:
    """The category a category page's component is scoped to, or None (the whole catalog)."""
    path = str(slug_path or "").strip("/")[:600]
    return Category.objects.filter(slug_path=path).first() if path else None


def cleared(params: Params) -> Params:
    return {name: list(values) for name, values in params.items() if name in KEPT_BY_CLEAR}


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
    # When the results are for a spelling correction: the original text, searched as typed.
    exact_href: str = ""
    # Category pages: the category is the page, so it is neither a chip nor a hidden input.
    fixed_category: bool = False
    # A page asked for past the last one (the result is the first page's, without its hits).
    past_the_end: bool = False
    # No results: the filters whose removal brings some back (with how many), the best sellers.
    removable: list[RemovableFilter] = field(default_factory=list)
    popular: list[SearchHit] = field(default_factory=list)

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
        return first(self.params, "q")

    @property
    def sort(self) -> str:
        return self.search_request.sort if self.search_request else first(self.params, "sort") or "relevance"

    @property
    def sort_options(self) -> list[tuple[str, str, bool]]:
        return [(value, label, value == self.sort) for value, label in SORTS.items()]

    @property
    def first_page_href(self) -> str:
        return url_for(self.base_url, with_page(self.params, 1))

    @property
    def clear_href(self) -> str:
        return url_for(self.base_url, cleared(self.params))

    @property
    def price_min(self) -> str:
        return first(self.params, "price_min")

    @property
    def price_max(self) -> str:
        return first(self.params, "price_max")

    def _pairs(self, skip: Iterable[str]) -> list[tuple[str, str]]:
        skipped = set(skip)
        return [(name, v) for name, values in self.params.items() if name not in skipped for v in values]

    @property
    def search_form_hidden(self) -> list[tuple[str, str]]:
        """A new text keeps the filters and the sort, not the page (nor ``exact``: a new text may be corrected)."""
        return self._pairs(("q", "page", "exact"))

    @property
    def sort_form_hidden(self) -> list[tuple[str, str]]:
        return self._pairs(("sort", "page"))

    @property
    def facet_form_hidden(self) -> list[tuple[str, str]]:
        """Everything the filter form has no visible input for (ticked boxes and the price
        inputs submit themselves), so "Apply" keeps the rest of the state."""
        shown = {(g.param, o.value) for g in self.groups if g.kind == "checkbox"
                 for o in g.options if o.selected}
        skip = {"page", "price_min", "price_max"}  # the price inputs submit themselves
        skip |= {g.param for g in self.groups if g.owns_param}
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
        listing.search_request = served_request(parse_request(params, category=category), http_request)
        started = time.perf_counter()
        listing.result = search_products(listing.search_request)
        track_clicks(http_request, listing.search_request, listing.result, time.perf_counter() - started)
    except PageBeyondWindow as exc:
        # page=300 of a three-page result is past the end, not a search to refine: say so,
        # with the first page's facets to go on from (unless there really are that many pages).
        first_page = build_listing(with_page(params, 1), base_url=base_url, category=category,
                                   category_url=category_url, http_request=http_request)
        wanted = parse_int_or_zero(first(params, "page"))
        if first_page.result is not None and first_page.result.num_pages < wanted:
            first_page.params, first_page.past_the_end = params, True
            first_page.result = replace(first_page.result, hits=[])
            return first_page
        listing.error, listing.status = str(exc), 400
        return listing
    except InvalidSearchRequest as exc:
        listing.error, listing.status = str(exc), 400
        return listing
    except SearchUnavailable:
        logger.exception("search engine unavailable")
        listing.error, listing.status = UNAVAILABLE_MESSAGE, 503
        return listing
    apply_display_rates(listing.result.hits)  # tax-inclusive display: one query per page, else none
    _decorate(listing, category_url)
    if listing.result.total == 0 and listing.search_request.page == 1:
        def served(search_request: SearchRequest) -> SearchRequest:
            return served_request(search_request, http_request)

        listing.removable = removable_filters(params, listing.chips, category, served)
        listing.popular = popular_products(category, served)
        apply_display_rates(listing.popular)
    return listing


def parse_int_or_zero(raw: str) -> int:
    return int(raw) if raw.isdigit() and len(raw) < 10 else 0


def served_request(search_request: SearchRequest, http_request: HttpRequest | None) -> SearchRequest:
    """The request with what the shopper's session adds: the engine preference, and the A/B
    test variant for a text search (browse listings are the same for every variant)."""
    variant = assigned_variant(http_request) if search_request.text and not search_request.autocomplete else ""
    return replace(search_request, preference=search_preference(http_request), variant=variant)


def search_preference(http_request: HttpRequest | None) -> str:
    """An opaque value per shopper for the engine's ``preference`` (stable paging across
    replicas): a hash of the session key, or of the CSRF cookie the search page sets before
    a session exists. Hashed, so the engine never sees a session's key."""
    if http_request is None:
        return ""
    session = getattr(http_request, "session", None)
    secret = (session.session_key if session is not None else None) or http_request.COOKIES.get(
        settings.CSRF_COOKIE_NAME, "")
    return hashlib.sha256(f"search-preference:{secret}".encode()).hexdigest()[:16] if secret else ""


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
    """The sidebar groups, chips, pages and suggestion link, each facet's from its declaration."""
    result, req, params = listing.result, listing.search_request, listing.params
    assert result is not None and req is not None

    def href(new: Params) -> str:
        return url_for(listing.base_url, new)

    links = LinkContext(href, req, category_url, fixed_category=listing.fixed_category)
    for facet in result.facets:
        declared = facet_for(facet.name)
        group = declared.group(facet, params, links) if declared else None
        if group is not None:
            listing.groups.append(group)
    by_name = {f.name: f for f in result.facets}
    for declared in FACETS:
        selection = declared.selection_of(req)
        if selection is not None:
            listing.chips += declared.chips(selection, by_name, params, links)

    listing.pagination = paginate(req.page, result.num_pages, lambda n: href(with_page(params, n)))
    if result.suggestion:
        listing.suggestion_href = href(without_exact(with_text(params, result.suggestion)))
    if result.corrected_text:
        listing.exact_href = href({**without_exact(with_text(params, req.text)), "exact": ["1"]})


def without_exact(params: Params) -> Params:
    return {name: values for name, values in params.items() if name != "exact"}
