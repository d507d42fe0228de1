"""Which rate a line pays: its tax class's rate in the destination country, else that
country's standard rate, else ``settings.TAX_RATE`` (a country the admin has no rate for)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from .models import TaxRate

CENTS = Decimal("0.01")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENTS, rounding=ROUND_HALF_UP)


def tax_on(net: Decimal, rate: Decimal) -> Decimal:
    """The tax of a net amount, rounded to cents (half up), as each order line records it."""
    return cents(net * rate)


def with_tax(net: Decimal, rate: Decimal) -> Decimal:
    return cents(net) + tax_on(net, rate)


@dataclass(frozen=True)
class CountryRates:
    country: str
    standard: Decimal
    by_class: dict[int, Decimal] = field(default_factory=dict)

    def rate(self, tax_class_id: int | None) -> Decimal:
        if tax_class_id is not None and tax_class_id in self.by_class:
            return self.by_class[tax_class_id]
        return self.standard


def fallback_rate() -> Decimal:
    return Decimal(str(settings.TAX_RATE))


def rates_for(country: str) -> CountryRates:
    """Every rate of ``country``, in one query."""
    standard = fallback_rate()
    by_class: dict[int, Decimal] = {}
    for tax_class_id, rate in TaxRate.objects.filter(country=(country or "").upper()).values_list(
            "tax_class_id", "rate"):
        if tax_class_id is None:
            standard = rate
        else:
            by_class[tax_class_id] = rate
    return CountryRates(country=country, standard=standard, by_class=by_class)
