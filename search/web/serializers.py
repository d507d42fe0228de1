"""Search results as plain JSON-able dicts for the API (views stay thin).

The shape is the one documented in the OpenAPI schema (search/openapi.py, served
at /api/schema). Money is a string ("19.99"), never a float. ``highlight`` is the
engine's pre-escaped HTML (only <mark> added); every other string is raw text that
the client must escape itself, as JSON consumers do.
"""

from __future__ import annotations

from decimal import Decimal

from search.facets import FACETS
from search.paths import path_maker, query_value, reversed_path
from search.query.request import SearchRequest
from search.query.result import Facet, SearchHit, SearchResult
from search.services import Suggestions
from store.money import amount_string, format_money
from store.templatetags.storefront import image_src


def _money(value: Decimal | None, currency: str = "") -> str | None:
    """An amount with the currency's minor digits ("19.99"; "1235" in yen), locale-free."""
    return amount_string(value, currency)


def serialize_request(req: SearchRequest) -> dict:
    """The normalized request: what the engine was asked, after validation."""
    echo: dict = {"q": req.text}
    for facet in FACETS:
        echo.update(facet.describe(facet.selection_of(req)))
    return {
        **echo,
        "sort": req.sort,
        "exact": req.exact,
        "page": req.page,
        "page_size": req.page_size,
    }


def serialize_hits(hits: list[SearchHit]) -> list[dict]:
    product_path = path_maker("product", "slug")
    return [serialize_hit(hit, product_path(hit.slug)) for hit in hits]


def serialize_hit(hit: SearchHit, url: str) -> dict:
    return {
        "id": hit.id,
        "name": hit.name,
        "url": url,
        "price": _money(hit.price, hit.currency),
        # As the shop prints it: the locale's layout, with tax when the shop shows prices with tax.
        "price_display": format_money(hit.shown_price, hit.currency),
        "currency": hit.currency,
        "rating": hit.rating,
        "in_stock": hit.in_stock,
        # The pages' rule (image_src): javascript:, data: and //host URLs become the placeholder.
        "image": image_src(hit.image_url) if hit.image_url else "",
        "highlight": hit.highlighted_name,
        # Beyond the minimum: what a listing shows besides.
        "slug": hit.slug,
        "sku": hit.sku,
        "brand": hit.brand,
        "compare_at_price": _money(hit.compare_at_price, hit.currency),
        "rating_count": hit.rating_count,
        "pinned": hit.pinned,
        # Following this link records the click (present when the search was recorded).
        "click_url": hit.click_url or None,
    }


def serialize_facet_values(facet: Facet) -> list[dict]:
    return [{"value": v.value, "label": v.label, "count": v.count, "selected": v.selected}
            for v in facet.values]


def serialize_facet_info(facet: Facet) -> dict:
    info: dict = {"label": facet.label, "kind": facet.kind}
    if facet.stats:
        # The range of listed prices, as money strings like every price here.
        info["stats"] = {k: None if v is None else _money(Decimal(str(v))) for k, v in facet.stats.items()}
    return info


def serialize_result(result: SearchResult) -> dict:
    return {
        "total": result.total,
        "page": result.request.page,
        "pages": result.num_pages,
        "hits": serialize_hits(result.hits),
        # Facet name → its values, in display order (brand, category, price, rating,
        # availability, attr_<code>…); labels, kinds and price stats in facet_info.
        "facets": {f.name: serialize_facet_values(f) for f in result.facets},
        "facet_info": {f.name: serialize_facet_info(f) for f in result.facets},
        "did_you_mean": result.suggestion,
        "relaxed": result.relaxed,
        # The fallbacks' notices: the text the results are for (a spelling correction; search
        # again with exact=1 for the text as typed), the words no longer required, the words
        # naming what the shop does not carry, and how many of the results match every word.
        "corrected_query": result.corrected_text,
        "ignored_words": list(result.ignored_words),
        "not_carried": list(result.not_carried),
        "all_words_total": result.all_words_total,
        "query": serialize_request(result.request),
    }


def serialize_suggestions(suggestions: Suggestions) -> dict:
    category_path = path_maker("category", "slug_path")
    return {
        "q": suggestions.text,
        "products": serialize_hits(suggestions.products),
        "categories": [
            {"value": c.value, "label": c.label, "count": c.count, "url": category_path(c.value)}
            for c in suggestions.categories
        ],
        "brands": [
            {"value": b.value, "label": b.label, "count": b.count,
             "url": _search_url(brand=b.value)}
            for b in suggestions.brands
        ],
        "queries": [{"q": q, "url": _search_url(q=q)} for q in suggestions.queries],
    }


def _search_url(**params: str) -> str:
    """reverse("search") + "?" + urlencode(params), with the path reversed once."""
    query = "&".join(f"{query_value(name)}={query_value(value)}" for name, value in params.items())
    return f"{reversed_path('search')}?{query}"
