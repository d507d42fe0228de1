"""The reactive search and category pages (django-unicorn component "search-page").

On a category page the template passes ``scope`` (the category's path): the listing is the
search scoped to that subtree, its links and address the category page's.

Its state is the page's GET parameters, split into the fields the template binds
with ``unicorn:model`` (text, sort, price bounds) and ``filters`` (everything
else). Every action derives the next state with the same functions that build
the page's plain links (``search.web.listing``), so the component and the no-JS page
always agree on what a click means; the template exposes the state's query
string for static/js/search-page.js to put in the address bar.
"""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from django.urls import reverse
from django_unicorn.components import UnicornView

from search.facets import FACETS, accepts_param
from search.web.listing import (
    Listing,
    Params,
    build_listing,
    category_page_url,
    cleared,
    params_from_query,
    scope_category,
    toggled,
    with_page,
    with_text,
    without,
)

# Bound to inputs (unicorn:model); everything else lives in ``filters``.
FIELDS = ("q", "sort", "price_min", "price_max", "page")
# The posted state is the shopper's to forge: keep it to what a real page can hold.
MAX_ATTRIBUTE_FILTERS = 20
MAX_VALUES = 50
MAX_QUERY_CHARS = 4000


def _is_filter(name: str) -> bool:
    """A parameter kept in ``filters``: a facet's (not bound to an input) or the page size."""
    return name == "page_size" or (name not in FIELDS and accepts_param(name))


def fields_from_params(params: Params) -> dict:
    """The component's state for a URL's parameters (unknown parameters are dropped)."""
    fields: dict = {name: (params.get(name) or [""])[-1] for name in FIELDS}
    # The sort <select> is bound (unicorn:model) and shows this value after each render:
    # no sort in the URL is "relevance", an option ("" would leave the select blank).
    fields["sort"] = fields["sort"] or "relevance"
    fields["filters"] = {name: list(values) for name, values in params.items() if _is_filter(name)}
    return fields


def params_from_fields(fields: dict) -> Params:
    """The URL's parameters for the component's state, in a stable order; tolerant of
    whatever a client posted (strings, numbers, lists)."""
    posted_filters = fields.get("filters")
    filters: dict = posted_filters if isinstance(posted_filters, dict) else {}

    def text(value: object) -> str:
        return str(value).strip() if isinstance(value, str | int) else ""

    def values(name: str) -> list[str]:
        raw = filters.get(name) or []
        raw = [raw] if isinstance(raw, str | int) else raw
        return [text(v) for v in raw if text(v)][:MAX_VALUES] if isinstance(raw, list) else []

    params: Params = {}

    def put(name: str, found: list[str]) -> None:
        if found:
            params[name] = found

    put("q", [text(fields.get("q"))] if text(fields.get("q")) else [])
    # Each facet's parameters in the registry's order; those of a facet with a family of
    # parameters (attributes) sorted, and only so many.
    for facet in FACETS:
        for name in facet.params():
            bound = name in FIELDS
            put(name, ([text(fields.get(name))] if text(fields.get(name)) else []) if bound else values(name))
        family = sorted(k for k in filters if isinstance(k, str) and k not in facet.params()
                        and facet.accepts_param(k))
        for name in family[:MAX_ATTRIBUTE_FILTERS]:
            put(name, values(name))
    sort = text(fields.get("sort"))
    put("sort", [sort] if sort and sort != "relevance" else [])
    page = text(fields.get("page"))
    put("page", [page] if page not in ("", "1") else [])
    put("page_size", values("page_size"))
    return params


def _same_state(a: Params, b: Params) -> bool:
    """Equal whatever the order of the parameters in the URL."""
    return sorted((k, tuple(v)) for k, v in a.items()) == sorted((k, tuple(v)) for k, v in b.items())


class SearchPageView(UnicornView):
    q: str = ""
    sort: str = ""
    price_min: str = ""
    price_max: str = ""
    # A string, like the URL: an invalid page must reach validation, not be cast away.
    page: str = ""
    # The facets' parameters that no input is bound to, and page_size → list of values.
    # Always replaced in mount(), so instances never share the class-level dict.
    filters: dict = {}
    # A category page's category path ("" on /search). Posted back with each message like the
    # rest of the state, so it is looked up again (an unknown path is the whole catalog).
    scope: str = ""

    class Meta:
        login_not_required = True

    # ---- state <-> GET parameters ---------------------------------------------

    def mount(self) -> None:
        # On the page render this is the shopper's GET; on a message it is empty
        # and the posted data sets the state right after.
        self._set_state(params_from_query(self.request.GET) if self.request else {})

    def _state(self) -> Params:
        return params_from_fields({name: getattr(self, name) for name in (*FIELDS, "filters")})

    def _set_state(self, params: Params) -> None:
        for name, value in fields_from_params(params).items():
            setattr(self, name, value)

    # ---- actions (called from the template's unicorn: attributes) --------------

    def toggle_filter(self, facet: str, value: str = "") -> None:
        self._set_state(toggled(self._state(), str(facet), str(value)))

    def remove_filter(self, facet: str, value: str = "") -> None:
        self._set_state(without(self._state(), str(facet), str(value)))

    def clear_filters(self) -> None:
        self._set_state(cleared(self._state()))

    def go_to_page(self, page: int) -> None:
        self._set_state(with_page(self._state(), int(page) if str(page).isdigit() else 1))

    def search_for(self, text: str) -> None:
        """The "did you mean" link: search the suggestion, keeping the filters."""
        self._set_state(with_text(self._state(), str(text)[:200]))

    def apply_filters(self) -> None:
        """A form submitted with JavaScript on: the bound inputs are synced already."""
        self.page = ""

    def restore_query(self, query: str) -> None:
        """Back/forward: take the state from the address bar's query string."""
        self._set_state(params_from_query(QueryDict(str(query)[:MAX_QUERY_CHARS])))

    # unicorn calls updated_<name> after syncing a bound input.
    def updated_q(self, value: Any) -> None:
        self.page = ""

    def updated_sort(self, value: Any) -> None:
        self.page = ""

    def updated_price_min(self, value: Any) -> None:
        self.page = ""

    def updated_price_max(self, value: Any) -> None:
        self.page = ""

    # ---- rendering -------------------------------------------------------------

    def get_context_data(self, **kwargs: Any) -> dict:
        context = super().get_context_data(**kwargs)
        # The page view has already searched this state (it needs the result to answer
        # 400/503): reuse it once instead of searching twice. Later renders search again.
        given = (self.extra_context or {}).get("listing")
        self.extra_context: dict[str, Any] | None = None  # TemplateView's (UnicornView is untyped)
        # (Compared as the component keeps state: parameters it drops, like utm_*, aside.)
        if isinstance(given, Listing) and _same_state(
            params_from_fields(fields_from_params(given.params)), self._state()
        ):
            context["listing"] = given
            category = context.get("category") if self.scope else None  # the page view's
        else:
            category = scope_category(self.scope)
            context["listing"] = build_listing(
                self._state(),
                base_url=category.get_absolute_url() if category else reverse("search"),
                category=category.slug_path if category else None,
                category_url=category_page_url,
                http_request=self.request,
            )
        context["scope_name"] = category.name if category else ""
        # A landing page's listing HTML is cached by the page view's key (the first render only).
        context.setdefault("listing_cache_seconds", 0)
        context.setdefault("listing_cache_key", "")
        return context
