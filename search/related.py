"""Related products on a product page: "more like this" from the configured engine
(``SearchBackend.more_like_this``), cached until the product or the index changes. An engine
that cannot answer leaves the section out; the page still renders."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.conf import settings
from django.core.cache import cache

from search.backends import SearchUnavailable, get_backend
from search.query.related import DESCRIPTION_CHARS
from search.query.result import SearchHit
from store.caching import listing_generation
from store.models import Category, Product

logger = logging.getLogger(__name__)

RELATED_COUNT = 4


def like_fields(product: Product, categories: Sequence[Category]) -> dict[str, str]:
    """The product's words per text field, as its document holds them (search.documents)."""
    attributes = product.attributes if isinstance(product.attributes, dict) else {}
    return {
        "name": product.name,
        "brand": product.brand.name,
        "category_text": " ".join(c.name for c in categories),
        "attribute_text": " ".join(str(v) for v in attributes.values() if isinstance(v, str)),
        "description": product.description[:DESCRIPTION_CHARS],
    }


def related_products(product: Product, categories: Sequence[Category], limit: int = RELATED_COUNT) -> list[SearchHit]:
    """``categories``: the product's category and its ancestors (the page has them)."""
    key = f"search:related:v1:{product.pk}:{product.updated_at.timestamp()}:{listing_generation()}:{limit}"
    found = cache.get(key)
    if found is not None:
        return found
    try:
        found = get_backend().more_like_this(product.pk, like_fields(product, categories), limit)
    except SearchUnavailable:
        logger.warning("no related products: the search engine is unavailable", exc_info=True)
        return []
    cache.set(key, found, settings.LISTING_CACHE_SECONDS)
    return found
