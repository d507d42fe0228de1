"""Payments: recording what a provider reports (paid, failed, refunded, disputed) and webhook idempotency.

Lock order, everywhere in the checkout: cart → order → payment → products (by id); see
``checkout.orders``."""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db import IntegrityError, transaction

from .models import Order, Payment, ProcessedWebhookEvent
from .orders import transition

logger = logging.getLogger(__name__)


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
        transition(order, Order.Status.PAID)  # queues the confirmation and the vendors' notices
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
