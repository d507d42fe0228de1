"""Money as people read it: the amount in the currency's own digits, laid out for the
active locale by Babel (CLDR data): ``1234.5 EUR`` is ``€1,234.50`` in en-US, ``1.234,50 €``
in de-DE, and ``1234 JPY`` is ``¥1,234``. Amounts stay Decimal end to end: never float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, get_currency_precision
from django.conf import settings
from django.utils import translation


@lru_cache(maxsize=64)
def _locale(language: str) -> Locale:
    try:
        return Locale.parse(translation.to_locale(language))
    except (ValueError, UnknownLocaleError):
        return Locale.parse(translation.to_locale(settings.LANGUAGE_CODE))


def current_locale() -> Locale:
    """The locale of the active language (Django's LANGUAGE_CODE unless a request set another)."""
    return _locale(translation.get_language() or settings.LANGUAGE_CODE)


def as_decimal(value: Decimal | int | str | float | None) -> Decimal | None:
    """A Decimal, or None for what is not an amount. A float (an engine's stored price) is
    read through its shortest repr, ``19.99`` and not ``19.989999…``."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() else None


def format_money(value: Decimal | int | str | float | None, currency: str, locale: Locale | None = None) -> str:
    """``value`` in ``currency`` for ``locale`` (the active one by default); "" for no amount.

    An unknown currency code is printed as its code, never refused: the catalog's data."""
    amount = as_decimal(value)
    if amount is None:
        return ""
    code = (currency or settings.SHOP_CURRENCY).upper()
    # Rounded as the checkout rounds (half up), not Babel's default (half even).
    amount = amount.quantize(Decimal(1).scaleb(-get_currency_precision(code)), rounding=ROUND_HALF_UP)
    return format_currency(amount, code, locale=locale or current_locale(), currency_digits=True)


def amount_string(value: Decimal | int | str | float | None, currency: str) -> str | None:
    """A machine-readable amount with the currency's minor digits (``19.99``, ``1235`` for JPY),
    for APIs: no grouping, a dot, whatever the locale."""
    amount = as_decimal(value)
    if amount is None:
        return None
    digits = get_currency_precision((currency or settings.SHOP_CURRENCY).upper())
    return f"{amount.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP):f}"
