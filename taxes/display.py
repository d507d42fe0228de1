"""Prices as shoppers see them: net, or with the tax of the display country, by the
``PRICES_INCLUDE_TAX`` setting, the same on listings, the product page, the cart and the
checkout. Before a shopper gives an address the display country is
``TAX_DISPLAY_COUNTRY``; at checkout it is the address's country.

Net display (the default) costs no query. With tax, a page reads the display country's
rates once (cached, dropped when a rate is saved) and, for search hits, which carry no tax
class, one query for the classes of the page's products."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.core.cache import cache

from store.models import Product

from .rates import CountryRates, rates_for, with_tax

logger = logging.getLogger(__name__)
RATES_CACHE_KEY = "taxes:rates:{}"
RATES_CACHE_SECONDS = 300


def prices_include_tax() -> bool:
    return bool(settings.PRICES_INCLUDE_TAX)


def display_country() -> str:
    return settings.TAX_DISPLAY_COUNTRY


def cached_rates(country: str) -> CountryRates:
    """The rates of ``country`` through the cache (shared in production: Redis); a cache
    that fails reads the database."""
    key = RATES_CACHE_KEY.format(country.upper())
    try:
        rates = cache.get(key)
    except Exception:  # noqa: BLE001 - the cache is an optimisation
        logger.warning("cache unavailable: tax rates read from the database", exc_info=True)
        return rates_for(country)
    if rates is None:
        rates = rates_for(country)
        try:
            cache.set(key, rates, RATES_CACHE_SECONDS)
        except Exception:  # noqa: BLE001
            logger.warning("cache unavailable: tax rates not cached", exc_info=True)
    return rates


def forget_rates(country: str) -> None:
    try:
        cache.delete(RATES_CACHE_KEY.format(country.upper()))
    except Exception:  # noqa: BLE001 - expires by itself within RATES_CACHE_SECONDS
        logger.warning("cache unavailable: tax rates of %s not dropped", country, exc_info=True)


def shown(net: Decimal | None, rate: Decimal | None) -> Decimal | None:
    """A net amount as displayed: with the tax of ``rate``, or as it is (no rate: net display)."""
    if net is None or rate is None:
        return net
    return with_tax(net, rate)


def display_rate(tax_class_id: int | None, country: str | None = None) -> Decimal | None:
    """The rate a displayed price includes, or None when prices are shown net."""
    if not prices_include_tax():
        return None
    return cached_rates(country or display_country()).rate(tax_class_id)


class Card(Protocol):
    id: int
    tax_rate: Decimal | None


def apply_display_rates(cards: Iterable[Card], tax_classes: dict[int, int | None] | None = None) -> None:
    """Give each product card the rate its shown price includes (nothing to do for net display).

    ``tax_classes`` (product id → tax class id) when the caller has them; else one query."""
    cards = list(cards)
    if not prices_include_tax() or not cards:
        return
    if tax_classes is None:
        tax_classes = dict(Product.objects.filter(pk__in=[c.id for c in cards]).values_list("pk", "tax_class_id"))
    rates = cached_rates(display_country())
    for card in cards:
        card.tax_rate = rates.rate(tax_classes.get(card.id))
