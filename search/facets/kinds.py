"""The kinds of facet a shop declares (search.facets.registry): terms (brand, vendor), the
hierarchical category, price ranges, a rating threshold, availability and the category's
attributes. Each turns its URL parameters into a selection, filters and aggregations,
and the engines' buckets back into values, links and chips."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from decimal import Decimal, InvalidOperation

from django.conf import settings

from search.query.filters import Filter
from search.query.request import MAX_FILTER_VALUES, InvalidSearchRequest, SearchRequest, Selection
from search.query.result import Facet, FacetValue
from store.templatetags.storefront import money

from . import prices
from .base import AggregationPlan, Chip, FacetGroup, FacetOption, LinkContext, SearchFacet, agg_buckets, query_parameter
from .labels import process_memo, shared_key, shared_labels
from .state import Params, decimal_or_none, first, fresh, put, toggled_value, url_for, values_of

MAX_TERMS = 200
MAX_ATTRIBUTE_TERMS = 1000
CATEGORY_ANCESTORS = "category_ancestors"  # the aggregation counting a selected category's ancestors
SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
_SLUG_SCHEMA = {"type": "string", "pattern": SLUG.pattern}
ATTRIBUTE_VALUE_MAX = 80
ATTRIBUTE_PARAM = re.compile(r"^attr_([-a-zA-Z0-9_]{1,60})$")
TICKED = ("1", "true", "on")
MAX_PRICE = Decimal("100000000")


def parse_decimal(raw: str, label: str) -> Decimal | None:
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise InvalidSearchRequest(f"The {label} must be a number.") from None
    if not value.is_finite():
        raise InvalidSearchRequest(f"The {label} must be a number.")
    return value


def parse_int(raw: str, label: str) -> int | None:
    if not raw:
        return None
    # ASCII digits only: str.isdigit() also holds for "²", which int() refuses (it was a 500).
    # A zero fraction ("3.0") is the same whole number, as JSON Schema's "integer" counts it.
    whole, dot, fraction = raw.partition(".")
    if (not (whole.isascii() and whole.isdigit()) or len(whole) > 9
            or (dot and not (fraction.isascii() and fraction.isdigit() and int(fraction) == 0))):
        raise InvalidSearchRequest(f"The {label} must be a whole number.")
    return int(whole)


def _sorted_values(values: list[FacetValue]) -> list[FacetValue]:
    return sorted(values, key=lambda v: (-v.count, v.label.lower()))


class _SingleParamFacet(SearchFacet):
    """A facet set by one GET parameter, ``param``."""

    param: str

    def params(self) -> tuple[str, ...]:
        return (self.param,)

    def without(self, params: Params, facet_name: str, value: str = "") -> Params:
        new = fresh(params)
        put(new, self.param, [v for v in new.get(self.param, []) if value and v != value])
        return new


class TermsFacet(_SingleParamFacet):
    """Any of several keyword values (brand, vendor): checkboxes, OR-ed.

    ``labels`` loads value → display name; ``min_values``: how many values with
    products the results must hold for the facet to show (nothing to choose from one)."""

    def __init__(self, name: str, label: str, *, field: str, param: str, echo_key: str, noun: str,
                 labels: Callable[[], dict[str, str]], label_models: tuple[type, ...] = (),
                 description: str = "", min_values: int = 0, autocomplete_size: int = 0,
                 single_valued: bool = True) -> None:
        self.name, self.label, self.field, self.param = name, label, field, param
        self.echo_key, self.noun, self.min_values = echo_key, noun, min_values
        self._labels, self._label_models = labels, label_models
        self.description = description or f"{noun.capitalize()} slugs; several are OR-ed."
        self.autocomplete_size, self.single_valued = autocomplete_size, single_valued
        shared_key(name)

    def labels(self) -> dict[str, str]:
        return shared_labels(self.name, self._labels)

    def label_sources(self) -> tuple[type, ...]:
        return self._label_models

    def parse(self, params: Mapping) -> Selection:
        values = tuple(sorted(set(values_of(params, self.param))))
        if any(not SLUG.match(v) for v in values) or len(values) > MAX_FILTER_VALUES:
            raise InvalidSearchRequest(f"Unknown {self.noun}.")
        return values or None

    def filters(self, selection: Selection) -> list[Filter]:
        return [Filter(self.name, "terms", self.field, tuple(selection), single_valued=self.single_valued)]

    def aggregations(self, request: SearchRequest) -> AggregationPlan:
        return [(self.name, {self.name: {"terms": {"field": self.field, "size": MAX_TERMS}}})]

    def autocomplete_aggregations(self) -> dict:
        if not self.autocomplete_size:
            return {}
        return {self.name: {"terms": {"field": self.field, "size": self.autocomplete_size}}}

    def index_fields(self) -> dict[str, str]:
        return {self.field: "keyword"}

    def build(self, request: SearchRequest, raw: dict) -> list[Facet]:
        labels = self.labels()
        selected = set(request.selection(self.name) or ())
        values = [FacetValue(b["key"], labels.get(b["key"], b["key"]), b["doc_count"], b["key"] in selected)
                  for b in agg_buckets(raw.get(self.name)) if b["key"]]  # "": a product without one
        # A selected value stays visible (count 0) so it can be unticked.
        for key in selected - {v.value for v in values}:
            values.append(FacetValue(key, labels.get(key, key), 0, True))
        if not selected and sum(1 for v in values if v.count) < self.min_values:
            return []
        return [Facet(self.name, self.label, _sorted_values(values))]

    def group(self, facet: Facet, params: Params, links: LinkContext) -> FacetGroup | None:
        options = self.options(facet, params, links)
        return FacetGroup(facet.name, facet.label, "checkbox", options, param=self.param) if options else None

    def toggled(self, params: Params, facet_name: str, value: str) -> Params:
        return toggled_value(params, self.param, value)

    def chips(self, selection: Selection, facets: Mapping[str, Facet], params: Params,
              links: LinkContext) -> list[Chip]:
        facet = facets.get(self.name)
        labels = {v.value: v.label for v in facet.values} if facet else {}
        return [Chip(self.name, key, labels.get(key, key), links.href(self.without(params, self.name, key)))
                for key in selection]

    def openapi_parameters(self) -> list[dict]:
        return [query_parameter(self.param, self.description, _SLUG_SCHEMA, repeated=True)]

    def describe(self, selection: Selection) -> dict:
        return {self.echo_key: list(selection or ())}


class CategoryFacet(_SingleParamFacet):
    """The category tree: the selected path's ancestors, then its subcategories (or the
    top level), counted per level. The category is also the request's scope (its
    attributes, price ranges and facet settings), so it has a field of its own."""

    name = "category"
    param = "category"

    def __init__(self, label: str = "Category", *, labels: Callable[[], dict[str, str]],
                 label_models: tuple[type, ...] = (), autocomplete_size: int = 8) -> None:
        self.label, self._labels, self._label_models = label, labels, label_models
        self.autocomplete_size = autocomplete_size
        shared_key(self.name)

    def labels(self) -> dict[str, str]:
        return shared_labels(self.name, self._labels)

    def label_sources(self) -> tuple[type, ...]:
        return self._label_models

    def selection_of(self, request: SearchRequest) -> Selection:
        return request.category

    def parse(self, params: Mapping) -> Selection:
        return first(params, self.param) or None  # SearchRequest validates the path

    def filters(self, selection: Selection) -> list[Filter]:
        return [Filter(self.name, "term", "category_paths", (selection,), single_valued=True)]

    def aggregations(self, request: SearchRequest) -> AggregationPlan:
        # Ancestors, the category and its subcategories are shown. The last two lie inside
        # the category filter and count the same with it as without it: counted under every
        # filter. The ancestors lie outside it: each is counted directly (a "filters"
        # aggregation: one count per ancestor, under every other filter), never by
        # re-aggregating all that the category filter leaves out (a whole catalog when browsing).
        plan: AggregationPlan = [(None, {self.name: {"terms": {"field": "category_paths", "size": MAX_TERMS}}})]
        parts = (request.category or "").split("/")
        ancestors = ["/".join(parts[:i]) for i in range(1, len(parts))]
        if ancestors:
            plan.append((self.name, {CATEGORY_ANCESTORS: {"filters": {"filters": {
                path: {"term": {"category_paths": path}} for path in ancestors}}}}))
        return plan

    def autocomplete_aggregations(self) -> dict:
        return {self.name: {"terms": {"field": "category_paths", "size": self.autocomplete_size}}}

    def index_fields(self) -> dict[str, str]:
        return {"category_paths": "keyword"}

    def build(self, request: SearchRequest, raw: dict) -> list[Facet]:
        labels = self.labels()
        counts = {b["key"]: b["doc_count"] for b in agg_buckets(raw.get(self.name))}
        # The ancestors' own counts ("filters" buckets are keyed by name), not their share of the selection.
        counts.update({b["key"]: b["doc_count"] for b in agg_buckets(raw.get(CATEGORY_ANCESTORS))})
        if request.autocomplete:
            # Suggest the most specific categories that hold the matches.
            ranked = sorted(counts.items(), key=lambda item: (-item[1], -item[0].count("/"), item[0]))
            values = [FacetValue(path, labels.get(path, path), n, False, path.count("/")) for path, n in ranked]
            return [Facet(self.name, self.label, values, kind="tree")]
        selected = request.category or ""
        depth = selected.count("/") + 1 if selected else 0
        values = []
        if selected:
            parts = selected.split("/")
            for i in range(1, len(parts) + 1):
                path = "/".join(parts[:i])
                values.append(FacetValue(path, labels.get(path, parts[i - 1]), counts.get(path, 0), True, i - 1))
        for path, n in sorted(counts.items()):
            if path.count("/") == depth and (not selected or path.startswith(selected + "/")):
                values.append(FacetValue(path, labels.get(path, path.rsplit("/", 1)[-1]), n, False, depth))
        return [Facet(self.name, self.label, values, kind="tree")]

    def group(self, facet: Facet, params: Params, links: LinkContext) -> FacetGroup | None:
        req, options = links.request, []
        if req.category and links.category_url is None:
            options.append(FacetOption("", "All categories", 0, False,
                                       links.href(self.without(params, self.name))))
        for v in facet.values:
            # A category page's drill-down goes to the category's own page, keeping the filters.
            if links.category_url:
                target = url_for(links.category_url(v.value), fresh(params))
            else:
                target = links.href(self.toggled(params, self.name, v.value) if v.value != req.category else params)
            options.append(FacetOption(v.value, v.label, v.count, v.selected, target, v.depth,
                                       current=v.value == req.category))
        return FacetGroup(self.name, facet.label, "tree", options) if options else None

    def toggled(self, params: Params, facet_name: str, value: str) -> Params:
        new = fresh(params)
        put(new, self.param, [] if first(new, self.param) == value else [value])
        return new

    def chips(self, selection: Selection, facets: Mapping[str, Facet], params: Params,
              links: LinkContext) -> list[Chip]:
        if links.fixed_category:  # the category is the page: neither a chip nor a hidden input
            return []
        facet = facets.get(self.name)
        label = next((v.label for v in facet.values if v.value == selection), selection) if facet else selection
        return [Chip(self.name, selection, label, links.href(self.without(params, self.name)))]

    def openapi_parameters(self) -> list[dict]:
        return [query_parameter(self.param, "A category slug path: the category and everything below it.",
                       {"type": "string", "pattern": r"^[-a-zA-Z0-9_]+(/[-a-zA-Z0-9_]+)*$",
                        "examples": ["clothing/tops"]})]

    def describe(self, selection: Selection) -> dict:
        return {self.name: selection}


class PriceFacet(SearchFacet):
    """Price ranges (links) and min/max inputs: one range at a time."""

    name = "price"
    bounds_params = ("price_min", "price_max")

    def __init__(self, label: str = "Price") -> None:
        self.label = label

    def params(self) -> tuple[str, ...]:
        return self.bounds_params

    def parse(self, params: Mapping) -> Selection:
        low = parse_decimal(first(params, "price_min"), "minimum price")
        high = parse_decimal(first(params, "price_max"), "maximum price")
        for bound in (low, high):
            if bound is not None and (bound < 0 or bound > MAX_PRICE):
                raise InvalidSearchRequest("Prices must be between 0 and 100,000,000.")
        if low is not None and high is not None and low > high:
            raise InvalidSearchRequest("The minimum price is above the maximum price.")
        return None if low is None and high is None else (low, high)

    def filters(self, selection: Selection) -> list[Filter]:
        low, high = selection
        return [Filter(self.name, "range", "price", gte=float(low) if low is not None else None,
                       lte=float(high) if high is not None else None)]

    def aggregations(self, request: SearchRequest) -> AggregationPlan:
        return [(self.name, {"price": {"stats": {"field": "price"}}, **prices.price_percentiles_agg(request)})]

    def followup_aggregations(self, request: SearchRequest, raw: dict) -> AggregationPlan:
        """The ranges are counted once the first run found the prices' spread."""
        if not (raw.get("price") or {}).get("count"):
            return []
        return [(self.name, prices.price_range_agg(prices.price_bounds(request, raw)))]

    def index_fields(self) -> dict[str, str]:
        return {"price": "float"}

    def build(self, request: SearchRequest, raw: dict) -> list[Facet]:
        values = [FacetValue(key, prices.range_label(key), count) for key, count in prices.price_values(raw)]
        stats = raw.get("price") or {}
        return [Facet(self.name, self.label, values, kind="range",
                      stats={"min": stats.get("min"), "max": stats.get("max")})]

    @staticmethod
    def selected_key(params: Params, key: str) -> bool:
        lo, _, hi = key.partition("-")
        return (decimal_or_none(lo) if lo else None, decimal_or_none(hi) if hi else None) == (
            decimal_or_none(first(params, "price_min")), decimal_or_none(first(params, "price_max"))
        )

    def group(self, facet: Facet, params: Params, links: LinkContext) -> FacetGroup | None:
        stats = dict(facet.stats)
        low, high = stats.get("min"), stats.get("max")
        if low is not None and high is not None:
            # Whole-currency hints for the min/max inputs.
            stats["low"], stats["high"] = int(math.floor(low)), int(math.ceil(high))
        if not facet.values and stats.get("min") is None and links.request.selection(self.name) is None:
            return None
        options = [FacetOption(v.value, v.label, v.count, self.selected_key(params, v.value),
                               links.href(self.toggled(params, facet.name, v.value))) for v in facet.values]
        return FacetGroup(self.name, facet.label, "range", options, stats=stats)

    def toggled(self, params: Params, facet_name: str, value: str) -> Params:
        new = fresh(params)
        if self.selected_key(params, value):
            put(new, "price_min", [])
            put(new, "price_max", [])
        else:
            lo, _, hi = value.partition("-")
            put(new, "price_min", [lo] if lo else [])
            put(new, "price_max", [hi] if hi else [])
        return new

    def without(self, params: Params, facet_name: str, value: str = "") -> Params:
        new = fresh(params)  # the range goes as a whole
        put(new, "price_min", [])
        put(new, "price_max", [])
        return new

    def chips(self, selection: Selection, facets: Mapping[str, Facet], params: Params,
              links: LinkContext) -> list[Chip]:
        low, high = selection
        currency = settings.SHOP_CURRENCY
        if low is not None and high is not None:
            label = f"{money(low, currency)} – {money(high, currency)}"
        elif low is not None:
            label = f"From {money(low, currency)}"
        else:
            label = f"Up to {money(high, currency)}"
        return [Chip(self.name, "", label, links.href(self.without(params, self.name)))]

    def openapi_parameters(self) -> list[dict]:
        # A number (the parser takes what Decimal reads) within the accepted bounds.
        bounds = {"type": "number", "minimum": 0, "maximum": int(MAX_PRICE)}
        return [query_parameter("price_min", "Lowest price; at most price_max.", {**bounds, "examples": [20]}),
                query_parameter("price_max", "Highest price.", {**bounds, "examples": [100]})]

    def describe(self, selection: Selection) -> dict:
        low, high = selection or (None, None)
        return {"price_min": None if low is None else f"{low:.2f}",
                "price_max": None if high is None else f"{high:.2f}"}


