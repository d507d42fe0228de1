"""Presentation helpers for the storefront templates."""

from decimal import Decimal, InvalidOperation

from django import template
from django.templatetags.static import static

from store.models import image_url_is_safe
from store.pagination import Pagination, paginate

register = template.Library()

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CAD": "CA$", "AUD": "A$"}
PLACEHOLDER_IMAGE = "img/placeholder.svg"


@register.filter
def money(value: Decimal | float | str | None, currency: str = "USD") -> str:
    """``Decimal("1234.5")|money:"USD"`` → ``$1,234.50``; unknown currencies get their code."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return ""
    code = (currency or "").upper()
    formatted = f"{amount:,.2f}"
    symbol = CURRENCY_SYMBOLS.get(code)
    return f"{symbol}{formatted}" if symbol else f"{formatted} {code}".strip()


@register.filter
def image_src(url: str | None) -> str:
    """A safe ``src`` for a product image: http(s) and site-absolute URLs as they are,
    other relative paths under the static root, anything else (``javascript:``,
    ``data:``, empty) the placeholder."""
    url = (url or "").strip()
    if not image_url_is_safe(url):  # the one rule, also checked when an image is saved
        return static(PLACEHOLDER_IMAGE)
    if url.lower().startswith(("https://", "http://")) or url.startswith("/"):
        return url
    try:
        return static(url)
    except ValueError:  # Manifest storage: a file collectstatic never saw.
        return static(PLACEHOLDER_IMAGE)


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
