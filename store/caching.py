"""What the storefront caches from the database, and when it forgets it.

* The **category menu** (every page's header): until a category is saved, moved or
  deleted (signals below, also after the transaction commits, so a reader between the
  write and the commit cannot keep the old tree), or ``CATEGORY_MENU_CACHE_SECONDS``.
* The **home page best sellers**: keyed by the listing generation that the outbox
  drain bumps (``search.result_cache``), like the other listings: a product change is
  on the home page once it is in the index; a stock, units-sold or price change (which
  bumps nothing) within ``SEARCH_CACHE_STALE_SECONDS``, the most its entry lives. Prices
  there are listing prices; the product page, cart and checkout read the database.
* The **shop's identity** (name, tagline, logo, footer pages: every page's header and
  footer): until the shop settings or a footer page are saved or deleted.
* **Product page fragments** (description and specifications; the review list) are
  cached by the template (``{% cache %}``) under the product's id and ``updated_at``,
  which every product write moves (``save`` and ``ProductQuerySet.update``, including
  the rating refresh after a review changes), plus ``attribute_labels_version()`` for
  the specification labels, which live on the categories' attribute definitions.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from treebeard.mp_tree import nodes_deleted, path_updated

from .models import AttributeDefinition, Category, FooterPage, ShopSettings

MENU_KEY = "store:category-menu"
# v2: the tiles are store.selectors.ProductCard (pickles of the earlier class must not be read).
FEATURED_KEY = "store:featured:v2"
ATTRIBUTE_LABELS_KEY = "store:attribute-labels-version"
SHOP_KEY = "store:shop-identity"

T = TypeVar("T")


def cached(key: str, timeout: int, build: Callable[[], T]) -> T:
    """``build()`` from the cache, or built and kept for ``timeout`` seconds (0: not cached)."""
    if not timeout:
        return build()
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, timeout)
    return value


# The catalog's listing generation: a number bumped whenever what listings show may have
# changed (an outbox batch reached the search engine, a reindex switched). Cached listings,
# suggestions and the home page's tiles are keyed by it.
GENERATION_KEY = "search:listing-generation"


def listing_generation() -> int:
    """The current generation: milliseconds since the epoch at the last bump (0 before any)."""
    return cache.get(GENERATION_KEY) or 0


def bump_listing_generation() -> int:
    """Make every cached listing and suggestion stale. Called after each outbox batch that
    reached the engine, and after a reindex switched to a new index."""
    new = max(int(time.time() * 1000), listing_generation() + 1)
    cache.set(GENERATION_KEY, new, None)  # no expiry: one small key
    return new


# When the engine last took a change that listings may show late (stock, units sold, prices:
# an order), in milliseconds since the epoch. It bumps no generation: cached listings made
# before it are served at most SEARCH_CACHE_STALE_SECONDS after they were made.
LISTING_ONLY_CHANGE_KEY = "search:listing-only-change"


def note_listing_only_change() -> None:
    """An outbox batch of stock, units-sold or price changes reached the engine."""
    if settings.SEARCH_CACHE_STALE_SECONDS <= 0:
        bump_listing_generation()
    else:
        cache.set(LISTING_ONLY_CHANGE_KEY, int(time.time() * 1000), None)


def listing_timeout(ttl: int) -> int:
    """The TTL of a cached listing that is keyed by the generation alone: at most the staleness allowed."""
    stale = settings.SEARCH_CACHE_STALE_SECONDS
    return min(ttl, stale) if stale > 0 and ttl else ttl


def featured_key(limit: int) -> str:
    return f"{FEATURED_KEY}:{limit}:{listing_generation()}"


def attribute_labels_version() -> int:
    version = cache.get(ATTRIBUTE_LABELS_KEY)
    if version is None:
        cache.add(ATTRIBUTE_LABELS_KEY, 0, None)  # later reads hit (see the hit ratio in /metrics)
    return version or 0


def forget_category_menu() -> None:
    cache.delete(MENU_KEY)


def _forget_menu_now_and_on_commit() -> None:
    forget_category_menu()
    transaction.on_commit(forget_category_menu)


@receiver(post_save, sender=Category, dispatch_uid="store.caching.category_saved")
@receiver(post_delete, sender=Category, dispatch_uid="store.caching.category_deleted")
def category_changed(sender, **kwargs) -> None:
    _forget_menu_now_and_on_commit()


@receiver(path_updated, sender=Category, dispatch_uid="store.caching.category_moved")
@receiver(nodes_deleted, sender=Category, dispatch_uid="store.caching.categories_deleted")
def category_tree_changed(sender, **kwargs) -> None:
    """treebeard moves and bulk-deletes nodes with queryset updates, which send no post_save."""
    _forget_menu_now_and_on_commit()


def _bump_attribute_labels() -> None:
    try:
        cache.incr(ATTRIBUTE_LABELS_KEY)
    except ValueError:
        cache.set(ATTRIBUTE_LABELS_KEY, 1, None)


@receiver(post_save, sender=AttributeDefinition, dispatch_uid="store.caching.attribute_saved")
@receiver(post_delete, sender=AttributeDefinition, dispatch_uid="store.caching.attribute_deleted")
def attribute_definition_changed(sender, **kwargs) -> None:
    _bump_attribute_labels()
    transaction.on_commit(_bump_attribute_labels)


def fragment_cache_seconds() -> int:
    return settings.PRODUCT_FRAGMENT_CACHE_SECONDS


def forget_shop_identity() -> None:
    cache.delete(SHOP_KEY)


@receiver(post_save, sender=ShopSettings, dispatch_uid="store.caching.shop_saved")
@receiver(post_delete, sender=ShopSettings, dispatch_uid="store.caching.shop_deleted")
@receiver(post_save, sender=FooterPage, dispatch_uid="store.caching.footer_page_saved")
@receiver(post_delete, sender=FooterPage, dispatch_uid="store.caching.footer_page_deleted")
def shop_identity_changed(sender, **kwargs) -> None:
    forget_shop_identity()
    transaction.on_commit(forget_shop_identity)