class RatingFacet(_SingleParamFacet):
    """An average rating of at least n stars: one threshold at a time."""

    name = "rating"
    param = "rating"
    steps = (4, 3, 2, 1)

    def __init__(self, label: str = "Rating") -> None:
        self.label = label

    def parse(self, params: Mapping) -> Selection:
        stars = parse_int(first(params, self.param), "rating")
        if stars is not None and not 1 <= stars <= 5:
            raise InvalidSearchRequest("The rating filter must be between 1 and 5.")
        return stars or None

    def filters(self, selection: Selection) -> list[Filter]:
        return [Filter(self.name, "range", "rating", gte=float(selection))]

    def aggregations(self, request: SearchRequest) -> AggregationPlan:
        # Disjoint bands (tantivy rejects overlapping ranges), summed into "n★ & up".
        top = max(self.steps)
        return [(self.name, {"rating": {"range": {"field": "rating", "ranges": [
            {"key": str(n), "from": n, **({"to": n + 1} if n < top else {})} for n in self.steps
        ]}}})]

    def index_fields(self) -> dict[str, str]:
        return {"rating": "float"}

    def build(self, request: SearchRequest, raw: dict) -> list[Facet]:
        # Only our keyed bands: tantivy also reports the uncovered range ("*-1").
        bands = {int(b["key"]): b["doc_count"] for b in agg_buckets(raw.get("rating")) if str(b["key"]).isdigit()}
        counts = {n: sum(c for band, c in bands.items() if band >= n) for n in self.steps}
        chosen = request.selection(self.name)
        return [Facet(self.name, self.label, [
            FacetValue(str(n), f"{n}★ & up", counts[n], chosen == n) for n in self.steps if counts[n] or chosen == n
        ])]

    def group(self, facet: Facet, params: Params, links: LinkContext) -> FacetGroup | None:
        options = self.options(facet, params, links)
        return FacetGroup(self.name, facet.label, "links", options, param=self.param) if options else None

    def toggled(self, params: Params, facet_name: str, value: str) -> Params:
        new = fresh(params)
        current = first(new, self.param)
        same = current == value or (current.isdigit() and value.isdigit() and int(current) == int(value))
        put(new, self.param, [] if same else [value])
        return new

    def chips(self, selection: Selection, facets: Mapping[str, Facet], params: Params,
              links: LinkContext) -> list[Chip]:
        return [Chip(self.name, str(selection), f"{selection}★ & up", links.href(self.without(params, self.name)))]

    def openapi_parameters(self) -> list[dict]:
        return [query_parameter(self.param, "Average rating at least this many stars.",
                       {"type": "integer", "minimum": 1, "maximum": 5})]

    def describe(self, selection: Selection) -> dict:
        return {"rating": selection}


