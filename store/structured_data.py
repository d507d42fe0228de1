"""schema.org JSON-LD for search engines (Product with its Offer and AggregateRating,
BreadcrumbList): plain dicts; the template tag ``json_ld`` writes them into a page, escaped."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.urls import reverse

from .models import Category, Product

SCHEMA = "https://schema.org"
DESCRIPTION_CHARS = 5000
IN_STOCK, OUT_OF_STOCK = f"{SCHEMA}/InStock", f"{SCHEMA}/OutOfStock"


def product_data(product: Product, absolute: Callable[[str], str], image_urls: Sequence[str]) -> dict:
    """``absolute`` turns a path into an absolute URL; ``image_urls`` are the images' addresses."""
    url = absolute(product.get_absolute_url())
    data: dict = {
        "@context": SCHEMA,
        "@type": "Product",
        "name": product.name,
        "sku": product.sku,
        "url": url,
        "brand": {"@type": "Brand", "name": product.brand.name},
        "category": product.category.name,
        "offers": {
            "@type": "Offer",
            "url": url,
            "price": f"{product.price:.2f}",
            "priceCurrency": product.currency,
            "availability": IN_STOCK if product.in_stock else OUT_OF_STOCK,
            "itemCondition": f"{SCHEMA}/NewCondition",
        },
    }
    if product.description:
        data["description"] = product.description[:DESCRIPTION_CHARS]
    if image_urls:
        data["image"] = [absolute(u) for u in image_urls]
    if product.rating_count:
        data["aggregateRating"] = {
            "@type": "AggregateRating",
            "ratingValue": f"{product.rating_average:.2f}",
            "reviewCount": product.rating_count,
            "bestRating": 5,
            "worstRating": 1,
        }
    return data


def breadcrumb_data(categories: Sequence[Category], absolute: Callable[[str], str],
                    last: tuple[str, str] | None = None) -> dict:
    """Home, each category, then ``last`` (name, path) when the page is not a category."""
    trail = [("Home", reverse("home"))] + [(c.name, c.get_absolute_url()) for c in categories]
    if last:
        trail.append(last)
    return {
        "@context": SCHEMA,
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": i, "name": name, "item": absolute(path)}
            for i, (name, path) in enumerate(trail, start=1)
        ],
    }
