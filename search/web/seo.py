"""What a listing page tells search engines: its canonical address and whether to index it.

A category page filtered, sorted or searched within is the category for a search engine
(canonical: the category, or its page N); combinations of two or more filter values, and
any text, are ``noindex`` (crawlers would otherwise walk every combination of facets)."""

from __future__ import annotations

from dataclasses import dataclass

from search.facets.state import Params, first

# Parameters that change how a listing is shown, not what it is.
PRESENTATION = frozenset({"page", "page_size", "sort", "exact"})
DEEP_FILTER_VALUES = 2
INDEX, NOINDEX = "index, follow", "noindex, follow"


@dataclass(frozen=True)
class ListingSeo:
    canonical_path: str
    robots: str


def listing_seo(params: Params, path: str) -> ListingSeo:
    filter_values = sum(len(values) for name, values in params.items() if name not in PRESENTATION and name != "q")
    page = first(params, "page")
    canonical = path
    if not filter_values and "q" not in params and page.isdigit() and int(page) > 1:
        canonical = f"{path}?page={int(page)}"  # each page of the plain category is its own page
    deep = filter_values >= DEEP_FILTER_VALUES or bool(first(params, "q"))
    return ListingSeo(canonical_path=canonical, robots=NOINDEX if deep else INDEX)
