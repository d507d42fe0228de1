"""Presentation helpers for the storefront templates."""

import json
from decimal import Decimal

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from store.images import DEFAULT_WIDTH, PLACEHOLDER_IMAGE, image_url
from store.images import image_srcset as image_srcset_of
from store.money import format_money
from store.pagination import Pagination, paginate

register = template.Library()

__all__ = ["PLACEHOLDER_IMAGE", "register"]
# As json_script: the JSON's text can never close a <script> nor start a tag or an entity.
JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.filter
def money(value: Decimal | float | str | None, currency: str = "") -> str:
    """``Decimal("1234.5")|money:"EUR"`` → ``€1,234.50`` in en-US, ``1.234,50 €`` in de-DE
    (store.money, Babel); no currency means the shop's."""
    return format_money(value, currency)


@register.filter
def image_src(source: str | None, width: int = DEFAULT_WIDTH) -> str:
    """A safe ``src`` for a product image (store.images.image_url): ``{{ hit.image_url|image_src }}``,
    ``{{ image.source|image_src:640 }}``."""
    return image_url(source, int(width))


@register.filter
def image_srcset(source: str | None) -> str:
    """The thumbnails of an uploaded image as a ``srcset`` ("" for an address)."""
    return image_srcset_of(source)


@register.filter
def json_ld(data: dict) -> str:
    """``<script type="application/ld+json">`` holding ``data``: <, > and & escaped as
    json_script does, so a hostile product name can never close the script."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(JSON_SCRIPT_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))  # noqa: S308


@register.filter
def star_percent(rating: Decimal | float | None) -> str:
    """The width of the filled part of a five-star meter, e.g. ``4.3`` → ``86``."""
    try:
        value = float(rating or 0)
    except (TypeError, ValueError):
        value = 0.0
    return f"{max(0.0, min(value, 5.0)) * 20:.0f}"


@register.simple_tag(takes_context=True)
def pagination(context, page: int, num_pages: int) -> Pagination | None:
    """The links of a paginated list on this page: each keeps the other GET parameters.

    ``{% pagination page num_pages as pages %}{% include "store/_pagination.html" with pagination=pages %}``"""
    query = context["request"].GET

    def href(number: int) -> str:
        params = query.copy()
        params["page"] = str(number)
        return f"?{params.urlencode()}"

    return paginate(page, num_pages, href)
