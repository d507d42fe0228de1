"""Cart writes: what may go in a cart (availability, stock), adding, changing, merging at login.

Lock order, everywhere in the checkout: cart → order → payment → products (by id); see
``checkout.orders``. Several carts (a merge) are locked in one query, by id. Every write
locks its cart row before it reads or writes the cart's lines, so a merge at login and an
add to the anonymous cart are serialised: the add lands before the merge (and is moved with
the other lines) or after it, in the user's cart, which the merge leaves a pointer to
(``merged_into``). A deadlock, should one still happen, is retried.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import cache
from django.db import OperationalError, connection, transaction
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone

from store.models import Product

from .models import Cart, CartItem

logger = logging.getLogger(__name__)
T = TypeVar("T")

CART_SESSION_KEY = "checkout_cart_id"
# Far above any real order line; keeps a typo (or a forged form) away from integer overflow.
MAX_LINE_QUANTITY = 9999
# Where a merged anonymous cart went, for the requests still holding its id (another tab's
# add that was waiting on its lock). Longer than any request; after it the add is refused.
MERGED_INTO_KEY = "checkout:merged-cart:{}"
MERGED_INTO_SECONDS = 3600
MERGED_AWAY_MESSAGE = "Your cart has just moved to your account. Please add the product again."
# PostgreSQL's deadlock_detected and serialization_failure: the transaction may simply be run again.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})
ATTEMPTS = 4


class CartError(Exception):
    """A cart change that cannot be made; the message is meant for the shopper."""


def is_purchasable(product: Product) -> bool:
    """Shown in the shop (active, vendor active) and priced in the shop's currency."""
    vendor_active = product.vendor_id is None or product.vendor.is_active
    return product.is_active and vendor_active and product.currency == settings.SHOP_CURRENCY


def get_cart(request: HttpRequest, *, create: bool = False) -> Cart | None:
    """The request's cart: the user's own when logged in, else the session's anonymous one."""
    if request.user.is_authenticated:
        if create:
            # get_or_create retries the read if a parallel request created it first.
            return Cart.objects.get_or_create(user=request.user)[0]
        return Cart.objects.filter(user=request.user).first()
    cart_id = request.session.get(CART_SESSION_KEY)
    cart = Cart.objects.filter(pk=cart_id, user__isnull=True).first() if cart_id else None
    if cart is None and create:
        cart = Cart.objects.create()
        request.session[CART_SESSION_KEY] = cart.pk
    return cart


def cart_item_count(request: HttpRequest) -> int:
    """Units in the request's cart, for the header; no query for a visitor without a cart."""
    if request.user.is_authenticated:
        items = CartItem.objects.filter(cart__user=request.user)
    elif hasattr(request, "session") and request.session.get(CART_SESSION_KEY):
        items = CartItem.objects.filter(cart_id=request.session[CART_SESSION_KEY], cart__user__isnull=True)
    else:
        return 0
    return items.aggregate(units=Sum("quantity"))["units"] or 0


def stock_message(product: Product, in_cart: int) -> str:
    if product.stock_quantity == 0:
        return f"Sorry, “{product.name}” is out of stock."
    held = f" (you already have {in_cart} in your cart)" if in_cart else ""
    return f"Only {product.stock_quantity} of “{product.name}” left in stock{held}."


def _check_quantity(product: Product, quantity: int, in_cart: int = 0) -> None:
    if quantity < 1:
        raise CartError("Quantity must be at least 1.")
    if not is_purchasable(product):
        raise CartError(f"“{product.name}” is not available.")
    if in_cart + quantity > min(product.stock_quantity, MAX_LINE_QUANTITY):
        raise CartError(stock_message(product, in_cart))


def retrying_deadlocks(work: Callable[[], T]) -> T:
    """``work()`` (one transaction), run again if PostgreSQL chose it as a deadlock victim.

    Not inside an outer transaction: the deadlock aborted that one too, only its owner may retry."""
    retry = not connection.in_atomic_block
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return work()
        except OperationalError as exc:
            if not retry or attempt == ATTEMPTS or getattr(exc.__cause__, "sqlstate", None) not in RETRYABLE_SQLSTATES:
                raise
            logger.warning("cart transaction retried after %s (attempt %d)", exc.__cause__.__class__.__name__, attempt)
            time.sleep(random.uniform(0.005, 0.05) * attempt)  # apart, so they do not meet again
    raise AssertionError("unreachable")


def merged_into(cart_id: int) -> int | None:
    """The cart that an anonymous cart was merged into at login, while that is remembered."""
    try:
        return cache.get(MERGED_INTO_KEY.format(cart_id))
    except Exception:  # noqa: BLE001 - without the cache the add is refused, never lost
        logger.warning("cache unavailable: cannot follow merged cart %s", cart_id, exc_info=True)
        return None


def lock_cart(cart_id: int) -> Cart:
    """Lock the cart, following it into the user's cart if a login merged it meanwhile."""
    for _ in range(3):  # a pointer leads to a user's cart, which is never merged again
        cart = Cart.objects.select_for_update().filter(pk=cart_id).first()
        if cart is not None:
            return cart
        next_id = merged_into(cart_id)
        if next_id is None:
            break
        cart_id = next_id
    raise CartError(MERGED_AWAY_MESSAGE)