class AvailabilityFacet(_SingleParamFacet):
    """Only products in stock: one box."""

    name = "availability"
    param = "in_stock"

    def __init__(self, label: str = "Availability", option_label: str = "In stock only") -> None:
        self.label, self.option_label = label, option_label

    def parse(self, params: Mapping) -> Selection:
        return True if first(params, self.param) in TICKED else None

    def filters(self, selection: Selection) -> list[Filter]:
        return [Filter(self.name, "term", "in_stock", (True,))]

    def aggregations(self, request: SearchRequest) -> AggregationPlan:
        # Only "in stock" is shown, which lies inside its own filter: counted under every filter.
        return [(None, {self.name: {"terms": {"field": "in_stock", "size": 2}}})]

    def index_fields(self) -> dict[str, str]:
        return {"in_stock": "boolean"}

    def build(self, request: SearchRequest, raw: dict) -> list[Facet]:
        stock = {str(b.get("key_as_string", b["key"])).lower(): b["doc_count"] for b in agg_buckets(raw.get(self.name))}
        in_stock = stock.get("true", 0) + stock.get("1", 0)
        chosen = bool(request.selection(self.name))
        return [Facet(self.name, self.label, [FacetValue("1", "In stock", in_stock, chosen)])]

    def group(self, facet: Facet, params: Params, links: LinkContext) -> FacetGroup | None:
        options = [replace(option, label=self.option_label) for option in self.options(facet, params, links)]
        if not options:
            return None
        # Its box stands for any spelling of "ticked": the form sends it, never a hidden copy.
        return FacetGroup(self.name, facet.label, "checkbox", options, param=self.param, owns_param=True)

    def toggled(self, params: Params, facet_name: str, value: str) -> Params:
        new = fresh(params)
        put(new, self.param, [] if first(new, self.param) in TICKED else ["1"])
        return new

    def without(self, params: Params, facet_name: str, value: str = "") -> Params:
        new = fresh(params)
        put(new, self.param, [])
        return new

    def chips(self, selection: Selection, facets: Mapping[str, Facet], params: Params,
              links: LinkContext) -> list[Chip]:
        return [Chip(self.name, "1", "In stock only", links.href(self.without(params, self.name)))]

    def openapi_parameters(self) -> list[dict]:
        # Any other value is an unticked box (every product), not an error: the schema says so.
        return [query_parameter(self.param, f"Only products in stock when {', '.join(TICKED)}; any other value: "
                                            "every product.", {"type": "string"})]

    def describe(self, selection: Selection) -> dict:
        return {"in_stock": bool(selection)}


