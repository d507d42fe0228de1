"""What a listing with no results offers instead of a dead end: the filters a shopper can
remove, each with the number of products its removal brings back, and the scope's best
sellers. A few extra count-only searches, on zero-result pages only."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from search.backends import SearchUnavailable
from search.facets import facet_for, parse_request
from search.facets.state import Params
from search.query.request import InvalidSearchRequest
from search.query.result import SearchHit
from search.services import search_products

logger = logging.getLogger(__name__)

# Each removable filter costs a count-only search: the first ones shown are enough.
MAX_REMOVABLE = 6
POPULAR_COUNT = 4


@dataclass(frozen=True)
class RemovableFilter:
    facet: str
    value: str
    label: str
    href: str
    count: int


def removable_filters(params: Params, chips, category: str | None, served) -> list[RemovableFilter]:
    """Each chip with the total its removal gives (only those that give some); ``served`` turns
    a parsed request into the one the shopper is served (preference, variant)."""
    found = []
    for chip in chips[:MAX_REMOVABLE]:
        declared = facet_for(chip.facet)
        if declared is None:
            continue
        without = declared.without(params, chip.facet, chip.value)
        total = _total(without, category, served)
        if total:
            found.append(RemovableFilter(chip.facet, chip.value, chip.label, chip.href, total))
    return found


def popular_products(category: str | None, served) -> list[SearchHit]:
    """The scope's best sellers in stock (the whole catalog's on /search)."""
    try:
        request = parse_request({"in_stock": ["1"], "sort": ["bestselling"], "page_size": [str(POPULAR_COUNT)]},
                                category=category)
        return list(search_products(served(replace(request, with_facets=False))).hits)
    except (SearchUnavailable, InvalidSearchRequest):
        logger.warning("no popular products for a zero-result page", exc_info=True)
        return []


def _total(params: Params, category: str | None, served) -> int:
    try:
        request = replace(parse_request(params, category=category), page=1, page_size=1, with_facets=False)
        return search_products(served(request)).total
    except (SearchUnavailable, InvalidSearchRequest):
        return 0
