"""Writes of the checkout (HackSoft style): cart changes, orders, their status and payments.

Stock is only ever changed here, through ``Product.objects.filter(...).update(...)`` with
F() expressions: ProductQuerySet.update records the search-index outbox rows, so the index
learns about every stock change. Lock order, everywhere: cart → order → payment →
products (by id), so two transactions never wait on each other in a circle."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.http import HttpRequest
from django.utils import timezone

from store.models import Product

from .models import CENTS, Cart, CartItem, Order, OrderLine, Payment, ProcessedWebhookEvent

logger = logging.getLogger(__name__)

CART_SESSION_KEY = "checkout_cart_id"
# Far above any real order line; keeps a typo (or a forged form) away from integer overflow.
MAX_LINE_QUANTITY = 9999
ADDRESS_FIELDS = ("full_name", "address_line1", "address_line2", "city", "postal_code", "country", "phone")


class CartError(Exception):
    """A cart change that cannot be made; the message is meant for the shopper."""


class CheckoutError(Exception):
    """The order cannot be placed; ``problems`` are messages for the shopper."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class TransitionError(Exception):
    """A status change the order's state machine does not allow."""


def money(value: Decimal) -> Decimal:
    return value.quantize(CENTS, rounding=ROUND_HALF_UP)


def is_purchasable(product: Product) -> bool:
    """Shown in the shop (active, vendor active) and priced in the shop's currency."""
    vendor_active = product.vendor_id is None or product.vendor.is_active
    return product.is_active and vendor_active and product.currency == settings.SHOP_CURRENCY


# --- Cart ---------------------------------------------------------------------------------


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


# --- Pricing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    shipping_cost: Decimal
    tax_rate: Decimal
    tax: Decimal
    total: Decimal


def shipping_methods() -> dict[str, dict]:
    return settings.SHIPPING_METHODS


def compute_totals(subtotal: Decimal, shipping_method: str) -> Totals:
    """Tax is charged on the goods, not on shipping; every figure is rounded to cents."""
    method = shipping_methods()[shipping_method]
    subtotal = money(subtotal)
    shipping_cost = money(Decimal(str(method["cost"])))
    tax_rate = Decimal(str(settings.TAX_RATE))
    tax = money(subtotal * tax_rate)
    return Totals(subtotal, shipping_cost, tax_rate, tax, subtotal + shipping_cost + tax)


# --- Orders -------------------------------------------------------------------------------


def _existing_order(user: AbstractBaseUser, idempotency_key: uuid.UUID) -> Order | None:
    order = Order.objects.filter(idempotency_key=idempotency_key).first()
    if order is not None and order.user_id != user.pk:
        # A key is a random UUID issued to one shopper; another's is never honoured.
        raise CheckoutError(["This checkout form has expired. Please review your order and try again."])
    return order


