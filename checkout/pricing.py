"""Prices of the checkout: rounding to cents, the shipping methods and an order's totals."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from .models import CENTS


def money(value: Decimal) -> Decimal:
    return value.quantize(CENTS, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    shipping_cost: Decimal
    tax_rate: Decimal
    tax: Decimal
    total: Decimal


def shipping_methods() -> dict[str, dict]:
    return settings.SHIPPING_METHODS


def compute_totals(subtotal: Decimal, shipping_method: str) -> Totals:
    """Tax is charged on the goods, not on shipping; every figure is rounded to cents."""
    method = shipping_methods()[shipping_method]
    subtotal = money(subtotal)
    shipping_cost = money(Decimal(str(method["cost"])))
    tax_rate = Decimal(str(settings.TAX_RATE))
    tax = money(subtotal * tax_rate)
    return Totals(subtotal, shipping_cost, tax_rate, tax, subtotal + shipping_cost + tax)
