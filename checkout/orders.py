"""Orders: placing one from a cart (stock, idempotency), its status transitions, cancelling and refunding.

Stock is only ever changed here, through ``Product.objects.filter(...).update(...)`` with
F() expressions: ProductQuerySet.update records the search-index outbox rows, so the index
learns about every stock change. Lock order, everywhere: cart → order → payment →
products (by id), so two transactions never wait on each other in a circle."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from store.models import Product
from taxes.rates import rates_for

from . import emails
from .cart import is_purchasable, stock_message
from .gateways import PaymentError, gateway_named
from .models import Cart, CartItem, Order, OrderLine, Payment
from .pricing import compute_totals, shipping_methods, taxed_line

logger = logging.getLogger(__name__)

ADDRESS_FIELDS = (
    "full_name", "address_line1", "address_line2", "city", "postal_code", "country_area", "country", "phone",
)


class CheckoutError(Exception):
    """The order cannot be placed; ``problems`` are messages for the shopper."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class TransitionError(Exception):
    """A status change the order's state machine does not allow."""


def _existing_order(user: AbstractBaseUser | None, idempotency_key: uuid.UUID) -> Order | None:
    order = Order.objects.filter(idempotency_key=idempotency_key).first()
    if order is not None and order.user_id != (user.pk if user is not None else None):
        # A key is a random UUID issued to one shopper; another's is never honoured.
        raise CheckoutError(["This checkout form has expired. Please review your order and try again."])
    return order


def place_order(
    *,
    user: AbstractBaseUser | None,
    cart: Cart,
    email: str,
    address: Mapping[str, str],
    shipping_method: str,
    idempotency_key: uuid.UUID,
    expected_subtotal: Decimal | None = None,
) -> Order:
    """Turn the cart into an order, in one transaction; returns the order. ``user`` is None
    for a guest checkout (the order then belongs to its e-mail address: checkout.guest_orders).

    The product rows are locked (SELECT … FOR UPDATE) before their stock is checked and
    decremented, so concurrent checkouts of the last unit serialise and only one wins.
    The same ``idempotency_key`` (one per checkout form) always yields the same order.
    ``expected_subtotal`` is what the shopper was shown: if prices moved since, nothing
    is ordered and the shopper sees the new figures first."""
    if shipping_method not in shipping_methods():
        raise CheckoutError(["Choose a shipping method."])
    existing = _existing_order(user, idempotency_key)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            # Serialises this shopper's own submits: the second one waits, then finds the order.
            Cart.objects.select_for_update().get(pk=cart.pk)
            existing = _existing_order(user, idempotency_key)
            if existing is not None:
                return existing
            order = _create_order(user, cart, email, address, shipping_method, idempotency_key, expected_subtotal)
    except IntegrityError:
        # Two submits with one key that did not share a cart lock (e.g. the cart was replaced).
        existing = _existing_order(user, idempotency_key)
        if existing is None:
            raise
        return existing
    return order


def _create_order(
    user: AbstractBaseUser | None,
    cart: Cart,
    email: str,
    address: Mapping[str, str],
    shipping_method: str,
    idempotency_key: uuid.UUID,
    expected_subtotal: Decimal | None,
) -> Order:
    items = list(CartItem.objects.filter(cart=cart).order_by("product_id"))
    if not items:
        raise CheckoutError(["Your cart is empty."])
    # Locked in id order (deadlock-free); of=("self",) because the vendor join is nullable.
    products = {
        p.pk: p
        for p in Product.objects.select_for_update(of=("self",))
        .select_related("vendor")
        .filter(pk__in=[i.product_id for i in items])
        .order_by("pk")
    }
    problems = []
    for item in items:
        product = products[item.product_id]
        if not is_purchasable(product):
            problems.append(f"“{product.name}” is no longer available; please remove it from your cart.")
        elif item.quantity > product.stock_quantity:
            problems.append(stock_message(product, 0) + " Please update your cart.")
    if problems:
        raise CheckoutError(problems)

    # The rates as they are now (the database, not a cache): what this order is charged.
    rates = rates_for(str(address.get("country", "")))
    lines, taxed_lines = [], []
    for item in items:
        product = products[item.product_id]
        taxed = taxed_line(product.price * item.quantity, product.tax_class_id, rates)
        taxed_lines.append(taxed)
        lines.append(OrderLine(
            product=product,
            vendor_id=product.vendor_id,
            product_name=product.name,
            sku=product.sku,
            unit_price=product.price,  # read under the lock: the price charged
            quantity=item.quantity,
            line_total=taxed.net,
            tax_rate=taxed.rate,
            tax=taxed.tax,
        ))
    totals = compute_totals(taxed_lines, shipping_method)
    if expected_subtotal is not None and totals.subtotal != expected_subtotal:
        raise CheckoutError(
            [
                "Prices in your cart changed since you opened this page. Please check the new total and "
                "place your order again."
            ]
        )
    order = Order.objects.create(
        user=user,
        email=email,
        idempotency_key=idempotency_key,
        currency=settings.SHOP_CURRENCY,
        subtotal=totals.subtotal,
        shipping_cost=totals.shipping_cost,
        tax_rate=totals.tax_rate,
        tax=totals.tax,
        total=totals.total,
        shipping_method=shipping_method,
        shipping_method_label=shipping_methods()[shipping_method]["label"],
        **{name: address.get(name, "") for name in ADDRESS_FIELDS},
    )
    for line in lines:
        line.order = order
    OrderLine.objects.bulk_create(lines)
    for item in items:
        _adjust_stock(item.product_id, -item.quantity)
    CartItem.objects.filter(pk__in=[item.pk for item in items]).delete()
    emails.order_placed(order)
    return order


