"""Stripe through its official SDK: one PaymentIntent per order, paid in the browser with
Stripe Elements (card data goes from the browser to Stripe, never to us), confirmed by a
signed webhook. The webhook also follows what happens in Stripe's dashboard afterwards: a
full refund refunds the order, a partial refund or a dispute flags it for a human.
``STRIPE_API_BASE`` points the SDK elsewhere (tests use a local fake)."""

from __future__ import annotations

import logging
from typing import Any

import stripe
from django.conf import settings
from django.db import transaction

from checkout import payments
from checkout.models import Order, Payment

from .base import PaymentError, PaymentGateway, PaymentStart, from_minor_units, to_minor_units

logger = logging.getLogger(__name__)

UNAVAILABLE = "Card payments are unavailable right now. Please try again in a few minutes."
# PaymentIntent states in which the customer can still pay it.
OPEN_INTENT_STATES = frozenset(
    {"requires_payment_method", "requires_confirmation", "requires_action", "processing", "requires_capture"}
)


class WebhookError(Exception):
    """The request is not a genuine, well-formed Stripe event (answer 400)."""


def build_client() -> stripe.StripeClient:
    if not settings.STRIPE_SECRET_KEY:
        raise PaymentError("Card payments are not configured.")
    # A client per call, not the SDK's module globals: settings may differ per test, and
    # the SDK's own retries send the same idempotency key.
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": settings.STRIPE_API_BASE},
        max_network_retries=2,
    )


