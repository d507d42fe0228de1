"""Search results as plain JSON-able dicts for the API (views stay thin).

Money is a string ("19.99"), never a float. ``highlighted_name`` is the engine's
pre-escaped HTML (only <mark> added); every other string is raw text that the
client must escape itself, as JSON consumers do.
"""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

from django.urls import reverse

from search.request import Facet, SearchHit, SearchRequest, SearchResult
from search.services import Suggestions


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def serialize_request(req: SearchRequest) -> dict:
    """The normalized request: what the engine was asked, after validation."""
    return {
        "q": req.text,
        "category": req.category,
        "brands": list(req.brands),
        "price_min": _money(req.price_min) if req.price_min is not None else None,
        "price_max": _money(req.price_max) if req.price_max is not None else None,
        "rating": req.rating_min,
        "in_stock": req.in_stock,
        "attributes": {code: list(values) for code, values in req.attributes},
        "sort": req.sort,
        "page": req.page,
        "page_size": req.page_size,
    }


def serialize_hit(hit: SearchHit) -> dict:
    return {
        "id": hit.id,
        "name": hit.name,
        "slug": hit.slug,
        "url": reverse("product", kwargs={"slug": hit.slug}),
        # Following this link records the click (present when the search was recorded).
        "click_url": hit.click_url or None,
        "sku": hit.sku,
        "brand": hit.brand,
        "price": _money(hit.price),
        "currency": hit.currency,
        "compare_at_price": _money(hit.compare_at_price),
        "in_stock": hit.in_stock,
        "rating": hit.rating,
        "rating_count": hit.rating_count,
        "image_url": hit.image_url,
        "highlighted_name": hit.highlighted_name,
    }


def serialize_facet(facet: Facet) -> dict:
    data = {
        "name": facet.name,
        "label": facet.label,
        "kind": facet.kind,
        "values": [{"value": v.value, "label": v.label, "count": v.count, "selected": v.selected}
                   for v in facet.values],
    }
    stats = getattr(facet, "stats", None)
    if stats is not None:
        # The range of listed prices, as money strings like every price here.
        data["stats"] = {k: None if v is None else _money(Decimal(str(v))) for k, v in stats.items()}
    return data


def serialize_result(result: SearchResult) -> dict:
    return {
        "query": serialize_request(result.request),
        "total": result.total,
        "page": result.request.page,
        "num_pages": result.num_pages,
        "hits": [serialize_hit(h) for h in result.hits],
        "facets": [serialize_facet(f) for f in result.facets],
        "suggestion": result.suggestion,
        "relaxed": result.relaxed,
    }


def serialize_suggestions(suggestions: Suggestions) -> dict:
    return {
        "q": suggestions.text,
        "products": [serialize_hit(h) for h in suggestions.products],
        "categories": [
            {"value": c.value, "label": c.label, "count": c.count,
             "url": reverse("category", kwargs={"slug_path": c.value})}
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
    return f"{reverse('search')}?{urlencode(params)}"
