"""Cart writes: what may go in a cart (availability, stock), adding, changing, merging at login.

Lock order, everywhere in the checkout: cart → order → payment → products (by id); see
``checkout.orders``."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone

from store.models import Product

from .models import Cart, CartItem

CART_SESSION_KEY = "checkout_cart_id"
# Far above any real order line; keeps a typo (or a forged form) away from integer overflow.
MAX_LINE_QUANTITY = 9999


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


def add_to_cart(cart: Cart, product: Product, quantity: int) -> CartItem:
    """Add ``quantity`` units, checking the stock against what the cart already holds."""
    product = Product.objects.select_related("vendor").get(pk=product.pk)  # stock as of now
    with transaction.atomic():
        # The cart lock orders this after (or before) a checkout of the same cart.
        Cart.objects.select_for_update().get(pk=cart.pk)
        item = CartItem.objects.filter(cart=cart, product=product).first()
        _check_quantity(product, quantity, item.quantity if item else 0)
        if item is None:
            item = CartItem.objects.create(cart=cart, product=product, quantity=quantity)
        else:
            item.quantity += quantity
            item.save(update_fields=["quantity"])
        Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now())
    return item


def set_item_quantity(item: CartItem, quantity: int) -> CartItem:
    """Replace a line's quantity (1 or more: removing is ``remove_item``)."""
    product = Product.objects.select_related("vendor").get(pk=item.product_id)
    _check_quantity(product, quantity)
    with transaction.atomic():
        Cart.objects.select_for_update().get(pk=item.cart_id)
        CartItem.objects.filter(pk=item.pk).update(quantity=quantity)
    item.quantity = quantity
    return item


def remove_item(item: CartItem) -> None:
    item.delete()


@dataclass
class MergeResult:
    merged: int
    notes: list[str]


def merge_carts(source: Cart, target: Cart) -> MergeResult:
    """Move an anonymous cart into a user's cart, then delete it.

    Rules: quantities of the same product are added, up to the stock on hand; what the
    user's cart already held is never reduced here (checkout reports a shortage);
    products that are no longer sold or are out of stock are left out, with a note."""
    notes: list[str] = []
    merged = 0
    with transaction.atomic():
        Cart.objects.select_for_update().get(pk=target.pk)
        target_items = {item.product_id: item for item in CartItem.objects.select_for_update().filter(cart=target)}
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
