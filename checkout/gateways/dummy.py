"""A gateway that needs no network: the payment page shows "pay" and "decline"
buttons, so the whole purchase works in the embedded run and in tests."""

from __future__ import annotations

import uuid

from django.db import transaction

from checkout import payments
from checkout.models import Order, Payment

from .base import PaymentGateway, PaymentStart


class DummyGateway(PaymentGateway):
    name = "dummy"

    def start_payment(self, order: Order) -> PaymentStart:
        with transaction.atomic():
            # Locked so that two page loads share one pending payment.
            Order.objects.select_for_update().get(pk=order.pk)
            payment = order.payments.filter(gateway=self.name, status=Payment.Status.PENDING).first()
            if payment is None:
                payment = Payment.objects.create(
                    order=order,
                    gateway=self.name,
                    external_id=f"dummy_{uuid.uuid4().hex}",
                    amount=order.total,
                    currency=order.currency,
                )
        return PaymentStart(payment=payment, template_name="checkout/payment/dummy.html")

    def complete(self, payment: Payment, *, approve: bool) -> str:
        """What a real provider's callback would report: the full amount, or a decline."""
        if approve:
            return payments.record_payment_succeeded(
                gateway=self.name,
                external_id=payment.external_id,
                amount=payment.amount,
                currency=payment.currency,
            )
        return payments.record_payment_failed(
            gateway=self.name, external_id=payment.external_id, message="Card declined (dummy gateway)."
        )

    def sync_payment(self, payment: Payment) -> None:
        """Nothing to ask: the dummy's buttons record the outcome directly."""

    def cancel_payment(self, payment: Payment) -> None:
        """Nothing to void remotely; orders.transition marks the payment cancelled."""

    def refund_payment(self, payment: Payment) -> str:
        return f"dummy_refund_{uuid.uuid4().hex}"
