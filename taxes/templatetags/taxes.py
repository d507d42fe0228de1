"""Shown prices in templates: ``{{ product|shown_price }}`` is the product's price net, or
with the display country's tax for its class (taxes.display)."""

from __future__ import annotations

from decimal import Decimal

from django import template

from taxes.display import display_rate, prices_include_tax, shown

register = template.Library()


@register.filter
def shown_price(product) -> Decimal | None:
    return shown(product.price, display_rate(product.tax_class_id))


@register.filter
def shown_compare_at_price(product) -> Decimal | None:
    return shown(product.compare_at_price, display_rate(product.tax_class_id))


@register.simple_tag
def tax_note() -> str:
    """What the shown prices are: "incl. tax" when they include it, nothing when net."""
    return "incl. tax" if prices_include_tax() else ""


@register.simple_tag(name="prices_include_tax")
def prices_include_tax_tag() -> bool:
    """``{% prices_include_tax as with_tax %}``: whether the shown prices include tax."""
    return prices_include_tax()


@register.filter
def plus(amount: Decimal | None, other: Decimal | None) -> Decimal | None:
    """``line.line_total|plus:line.tax``: a net amount and its tax, as a gross amount."""
    if amount is None:
        return None
    return amount + (other or Decimal(0))
