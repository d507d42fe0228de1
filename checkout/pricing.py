"""Prices of the checkout: rounding to cents, the shipping methods, each line's tax and an
order's totals. Catalog prices are net; tax is added per line at the rate of the line's tax
class in the destination country (taxes.rates), on the goods, not on shipping."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from taxes.display import prices_include_tax
from taxes.rates import CountryRates, tax_on

from .models import CENTS


def money(value: Decimal) -> Decimal:
    return value.quantize(CENTS, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class TaxedLine:
    """A line's net total, the rate it pays and its tax (rounded to cents per line)."""

    net: Decimal
    rate: Decimal
    tax: Decimal

    @property
    def gross(self) -> Decimal:
        return self.net + self.tax


def taxed_line(net: Decimal, tax_class_id: int | None, rates: CountryRates) -> TaxedLine:
    rate = rates.rate(tax_class_id)
    return TaxedLine(money(net), rate, tax_on(net, rate))


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    shipping_cost: Decimal
    # The lines' common rate; None when they pay different rates.
    tax_rate: Decimal | None
    tax: Decimal
    total: Decimal
    # Whether the pages show prices with tax (settings.PRICES_INCLUDE_TAX).
    includes_tax: bool = False

    @property
    def shown_subtotal(self) -> Decimal:
        return self.subtotal + self.tax if self.includes_tax else self.subtotal


def shipping_methods() -> dict[str, dict]:
    return settings.SHIPPING_METHODS


def compute_totals(lines: Iterable[TaxedLine], shipping_method: str) -> Totals:
    """Every figure is rounded to cents; the tax is the sum of the lines' taxes, so each
    order line's recorded tax adds up to the order's."""
    lines = list(lines)
    method = shipping_methods()[shipping_method]
    subtotal = money(sum((line.net for line in lines), Decimal(0)))
    shipping_cost = money(Decimal(str(method["cost"])))
    tax = sum((line.tax for line in lines), Decimal("0.00"))
    rates = {line.rate for line in lines}
    tax_rate = rates.pop() if len(rates) == 1 else None
    return Totals(subtotal, shipping_cost, tax_rate, tax, subtotal + shipping_cost + tax, prices_include_tax())