def place_order(
    *,
    user: AbstractBaseUser,
    cart: Cart,
    email: str,
    address: Mapping[str, str],
    shipping_method: str,
    idempotency_key: uuid.UUID,
    expected_subtotal: Decimal | None = None,
) -> Order:
    """Turn the user's cart into an order, in one transaction; returns the order.

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
    user: AbstractBaseUser,
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

    lines = [
        OrderLine(
            product=products[i.product_id],
            vendor_id=products[i.product_id].vendor_id,
            product_name=products[i.product_id].name,
            sku=products[i.product_id].sku,
            unit_price=products[i.product_id].price,  # read under the lock: the price charged
            quantity=i.quantity,
            line_total=money(products[i.product_id].price * i.quantity),
        )
        for i in items
    ]
    totals = compute_totals(sum((line.line_total for line in lines), Decimal(0)), shipping_method)
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
    return locked


def cancel_order(order: Order) -> Order:
    """Cancel an unpaid order: void its open payments at the provider first, so it can no
    longer be paid, then return its stock. Raises PaymentError if the provider refuses."""
    from .gateways import gateway_named

    if not order.can_transition_to(Order.Status.CANCELLED):
        raise TransitionError(f"Order {order.number} is {order.get_status_display().lower()}; it cannot be cancelled.")
    for payment in order.payments.filter(status__in=[Payment.Status.PENDING, Payment.Status.FAILED]):
        gateway_named(payment.gateway).cancel_payment(payment)
    return transition(order, Order.Status.CANCELLED)


def refund_order(order: Order) -> Order:
    """Refund a paid (or fulfilled) order in full through the gateway that took the money."""
    from .gateways import gateway_named

    if not order.can_transition_to(Order.Status.REFUNDED):
        raise TransitionError(f"Order {order.number} is {order.get_status_display().lower()}; it cannot be refunded.")
    payment = order.payments.filter(status=Payment.Status.SUCCEEDED).first()
    if payment is not None:
        refund_id = gateway_named(payment.gateway).refund_payment(payment)
        Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.REFUNDED, refund_id=refund_id)
    return transition(order, Order.Status.REFUNDED)


def cancel_unpaid_orders(older_than_minutes: int | None = None) -> int:
    """Cancel orders left unpaid too long, returning their stock; returns how many."""
    from .gateways import PaymentError

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


# --- Payments -----------------------------------------------------------------------------


class PaymentOutcome:
    PAID = "paid"
    ALREADY_RECORDED = "already recorded"
    FLAGGED = "flagged"
    NEEDS_REVIEW = "needs review"
    FAILED = "failed"
    UNKNOWN_PAYMENT = "unknown payment"
    REFUNDED = "refunded"


def _lock_payment(gateway: str, external_id: str) -> tuple[Order, Payment] | None:
    """Lock the order, then the payment (the global lock order)."""
    payment = Payment.objects.filter(gateway=gateway, external_id=external_id).only("order_id").first()
    if payment is None:
        return None
    order = Order.objects.select_for_update().get(pk=payment.order_id)
    return order, Payment.objects.select_for_update().get(pk=payment.pk)


def _flag(order: Order, note: str) -> None:
    order.needs_review = True
    order.review_note = "\n".join(filter(None, [order.review_note, note]))
    order.save(update_fields=["needs_review", "review_note", "updated_at"])


def record_payment_succeeded(*, gateway: str, external_id: str, amount: Decimal, currency: str) -> str:
    """The provider says it collected ``amount`` ``currency`` for this payment.

    The order is marked paid only if that is exactly its total, in its currency;
    anything else flags the payment and the order for a human. Idempotent."""
    with transaction.atomic():
        locked = _lock_payment(gateway, external_id)
        if locked is None:
            logger.warning("%s reported a payment we do not know: %s", gateway, external_id)
            return PaymentOutcome.UNKNOWN_PAYMENT
        order, payment = locked
        if payment.status in (Payment.Status.SUCCEEDED, Payment.Status.REFUNDED, Payment.Status.FLAGGED):
            return PaymentOutcome.ALREADY_RECORDED
        payment.received_amount = amount
        payment.received_currency = currency.upper()
        if amount != order.total or currency.upper() != order.currency:
            payment.status = Payment.Status.FLAGGED
            payment.message = (
                f"Provider reported {amount} {currency.upper()}, order total is {order.total} {order.currency}."
            )
            payment.save()
            _flag(order, f"Payment {external_id}: amount mismatch. {payment.message}")
            logger.error("payment amount mismatch on order %s: %s", order.number, payment.message)
            return PaymentOutcome.FLAGGED
        payment.status = Payment.Status.SUCCEEDED
        payment.save()
        if order.status != Order.Status.PENDING_PAYMENT:
            # Money arrived for an order that was cancelled meanwhile: someone must refund it.
            _flag(order, f"Payment {external_id} succeeded while the order was {order.get_status_display()}.")
            return PaymentOutcome.NEEDS_REVIEW
        transition(order, Order.Status.PAID)
        from .emails import send_order_confirmation

        transaction.on_commit(lambda: send_order_confirmation(order.pk))
    return PaymentOutcome.PAID


def record_payment_failed(*, gateway: str, external_id: str, message: str = "") -> str:
    """A payment attempt failed (declined card…); the order stays payable."""
    with transaction.atomic():
        locked = _lock_payment(gateway, external_id)
        if locked is None:
            return PaymentOutcome.UNKNOWN_PAYMENT
        _order, payment = locked
        if payment.status != Payment.Status.PENDING:
            return PaymentOutcome.ALREADY_RECORDED
        payment.status = Payment.Status.FAILED
        payment.message = message[:1000]
        payment.save(update_fields=["status", "message", "updated_at"])
    return PaymentOutcome.FAILED


def record_refund(*, gateway: str, external_id: str, refunded: Decimal, charged: Decimal, currency: str) -> str:
    """The provider says it gave back ``refunded`` of the ``charged`` amount (a refund made
    in its dashboard, or the echo of ours). A full refund of a paid or fulfilled order
    refunds the order; anything else (a partial refund, a payment we never saw succeed)
    flags it for a human. Idempotent."""
    with transaction.atomic():
        locked = _lock_payment(gateway, external_id)
        if locked is None:
            logger.warning("%s reported a refund of a payment we do not know: %s", gateway, external_id)
            return PaymentOutcome.UNKNOWN_PAYMENT
        order, payment = locked
        if payment.status == Payment.Status.REFUNDED:
            return PaymentOutcome.ALREADY_RECORDED  # our own refund_order(), or a repeated report
        amounts = f"{refunded} of {charged} {currency.upper()}"
        full = refunded >= charged and currency.upper() == order.currency
        if not full or payment.status != Payment.Status.SUCCEEDED or not order.can_transition_to(Order.Status.REFUNDED):
            _flag(order, f"Payment {external_id}: the provider refunded {amounts} "
                         f"(payment {payment.status}, order {order.status}). Check the order.")
            return PaymentOutcome.NEEDS_REVIEW
        payment.status = Payment.Status.REFUNDED
        payment.save(update_fields=["status", "updated_at"])
        transition(order, Order.Status.REFUNDED, note=f"Refunded at the provider: {amounts}.")
    return PaymentOutcome.REFUNDED


def record_dispute(*, gateway: str, external_id: str, amount: Decimal, currency: str, reason: str) -> str:
    """The customer's bank disputes the payment: the order is flagged for a human (evidence is
    answered in the provider's dashboard)."""
    with transaction.atomic():
        locked = _lock_payment(gateway, external_id)
        if locked is None:
            logger.warning("%s reported a dispute on a payment we do not know: %s", gateway, external_id)
            return PaymentOutcome.UNKNOWN_PAYMENT
        order, _payment = locked
        _flag(order, f"Payment {external_id}: disputed by the customer's bank ({reason or 'no reason given'}), "
                     f"{amount} {currency.upper()}. Answer it in the provider's dashboard.")
        logger.error("payment disputed on order %s (%s)", order.number, reason)
    return PaymentOutcome.NEEDS_REVIEW


def mark_event_processed(gateway: str, event_id: str, event_type: str) -> bool:
    """Record a provider event id; False if it was already handled.

    Call inside the transaction that handles the event: if handling fails, the record
    rolls back with it and the provider's retry is handled afresh. A concurrent
    duplicate waits on the unique index until the first commits, then gets False."""
    try:
        with transaction.atomic():
            ProcessedWebhookEvent.objects.create(gateway=gateway, event_id=event_id, event_type=event_type)
    except IntegrityError:
        return False
    return True