class AttributeFacet(SearchFacet):
    """The category's typed attributes (colour, size…), one result facet ``attr_<code>``
    each, set by the parameter of the same name; values of one attribute are OR-ed."""

    name = "attributes"
    label = "Attributes"
    curated = False  # each attribute is curated by its own code
    result_names = "attr_<code>"

    def __init__(self, *, definitions: Callable[[tuple[str, ...]], dict[str, str]],
                 label_models: tuple[type, ...] = ()) -> None:
        self._definitions, self._label_models = definitions, label_models

    def labels(self, category_path: str | None) -> dict[str, str]:
        """The attribute facets of a category (code → title), in definition order: its own
        and its ancestors' definitions."""
        if not category_path:
            return {}
        parts = category_path.split("/")
        paths = tuple("/".join(parts[:i]) for i in range(1, len(parts) + 1))
        return process_memo(("attributes", *paths), lambda: self._definitions(paths))

    def label_sources(self) -> tuple[type, ...]:
        return self._label_models

    def params(self) -> tuple[str, ...]:
        return ()

    def accepts_param(self, name: str) -> bool:
        return bool(ATTRIBUTE_PARAM.match(name))

    def owns(self, facet_name: str) -> bool:
        return facet_name.startswith("attr_")

    def parse(self, params: Mapping) -> Selection:
        selection = []
        for key in sorted(params.keys()):
            if not key.startswith("attr_"):
                continue
            values = tuple(sorted(set(values_of(params, key))))
            if not values:
                continue
            code = key[5:]
            if not SLUG.match(code) or len(values) > MAX_FILTER_VALUES:
                raise InvalidSearchRequest("Unknown attribute filter.")
            if any(len(v) > ATTRIBUTE_VALUE_MAX for v in values):
                raise InvalidSearchRequest("Attribute filter values are limited to 80 characters.")
            selection.append((code, values))
        return tuple(selection) or None

    def filters(self, selection: Selection) -> list[Filter]:
        return [Filter(f"attr:{code}", "terms", "attrs", tuple(f"{code}={v}" for v in values))
                for code, values in selection]

    def aggregations(self, request: SearchRequest) -> AggregationPlan:
        if not request.category:
            return []  # only a category's attributes are facets: every bucket would be thrown away
        terms = {"terms": {"field": "attrs", "size": MAX_ATTRIBUTE_TERMS}}
        # Unselected attributes are counted under every filter, each selected one without its own.
        plan: AggregationPlan = [(None, {"attrs": terms})]
        for code, _ in request.selection(self.name) or ():
            plan.append((f"attr:{code}", {f"attrs__{code}": terms}))
        return plan

    def index_fields(self) -> dict[str, str]:
        return {"attrs": "keyword"}

    def build(self, request: SearchRequest, raw: dict) -> list[Facet]:
        attribute_labels = self.labels(request.category)
        selected = dict(request.selection(self.name) or ())
        by_code: dict[str, list[FacetValue]] = {}
        for key, buckets in raw.items():
            if not key.startswith("attrs"):
                continue
            only = key.split("__", 1)[1] if "__" in key else None
            for b in agg_buckets(buckets):
                code, _, value = b["key"].partition("=")
                if only is not None and code != only:
                    continue
                if only is None and code in selected:
                    continue  # counted in its own group
                if code not in attribute_labels:
                    continue  # only the current category's attributes are facets
                by_code.setdefault(code, []).append(
                    FacetValue(value, value, b["doc_count"], value in selected.get(code, ())))
        facets = []
        for code, label in attribute_labels.items():
            values = by_code.get(code, [])
            for v in set(selected.get(code, ())) - {x.value for x in values}:
                values.append(FacetValue(v, v, 0, True))
            if values:
                facets.append(Facet(f"attr_{code}", label, _sorted_values(values)))
        return facets

    def group(self, facet: Facet, params: Params, links: LinkContext) -> FacetGroup | None:
        options = self.options(facet, params, links)
        return FacetGroup(facet.name, facet.label, "checkbox", options, param=facet.name) if options else None

    def toggled(self, params: Params, facet_name: str, value: str) -> Params:
        return toggled_value(params, facet_name, value)

    def without(self, params: Params, facet_name: str, value: str = "") -> Params:
        new = fresh(params)
        put(new, facet_name, [v for v in new.get(facet_name, []) if value and v != value])
        return new

    def chips(self, selection: Selection, facets: Mapping[str, Facet], params: Params,
              links: LinkContext) -> list[Chip]:
        chips = []
        for code, values in selection:
            name = f"attr_{code}"
            facet = facets.get(name)
            label = facet.label if facet else code.replace("_", " ").capitalize()
            chips += [Chip(name, value, f"{label}: {value}", links.href(self.without(params, name, value)))
                      for value in values]
        return chips

    def openapi_parameters(self) -> list[dict]:
        # Named after the category's attribute codes, which a parameter list cannot name one by
        # one (a literal "attr_{code}" is a parameter nobody may send): the operation's
        # description documents them instead (openapi_description).
        return []

    def openapi_description(self) -> str:
        return ("Attribute filters: attr_<code>=<value>, e.g. attr_color=Black, the code made of letters, "
                f"digits, - and _, the value at most {ATTRIBUTE_VALUE_MAX} characters. "
                f"Repeat one to OR its values (at most {MAX_FILTER_VALUES}); different attributes are AND-ed; "
                "a code the category does not define matches nothing. Other unknown parameters are ignored.")

    def describe(self, selection: Selection) -> dict:
        return {"attributes": {code: list(values) for code, values in selection or ()}}