def add_to_cart(cart: Cart, product: Product, quantity: int) -> CartItem:
    """Add ``quantity`` units, checking the stock against what the cart already holds.

    If a login merged the cart while this waited for its lock, the units go to the user's cart."""
    product = Product.objects.select_related("vendor").get(pk=product.pk)  # stock as of now

    def add() -> CartItem:
        with transaction.atomic():
            # The cart lock orders this after (or before) a checkout or a merge of the same cart.
            locked = lock_cart(cart.pk)
            item = CartItem.objects.filter(cart=locked, product=product).first()
            _check_quantity(product, quantity, item.quantity if item else 0)
            if item is None:
                item = CartItem.objects.create(cart=locked, product=product, quantity=quantity)
            else:
                item.quantity += quantity
                item.save(update_fields=["quantity"])
            Cart.objects.filter(pk=locked.pk).update(updated_at=timezone.now())
        return item

    return retrying_deadlocks(add)


def set_item_quantity(item: CartItem, quantity: int) -> CartItem:
    """Replace a line's quantity (1 or more: removing is ``remove_item``); the line of the same
    product in the user's cart if a login merged the cart meanwhile."""
    product = Product.objects.select_related("vendor").get(pk=item.product_id)
    _check_quantity(product, quantity)

    def set_quantity() -> CartItem:
        with transaction.atomic():
            locked = lock_cart(item.cart_id)
            line = CartItem.objects.filter(cart=locked, product_id=item.product_id).first()
            if line is None:  # removed in another tab
                raise CartError(f"“{product.name}” is no longer in your cart.")
            CartItem.objects.filter(pk=line.pk).update(quantity=quantity)
        line.quantity = quantity
        return line

    line = retrying_deadlocks(set_quantity)
    item.pk, item.cart_id, item.quantity = line.pk, line.cart_id, quantity
    return item


def remove_item(item: CartItem) -> None:
    with transaction.atomic():
        # Under the cart lock: a merge reading the cart's lines sees the line or its absence.
        Cart.objects.select_for_update().filter(pk=item.cart_id).first()
        CartItem.objects.filter(pk=item.pk).delete()


@dataclass
class MergeResult:
    merged: int
    notes: list[str]


def merge_carts(source: Cart, target: Cart) -> MergeResult:
    """Move an anonymous cart into a user's cart, then delete it.

    Rules: quantities of the same product are added, up to the stock on hand; what the
    user's cart already held is never reduced here (checkout reports a shortage);
    products that are no longer sold or are out of stock are left out, with a note."""
    return retrying_deadlocks(lambda: _merge(source.pk, target.pk))


def _merge(source_id: int, target_id: int) -> MergeResult:
    notes: list[str] = []
    merged = 0
    with transaction.atomic():
        # Both carts in one query, by id: the order every writer of two carts uses. The lines
        # are read only now, so every add that committed before is seen, and every later one
        # waits for this transaction.
        carts = {c.pk: c for c in Cart.objects.select_for_update().filter(pk__in=[source_id, target_id]).order_by("pk")}
        source, target = carts.get(source_id), carts.get(target_id)
        if source is None or target is None or source.user_id is not None:
            return MergeResult(merged=0, notes=[])  # merged already (two logins at once), or not anonymous
        target_items = {item.product_id: item for item in CartItem.objects.filter(cart=target)}
        for item in source.items.select_related("product", "product__vendor"):
            product = item.product
            existing = target_items.get(product.pk)
            current = existing.quantity if existing else 0
            wanted = current + item.quantity
            allowed = min(wanted, product.stock_quantity, MAX_LINE_QUANTITY) if is_purchasable(product) else 0
            if allowed <= current:
                if not existing:
                    notes.append(f"“{product.name}” is no longer available and was not added to your cart.")
                elif wanted > current:
                    notes.append(f"Your cart already holds all we have of “{product.name}”.")
                continue
            if existing:
                existing.quantity = allowed
                existing.save(update_fields=["quantity"])
            else:
                CartItem.objects.create(cart=target, product=product, quantity=allowed)
            merged += 1
            if allowed < wanted:
                notes.append(f"Only {allowed} of “{product.name}” are in stock; your cart holds {allowed}.")
        # Before the commit that wakes the adds waiting on the source's lock: they follow it.
        # (Rolled back, it points away from a cart that still exists, and is never read.)
        try:
            cache.set(MERGED_INTO_KEY.format(source.pk), target.pk, MERGED_INTO_SECONDS)
        except Exception:  # noqa: BLE001 - a waiting add is then refused, not lost
            logger.warning("cache unavailable: adds racing the merge of cart %s will be refused", source.pk,
                           exc_info=True)
        source.delete()
    return MergeResult(merged=merged, notes=notes)


def merge_session_cart(request: HttpRequest, user: AbstractBaseUser) -> MergeResult | None:
    """At login: fold the visitor's anonymous cart into the user's cart."""
    cart_id = request.session.pop(CART_SESSION_KEY, None) if hasattr(request, "session") else None
    source = Cart.objects.filter(pk=cart_id, user__isnull=True).first() if cart_id else None
    if source is None:
        return None
    target = Cart.objects.get_or_create(user=user)[0]
    return merge_carts(source, target)
