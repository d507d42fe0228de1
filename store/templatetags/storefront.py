"""Presentation helpers for the storefront templates."""

from decimal import Decimal, InvalidOperation

from django import template
from django.templatetags.static import static

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
    lowered = url.lower()
    if lowered.startswith(("https://", "http://")) or (url.startswith("/") and not url.startswith("//")):
        return url
    if not url or ":" in url.split("/", 1)[0] or url.startswith("//"):
        return static(PLACEHOLDER_IMAGE)
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


@register.simple_tag
def page_window(page: int, num_pages: int, around: int = 2) -> list[int | None]:
    """Page numbers to link around the current one; ``None`` marks a gap.

    ``page_window(7, 20)`` → ``[1, None, 5, 6, 7, 8, 9, None, 20]``."""
    pages = sorted({1, num_pages, *range(max(1, page - around), min(num_pages, page + around) + 1)})
    window: list[int | None] = []
    previous = 0
    for number in pages:
        if number - previous == 2:
            window.append(number - 1)
        elif number - previous > 2:
            window.append(None)
        window.append(number)
        previous = number
    return window