class StripeGateway(PaymentGateway):
    name = "stripe"

    def start_payment(self, order: Order) -> PaymentStart:
        client = build_client()
        try:
            intent = self._open_intent(client, order)
        except stripe.StripeError as exc:
            logger.warning("stripe: could not prepare the payment of order %s: %s", order.number, exc)
            raise PaymentError(UNAVAILABLE) from exc
        payment, _ = Payment.objects.get_or_create(
            gateway=self.name,
            external_id=intent.id,
            defaults={"order": order, "amount": order.total, "currency": order.currency},
        )
        return PaymentStart(
            payment=payment,
            template_name="checkout/payment/stripe.html",
            context={
                "client_secret": intent.client_secret,
                "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
            },
        )

    def _open_intent(self, client: stripe.StripeClient, order: Order) -> Any:
        """The order's payable PaymentIntent: the one we made before, or a new one."""
        open_payments = order.payments.filter(
            gateway=self.name, status__in=[Payment.Status.PENDING, Payment.Status.FAILED]
        )
        for payment in open_payments:
            intent = client.v1.payment_intents.retrieve(payment.external_id)
            if intent.status in OPEN_INTENT_STATES:
                return intent
            if intent.status == "succeeded":
                self._record_intent(intent)
                raise PaymentError("This order has already been paid.")
            Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.CANCELLED)
        attempt = order.payments.filter(gateway=self.name).count()
        return client.v1.payment_intents.create(
            params={
                "amount": to_minor_units(order.total, order.currency),
                "currency": order.currency.lower(),
                "automatic_payment_methods": {"enabled": True},
                "description": f"Order {order.number}",
                "metadata": {"order_id": str(order.pk)},
            },
            # Two page loads at once ask for the same intent and get one.
            options={"idempotency_key": f"order-{order.pk}-intent-{attempt}"},
        )

    def sync_payment(self, payment: Payment) -> None:
        try:
            intent = build_client().v1.payment_intents.retrieve(payment.external_id)
        except stripe.StripeError as exc:
            raise PaymentError(UNAVAILABLE) from exc
        self._record_intent(intent)

    def _record_intent(self, intent: Any) -> str | None:
        return self._record_intent_data(intent.to_dict())

    def _record_intent_data(self, intent: dict[str, Any]) -> str | None:
        currency = str(intent.get("currency") or "")
        if intent.get("status") == "succeeded":
            received = intent.get("amount_received", intent.get("amount"))
            if not isinstance(received, int) or not currency:
                raise WebhookError("succeeded PaymentIntent without an amount or currency")
            return payments.record_payment_succeeded(
                gateway=self.name,
                external_id=str(intent["id"]),
                amount=from_minor_units(received, currency),
                currency=currency,
            )
        error = intent.get("last_payment_error") or {}
        if intent.get("status") == "requires_payment_method" and error:
            return payments.record_payment_failed(
                gateway=self.name, external_id=str(intent["id"]), message=str(error.get("message") or "")
            )
        return None

    def cancel_payment(self, payment: Payment) -> None:
        client = build_client()
        try:
            intent = client.v1.payment_intents.retrieve(payment.external_id)
            if intent.status in OPEN_INTENT_STATES:
                intent = client.v1.payment_intents.cancel(payment.external_id)
        except stripe.StripeError as exc:
            raise PaymentError(UNAVAILABLE) from exc
        if intent.status == "succeeded":
            self._record_intent(intent)
            raise PaymentError("This order has just been paid, so it can no longer be cancelled.")

    def refund_payment(self, payment: Payment) -> str:
        try:
            refund = build_client().v1.refunds.create(
                params={"payment_intent": payment.external_id},
                options={"idempotency_key": f"refund-payment-{payment.pk}"},  # never refund twice
            )
        except stripe.StripeError as exc:
            raise PaymentError(f"Stripe refused the refund: {exc.user_message or exc}") from exc
        return refund.id

    # --- Webhook --------------------------------------------------------------------------

    def handle_webhook(self, payload: bytes, signature: str | None) -> str:
        """Verify a webhook delivery and act on it once; returns what happened.

        Raises WebhookError for a forged, stale or malformed delivery: nothing changes."""
        try:
            event = stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET)
        except (ValueError, UnicodeDecodeError, stripe.SignatureVerificationError) as exc:
            raise WebhookError(str(exc)) from exc
        data = event.to_dict()
        event_id, event_type = data.get("id"), data.get("type")
        subject = (data.get("data") or {}).get("object")
        if not isinstance(event_id, str) or not isinstance(event_type, str) or not isinstance(subject, dict):
            raise WebhookError("event without id, type or object")
        handler = self._event_handlers.get(event_type)
        with transaction.atomic():
            # Recorded in the same transaction as its effects: a failure rolls both back,
            # and Stripe's retry is then handled afresh.
            if not payments.mark_event_processed(self.name, event_id, event_type):
                return "duplicate"
            return (handler(self, subject) if handler else None) or "ignored"

    # The events to subscribe the endpoint to (Stripe dashboard → Webhooks).
    def _on_intent(self, intent: dict[str, Any]) -> str | None:
        if not isinstance(intent.get("id"), str):
            raise WebhookError("PaymentIntent without an id")
        return self._record_intent_data(intent)

    def _on_charge_refunded(self, charge: dict[str, Any]) -> str:
        """A refund, made in the dashboard or by refund_order(): the Charge's totals so far."""
        intent_id, currency = charge.get("payment_intent"), str(charge.get("currency") or "")
        charged, refunded = charge.get("amount"), charge.get("amount_refunded")
        if not isinstance(intent_id, str) or not currency or not isinstance(charged, int) \
                or not isinstance(refunded, int):
            raise WebhookError("refunded Charge without a PaymentIntent, amounts or currency")
        return payments.record_refund(
            gateway=self.name, external_id=intent_id, currency=currency,
            refunded=from_minor_units(refunded, currency), charged=from_minor_units(charged, currency),
        )

    def _on_dispute_created(self, dispute: dict[str, Any]) -> str:
        intent_id, currency, amount = dispute.get("payment_intent"), str(dispute.get("currency") or ""), \
            dispute.get("amount")
        if not isinstance(intent_id, str) or not currency or not isinstance(amount, int):
            raise WebhookError("Dispute without a PaymentIntent, amount or currency")
        return payments.record_dispute(
            gateway=self.name, external_id=intent_id, currency=currency,
            amount=from_minor_units(amount, currency), reason=str(dispute.get("reason") or "")[:100],
        )

    _event_handlers = {
        "payment_intent.succeeded": _on_intent,
        "payment_intent.payment_failed": _on_intent,
        "charge.refunded": _on_charge_refunded,
        "charge.dispute.created": _on_dispute_created,
    }
