"""Assemble what pages show from what an engine found: display facets (read from the
catalog's labels), curated as the merchandisers set them for the category."""

from __future__ import annotations

from search.backends import EngineResult
from search.facets import build_facets
from search.merchandising.models import facet_name
from search.merchandising.rules import facet_curation
from search.query.request import SearchRequest
from search.query.result import Facet, SearchResult


def curate(facets: list[Facet], category_path: str | None) -> list[Facet]:
    """The facets as the merchandisers set them for this category (or its nearest ancestor
    having settings), read at query time: hidden ones dropped, titles replaced, and those
    given a position first, smaller first; the others keep their usual order."""
    curation = facet_curation(category_path)
    if not curation:
        return facets
    settings = {facet_name(c.attribute): c for c in curation}

    def display_order(indexed: tuple[int, Facet]) -> tuple:
        usual, facet = indexed
        setting = settings.get(facet.name)
        position = setting.position if setting else None
        return (0, position, usual) if position is not None else (1, 0, usual)

    curated = []
    for _, facet in sorted(enumerate(facets), key=display_order):
        setting = settings.get(facet.name)
        if setting and not setting.visible:
            continue
        if setting and setting.label:
            facet.label = setting.label
        curated.append(facet)
    return curated


def assemble_result(req: SearchRequest, found: EngineResult) -> SearchResult:
    facets = build_facets(req, found.aggregations) if req.with_facets else []
    facets = curate(facets, req.category) if facets and not req.autocomplete else facets
    return SearchResult(request=req, total=found.total, hits=found.hits, facets=facets)
