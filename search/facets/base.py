"""What a facet is: one object that knows its URL parameters, how to parse and validate
them, its engine-neutral filter, its aggregations, how to read buckets into values, its
links and chips, and its OpenAPI parameters. elasticsearch-dsl's ``FacetedSearch`` is the
model: facets are declared as data (search.facets.registry) and every layer iterates them.

Facets are disjunctive: each facet's counts are computed under every filter but its own
(its "group"), so picking one brand never hides the other brands. Aggregations are
written in Elasticsearch's syntax, which both engines take.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from search.query.filters import Filter
from search.query.request import SearchRequest, Selection
from search.query.result import Facet

from .state import Params

# (group, aggregations): the aggregations are counted under every filter but the group's;
# group None: under every filter.
AggregationPlan = list[tuple[str | None, dict]]
Href = Callable[[Params], str]


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
    # Range facets: the range of the listed values (min, max) and whole-number hints
    # for the min/max inputs (low, high).
    stats: dict = field(default_factory=dict)
    # The group's inputs stand for the whole parameter (any spelling of "ticked"): the
    # filter form sends them, never a hidden copy of the parameter.
    owns_param: bool = False


@dataclass
class Chip:
    facet: str
    value: str
    label: str
    href: str


@dataclass
class LinkContext:
    """What a facet's links need besides the state: the listing's URL maker, the request
    it shows, and on a category page the URL of another category's page."""

    href: Href
    request: SearchRequest
    category_url: Callable[[str], str] | None = None
    # A category page: the category is the page, so it is neither a chip nor a hidden input.
    fixed_category: bool = False


def agg_buckets(agg: Any) -> list[dict]:
    """An aggregation's buckets as a list (keyed buckets come as a dict), [] when absent."""
    if not agg:
        return []
    buckets = agg.get("buckets", [])
    if isinstance(buckets, dict):
        return [{"key": k, **v} for k, v in buckets.items()]
    return buckets


def query_parameter(name: str, description: str, schema: dict, *, repeated: bool = False) -> dict:
    """An OpenAPI query parameter (repeated: ``?brand=a&brand=b``)."""
    param = {"name": name, "in": "query", "required": False, "description": description, "schema": schema}
    if repeated:
        param["schema"] = {"type": "array", "items": schema}
        param["style"], param["explode"] = "form", True
    return param


class SearchFacet:
    """One facet of the shop's listings. Subclasses fill in what their kind does; the
    defaults here are those of a facet with one URL parameter named like the facet."""

    name: str  # its selection's key in a SearchRequest and its facets' name in a result
    label: str  # the usual title (merchandisers may rename it per category)
    curated: bool = True  # a FacetSetting may hide, rename or place it

    @property
    def result_names(self) -> str:
        """Its result facets' names, as documented ("attr_<code>" for the attributes)."""
        return self.name

    # --- the URL -------------------------------------------------------------------
    def params(self) -> tuple[str, ...]:
        """The GET parameters it reads."""
        return (self.name,)

    def accepts_param(self, name: str) -> bool:
        return name in self.params()

    def owns(self, facet_name: str) -> bool:
        """Whether a result facet of this name is this facet's (attributes own several)."""
        return facet_name == self.name

    def selection_of(self, request: SearchRequest) -> Selection:
        return request.selection(self.name)

    def parse(self, params: Mapping) -> Selection:
        """The selection from GET parameters; None when nothing is selected. Raises
        InvalidSearchRequest with a message a shopper can act on."""
        raise NotImplementedError

    def toggled(self, params: Params, facet_name: str, value: str) -> Params:
        """The state after clicking ``value``: selected, or unselected if it was."""
        raise NotImplementedError

    def without(self, params: Params, facet_name: str, value: str = "") -> Params:
        """The state without one selected value (a chip's ×)."""
        raise NotImplementedError

    # --- the engines ---------------------------------------------------------------
    def filters(self, selection: Selection) -> list[Filter]:
        raise NotImplementedError

    def aggregations(self, request: SearchRequest) -> AggregationPlan:
        raise NotImplementedError

    def followup_aggregations(self, request: SearchRequest, raw: dict) -> AggregationPlan:
        """Aggregations that need the first run's results (price ranges need the spread)."""
        return []

    def autocomplete_aggregations(self) -> dict:
        """What as-you-type suggestions count of this facet (most: nothing)."""
        return {}

    def index_fields(self) -> dict[str, str]:
        """Indexed field → its kind ("keyword", "float", "boolean"): engines build their
        schema's filter and aggregation fields from the registry."""
        return {}

    # --- results -------------------------------------------------------------------
    def build(self, request: SearchRequest, raw: dict) -> list[Facet]:
        """The display facets (usually one) from the aggregation results."""
        raise NotImplementedError

    def group(self, facet: Facet, params: Params, links: LinkContext) -> FacetGroup | None:
        """The sidebar group of one of its result facets; None to show nothing."""
        raise NotImplementedError

    def options(self, facet: Facet, params: Params, links: LinkContext) -> list[FacetOption]:
        """The values a shopper can click: those with products, and the selected ones."""
        return [FacetOption(v.value, v.label, v.count, v.selected,
                            links.href(self.toggled(params, facet.name, v.value)))
                for v in facet.values if v.count or v.selected]

    def chips(self, selection: Selection, facets: Mapping[str, Facet], params: Params,
              links: LinkContext) -> list[Chip]:
        raise NotImplementedError

    # --- descriptions --------------------------------------------------------------
    def openapi_parameters(self) -> list[dict]:
        raise NotImplementedError

    def describe(self, selection: Selection) -> dict:
        """The selection as JSON: the API's echo of the request and the analytics record."""
        raise NotImplementedError

    def label_sources(self) -> tuple[type, ...]:
        """Models whose saves change this facet's labels (their caches are forgotten)."""
        return ()
