"""Reads of the checkout: the cart as shown (prices read from the catalog now), orders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Prefetch, Q, QuerySet

from store.models import Product, ProductImage

from .cart import is_purchasable, stock_message
from .models import Cart, CartItem, Order
from .pricing import money


@dataclass
class CartLine:
    item: CartItem
    product: Product
    unit_price: Decimal
    line_total: Decimal
    image_url: str = ""
    problem: str = ""


@dataclass
class CartView:
    cart: Cart | None
    lines: list[CartLine] = field(default_factory=list)
    subtotal: Decimal = Decimal("0.00")
    currency: str = ""

    @property
    def units(self) -> int:
        return sum(line.item.quantity for line in self.lines)

    @property
    def has_problems(self) -> bool:
        return any(line.problem for line in self.lines)

    @property
    def is_empty(self) -> bool:
        return not self.lines


def cart_view(cart: Cart | None) -> CartView:
    """The cart's lines with today's prices and stock, and what stands in the way of buying."""
    view = CartView(cart=cart, currency=settings.SHOP_CURRENCY)
    if cart is None:
        return view
    items = (
        CartItem.objects.filter(cart=cart)
        .select_related("product", "product__vendor")
        .prefetch_related(Prefetch("product__images", queryset=ProductImage.objects.order_by("position", "id")))
        .order_by("added_at", "id")
    )
    for item in items:
        product = item.product
        images = list(product.images.all())
        problem = ""
        if not is_purchasable(product):
            problem = "No longer available. Please remove it."
        elif item.quantity > product.stock_quantity:
            problem = stock_message(product, 0)
        line_total = money(product.price * item.quantity)
        image = images[0].source if images else ""
        view.lines.append(CartLine(item, product, product.price, line_total, image, problem))
        view.subtotal += line_total
    view.subtotal = money(view.subtotal)
    return view


def orders_of(user: AbstractBaseUser) -> QuerySet[Order]:
    return Order.objects.filter(user=user).prefetch_related("lines").order_by("-created_at", "-id")


def order_of(user: AbstractBaseUser | None, pk: int, guest_order_ids: Sequence[int] = ()) -> Order:
    """One of the user's own orders, or a guest order this browser placed or looked up;
    anyone else's does not exist for them (404)."""
    mine = Q(user=user) if user is not None and user.is_authenticated else Q(pk__in=[])
    guest = Q(pk__in=list(guest_order_ids), user__isnull=True)
    return Order.objects.prefetch_related("lines", "payments").get(Q(pk=pk) & (mine | guest))
