"""Presentation helpers of the checkout templates."""

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def percent(rate: Decimal | str | None) -> str:
    """A rate as a percentage without trailing zeros: ``Decimal("0.0825")`` → ``8.25``."""
    try:
        value = (Decimal(str(rate)) * 100).normalize()
    except (InvalidOperation, ValueError):
        return ""
    return format(value, "f")


@register.filter
def get_item(mapping: dict, key: str):
    """``shipping_costs|get_item:code``: a dict lookup by a variable key."""
    return mapping.get(key) if isinstance(mapping, dict) else None
