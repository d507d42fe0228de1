"""Facets: declared once (``registry.FACETS``), iterated by every layer.

What the other layers call: ``parse_request`` (GET parameters → a validated request),
``request_filters`` and ``aggregation_plan`` (for the compilers), ``followup_plan``,
``build_facets`` (engine buckets → display facets), ``facet_for`` (a result facet's
declaration) and ``curated_names``.
"""

from __future__ import annotations

from collections.abc import Mapping

from search.query.filters import RULES_GROUP, Filter, filters_without
from search.query.request import DEFAULT_PAGE_SIZE, InvalidSearchRequest, SearchRequest
from search.query.result import Facet

from .base import AggregationPlan, Chip, FacetGroup, FacetOption, LinkContext, SearchFacet, agg_buckets
from .kinds import parse_int
from .registry import FACETS
from .state import first

__all__ = [
    "FACETS", "AggregationPlan", "Chip", "FacetGroup", "FacetOption", "Filter", "LinkContext", "SearchFacet",
    "agg_buckets", "aggregation_plan", "build_facets", "curated_names", "facet_for", "filters_without",
    "followup_plan", "parse_request", "request_filters",
]


def facet_for(facet_name: str) -> SearchFacet | None:
    """The declaration behind a result facet (``brand``, ``attr_color``…)."""
    return next((f for f in FACETS if f.owns(facet_name)), None)


def accepts_param(name: str) -> bool:
    """Whether a GET parameter is some facet's."""
    return any(f.accepts_param(name) for f in FACETS)


def parse_request(params: Mapping, *, category: str | None = None, **overrides) -> SearchRequest:
    """A validated request from GET parameters (a QueryDict or a dict of lists); a
    category page passes its ``category``. Raises InvalidSearchRequest."""
    selected = {}
    for facet in FACETS:
        if facet.name == "category":
            continue
        selected[facet.name] = facet.parse(params)
    category_facet = facet_for("category")
    # Absent means the default; a given 0 is out of bounds (SearchRequest says so), not the default.
    page = parse_int(first(params, "page"), "page")
    page_size = parse_int(first(params, "page_size"), "page size")
    exact = first(params, "exact")
    if exact not in ("", "0", "1"):
        raise InvalidSearchRequest("exact must be 1 (search the text as typed, uncorrected) or 0.")
    return SearchRequest(
        text=" ".join(first(params, "q").split()),
        exact=exact == "1",
        category=category if category is not None else (category_facet.parse(params) if category_facet else None),
        selected=selected,
        sort=first(params, "sort") or "relevance",
        page=1 if page is None else page,
        page_size=DEFAULT_PAGE_SIZE if page_size is None else page_size,
        **overrides,
    )


def request_filters(req: SearchRequest) -> list[Filter]:
    """Every filter of the request: the facets' and the merchandising rules' (group
    ``_rules``: they narrow every facet's counts too)."""
    filters: list[Filter] = []
    for facet in FACETS:
        selection = facet.selection_of(req)
        if selection is not None:
            filters += facet.filters(selection)
    if req.only_ids:
        filters.append(Filter(RULES_GROUP, "terms", "id", req.only_ids))
    excluded = req.tuning.excluded_ids if req.tuning else ()
    if excluded:
        filters.append(Filter(RULES_GROUP, "not_terms", "id", tuple(excluded)))
    return filters


def aggregation_plan(req: SearchRequest) -> AggregationPlan:
    """(facet group, aggregations in ES syntax): each group's aggregations are computed
    under every filter except the group's own."""
    if req.autocomplete:
        aggs: dict = {}
        for facet in FACETS:
            aggs.update(facet.autocomplete_aggregations())
        return [(None, aggs)]
    plan: AggregationPlan = []
    for facet in FACETS:
        plan += facet.aggregations(req)
    return plan


def followup_plan(req: SearchRequest, raw: dict) -> AggregationPlan:
    """The aggregations that need the first runs' results (the price ranges)."""
    if req.autocomplete:
        return []
    plan: AggregationPlan = []
    for facet in FACETS:
        plan += facet.followup_aggregations(req, raw)
    return plan


def build_facets(req: SearchRequest, raw: dict) -> list[Facet]:
    """Engine aggregation results (Elasticsearch's response shape) as display facets, in
    the registry's order."""
    if req.autocomplete:
        return [f for facet in FACETS if facet.autocomplete_aggregations() for f in facet.build(req, raw)]
    return [f for facet in FACETS for f in facet.build(req, raw)]


def curated_names() -> tuple[str, ...]:
    """The facets a FacetSetting names by their own name (attributes go by their code)."""
    return tuple(f.name for f in FACETS if f.curated)


def index_fields() -> dict[str, str]:
    """Every field the facets filter and count on → its kind, for the engines' schemas."""
    fields: dict[str, str] = {}
    for facet in FACETS:
        fields.update(facet.index_fields())
    return fields
