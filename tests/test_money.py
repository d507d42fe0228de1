"""Money printed by locale and currency (Babel's CLDR data), everywhere through one filter."""

from decimal import Decimal

import pytest
from babel import Locale
from django.template import Context, Template
from django.utils import translation

from store.money import amount_string, format_money


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "shown"),
    [
        (Decimal("1234.5"), "USD", "en_US", "$1,234.50"),
        (Decimal("1234.5"), "EUR", "en_US", "€1,234.50"),
        (Decimal("1234.5"), "EUR", "de_DE", "1.234,50\xa0€"),
        (Decimal("1234.5"), "EUR", "fr_FR", "1\u202f234,50\xa0€"),
        (Decimal("1234.5"), "GBP", "en_GB", "£1,234.50"),
        (Decimal("1234.5"), "CHF", "de_CH", "CHF\xa01’234.50"),
        # No minor unit: no decimals, rounded half up as the checkout rounds.
        (Decimal("1234.5"), "JPY", "ja_JP", "￥1,235"),
        (Decimal("0.005"), "USD", "en_US", "$0.01"),
        (19.99, "USD", "en_US", "$19.99"),  # an engine's float, read through its repr
        (Decimal("-3"), "USD", "en_US", "-$3.00"),
        (Decimal("5"), "XYZ", "en_US", "XYZ5.00"),  # an unknown code is printed, not refused
    ],
)
def test_amounts_are_formatted_for_the_locale_and_the_currency(amount, currency, locale, shown):
    assert format_money(amount, currency, Locale.parse(locale)) == shown


@pytest.mark.parametrize("nothing", [None, "", "abc", "NaN", "Infinity", True])
def test_what_is_not_an_amount_prints_nothing(nothing):
    assert format_money(nothing, "USD") == ""


def test_the_template_filter_follows_the_active_language():
    template = Template("{% load storefront %}{{ price|money:'EUR' }} {{ price|money }}")
    context = Context({"price": Decimal("1234.5")})
    assert template.render(context) == "€1,234.50 $1,234.50"  # no currency: the shop's (USD)
    with translation.override("de"):
        assert template.render(context) == "1.234,50\xa0€ 1.234,50\xa0$"


def test_api_amounts_have_the_currencys_digits():
    assert (amount_string(Decimal("19.9"), "USD"), amount_string(Decimal("1234.5"), "JPY")) == ("19.90", "1235")
    assert amount_string(None, "USD") is None