def _adjust_stock(product_id: int, delta: int) -> None:
    """Stock and units sold move together; through the ORM so the search index follows."""
    Product.objects.filter(pk=product_id).update(
        stock_quantity=F("stock_quantity") + delta, sales_count=F("sales_count") - delta
    )


def _restock(order: Order) -> None:
    for line in order.lines.filter(product__isnull=False).order_by("product_id"):
        _adjust_stock(line.product_id, line.quantity)


def transition(order: Order, status: str, *, note: str = "") -> Order:
    """Move ``order`` to ``status`` if the state machine allows it; returns the fresh order.

    Cancelling an unpaid order puts its units back in stock, in the same transaction."""
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if not locked.can_transition_to(status):
            raise TransitionError(
                f"Order {locked.number} is {locked.get_status_display().lower()}; "
                f"it cannot become {Order.Status(status).label.lower()}."
            )
        if status == Order.Status.CANCELLED and locked.status == Order.Status.PENDING_PAYMENT:
            _restock(locked)
            Payment.objects.filter(order=locked, status__in=[Payment.Status.PENDING, Payment.Status.FAILED]).update(
                status=Payment.Status.CANCELLED
            )
        locked.status = status
        if status == Order.Status.PAID:
            locked.paid_at = timezone.now()
        if note:
            locked.review_note = "\n".join(filter(None, [locked.review_note, note]))
        locked.save()
        notify = emails.ON_STATUS.get(status)
        if notify is not None:
            notify(locked)  # queued in this transaction: sent only if the change commits
    return locked


def cancel_order(order: Order) -> Order:
    """Cancel an unpaid order: void its open payments at the provider first, so it can no
    longer be paid, then return its stock. Raises PaymentError if the provider refuses."""
    if not order.can_transition_to(Order.Status.CANCELLED):
        raise TransitionError(f"Order {order.number} is {order.get_status_display().lower()}; it cannot be cancelled.")
    for payment in order.payments.filter(status__in=[Payment.Status.PENDING, Payment.Status.FAILED]):
        gateway_named(payment.gateway).cancel_payment(payment)
    return transition(order, Order.Status.CANCELLED)


def refund_order(order: Order) -> Order:
    """Refund a paid (or fulfilled) order in full through the gateway that took the money."""
    if not order.can_transition_to(Order.Status.REFUNDED):
        raise TransitionError(f"Order {order.number} is {order.get_status_display().lower()}; it cannot be refunded.")
    payment = order.payments.filter(status=Payment.Status.SUCCEEDED).first()
    if payment is not None:
        refund_id = gateway_named(payment.gateway).refund_payment(payment)
        Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.REFUNDED, refund_id=refund_id)
    return transition(order, Order.Status.REFUNDED)


def cancel_unpaid_orders(older_than_minutes: int | None = None) -> int:
    """Cancel orders left unpaid too long, returning their stock; returns how many."""
    minutes = settings.ORDER_PAYMENT_TIMEOUT_MINUTES if older_than_minutes is None else older_than_minutes
    cutoff = timezone.now() - timedelta(minutes=minutes)
    cancelled = 0
    stale = Order.objects.filter(status=Order.Status.PENDING_PAYMENT, created_at__lt=cutoff)
    for order in stale.iterator():
        try:
            cancel_order(order)
        except (TransitionError, PaymentError) as exc:  # paid meanwhile, or provider down: next run
            logger.warning("could not cancel unpaid order %s: %s", order.number, exc)
            continue
        cancelled += 1
    return cancelled
