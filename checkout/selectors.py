"""Reads of the checkout: the cart as shown (prices read from the catalog now), orders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Prefetch, Q, QuerySet

from store.models import Product, ProductImage
from taxes.display import cached_rates, display_country, prices_include_tax
from taxes.rates import CountryRates

from .cart import is_purchasable, stock_message
from .models import Cart, CartItem, Order
from .pricing import TaxedLine, money, taxed_line


@dataclass
class CartLine:
    item: CartItem
    product: Product
    unit_price: Decimal
    line_total: Decimal
    image_url: str = ""
    problem: str = ""
    # Set by CartView.tax_at: the line's rate and tax in the country it ships to.
    taxed: TaxedLine | None = None
    shows_tax: bool = False

    @property
    def shown_unit_price(self) -> Decimal:
        if not (self.shows_tax and self.taxed):
            return self.unit_price
        return self.unit_price + money(self.unit_price * self.taxed.rate)

    @property
    def shown_line_total(self) -> Decimal:
        return self.taxed.gross if self.shows_tax and self.taxed else self.line_total


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

    @property
    def shown_subtotal(self) -> Decimal:
        if not any(line.shows_tax for line in self.lines):
            return self.subtotal
        return sum((line.shown_line_total for line in self.lines), Decimal("0.00"))

    def tax_at(self, rates: CountryRates) -> list[TaxedLine]:
        """Each line's tax in the rates' country; the lines then show prices with tax if the
        shop shows them so."""
        shows_tax = prices_include_tax()
        for line in self.lines:
            line.taxed = taxed_line(line.line_total, line.product.tax_class_id, rates)
            line.shows_tax = shows_tax
        return [line.taxed for line in self.lines if line.taxed]


def cart_view_for_display(cart: Cart | None) -> CartView:
    """The cart page: prices with the display country's tax when the shop shows tax."""
    view = cart_view(cart)
    if prices_include_tax() and not view.is_empty:
        view.tax_at(cached_rates(display_country()))
    return view


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
