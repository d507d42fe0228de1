"""Stripe through the official SDK, pointed at a local fake of its HTTP API, and webhooks
signed with Stripe's real scheme: each event handled once, forged deliveries refused,
amounts and currencies checked against the order."""

import json
import threading
import time

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from checkout.models import Order, Payment, ProcessedWebhookEvent
from checkout.orders import TransitionError, refund_order, transition
from store.models import Product
from tests.checkout_support import (
    charge_object,
    checkout_form,
    dispute_object,
    fill_cart,
    intent_event,
    make_user,
    queued_emails,
    sign_payload,
)

# The shop, settings and fake-Stripe fixtures.
pytest_plugins = ["tests.checkout_fixtures"]

Status = Order.Status
WEBHOOK = "/checkout/stripe/webhook/"


@pytest.fixture
def customer(shop, fake_stripe):
    user = make_user("ada", "ada@example.com")
    fill_cart(user, (shop.lamp, 2), (shop.mug, 3))
    client = Client()
    client.force_login(user)
    return client


def order_with_intent(client) -> tuple[Order, str]:
    """Place the customer's order and open the payment page: Stripe gets its PaymentIntent."""
    client.post(reverse("checkout"), checkout_form())
    order = Order.objects.get()
    page = client.get(reverse("order_pay", args=[order.pk]))
    assert page.status_code == 200
    return order, Payment.objects.get(order=order).external_id


def deliver(client, payload: str, signature: str | None = None):
    headers = {"HTTP_STRIPE_SIGNATURE": sign_payload(payload) if signature is None else signature}
    return client.post(WEBHOOK, data=payload, content_type="application/json", **headers)


def stock(product: Product) -> int:
    return Product.objects.values_list("stock_quantity", flat=True).get(pk=product.pk)


# --- The payment page --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_payment_page_opens_one_payment_intent_per_order(customer, fake_stripe):
    customer.post(reverse("checkout"), checkout_form())
    order = Order.objects.get()
    page = customer.get(reverse("order_pay", args=[order.pk]))

    created = [r for r in fake_stripe.requests if r["method"] == "POST"]
    assert len(created) == 1
    request = created[0]
    assert request["path"] == "/v1/payment_intents"
    assert request["params"]["amount"] == "7214"  # $72.14 in cents
    assert request["params"]["currency"] == "usd"
    assert request["params"]["metadata[order_id]"] == str(order.pk)
    assert request["headers"]["idempotency-key"] == f"order-{order.pk}-intent-0"
    assert request["headers"]["authorization"] == f"Bearer {fake_stripe.api_key}"

    intent = next(iter(fake_stripe.intents.values()))
    html = page.content.decode()
    assert 'src="https://js.stripe.com/v3/"' in html
    assert f'data-client-secret="{intent["client_secret"]}"' in html
    assert 'data-publishable-key="pk_test_fake_checkout"' in html
    assert fake_stripe.api_key not in html
    assert 'name="card' not in html  # the card field is Stripe's iframe: no card data reaches us

    payment = Payment.objects.get()
    assert (payment.gateway, payment.external_id, payment.amount, payment.currency, payment.status) == (
        "stripe",
        intent["id"],
        order.total,
        "USD",
        "pending",
    )

    customer.get(reverse("order_pay", args=[order.pk]))  # a reload reuses the intent
    assert len([r for r in fake_stripe.requests if r["method"] == "POST"]) == 1
    assert fake_stripe.requests[-1]["method"] == "GET"
    assert fake_stripe.requests[-1]["path"] == f"/v1/payment_intents/{intent['id']}"
    assert Payment.objects.count() == 1


@pytest.mark.django_db
def test_an_unreachable_stripe_is_a_message_not_an_error(customer, fake_stripe, settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # discard port: nothing listens
    customer.post(reverse("checkout"), checkout_form())
    order = Order.objects.get()
    response = customer.get(reverse("order_pay", args=[order.pk]), follow=True)
    assert response.status_code == 200
    assert "Card payments are unavailable right now." in response.content.decode()
    assert not Payment.objects.exists()
    assert Order.objects.get().status == Status.PENDING_PAYMENT


# --- Webhooks --------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_same_event_delivered_ten_times_records_one_payment(customer, fake_stripe, shop, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    order, intent_id = order_with_intent(customer)
    payload = intent_event(fake_stripe.succeed(intent_id), event_id="evt_once")
    signature = sign_payload(payload)
    barrier = threading.Barrier(10)
    outcomes: list = []

    def deliver_once() -> None:
        try:
            barrier.wait(timeout=30)
            response = deliver(Client(), payload, signature)
            outcomes.append((response.status_code, json.loads(response.content)["outcome"]))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver_once) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == [(200, "duplicate")] * 9 + [(200, "paid")]
    order.refresh_from_db()
    assert order.status == Status.PAID and not order.needs_review
    payment = Payment.objects.get()
    assert (payment.status, payment.received_amount, payment.received_currency) == (
        "succeeded",
        order.total,
        "USD",
    )
    assert ProcessedWebhookEvent.objects.filter(event_id="evt_once").count() == 1
    assert [e.subject for e in queued_emails("paid")] == [f"Your order {order.number} is confirmed"]

    # And ten more times, one after another.
    for _ in range(10):
        assert json.loads(deliver(customer, payload).content)["outcome"] == "duplicate"
    assert Payment.objects.filter(status="succeeded").count() == 1
    assert len(queued_emails("paid")) == 1
    assert stock(shop.lamp) == 8


@pytest.mark.django_db
@pytest.mark.parametrize(
    "forgery",
    ["wrong secret", "tampered body", "missing header", "garbage header", "stale timestamp", "no v1 scheme"],
)
def test_a_bad_signature_is_refused_and_nothing_changes(customer, fake_stripe, forgery):
    order, intent_id = order_with_intent(customer)
    payload = intent_event(fake_stripe.succeed(intent_id))
    body, signature = payload, sign_payload(payload)
    if forgery == "wrong secret":
        signature = sign_payload(payload, secret="whsec_someone_else")
    elif forgery == "tampered body":
        body = payload.replace('"amount_received": 7214', '"amount_received": 1')
        assert body != payload
    elif forgery == "missing header":
        signature = ""
    elif forgery == "garbage header":
        signature = "t=yesterday,v1=zzz"
    elif forgery == "stale timestamp":
        signature = sign_payload(payload, timestamp=int(time.time()) - 3600)
    elif forgery == "no v1 scheme":
        signature = sign_payload(payload).replace("v1=", "v0=")

    response = deliver(customer, body, signature)

    assert response.status_code == 400
    assert Order.objects.get().status == Status.PENDING_PAYMENT
    assert Payment.objects.get().status == "pending"
    assert not ProcessedWebhookEvent.objects.exists()
    assert not queued_emails("paid")


@pytest.mark.django_db
def test_an_amount_mismatch_is_flagged_not_paid(customer, fake_stripe, django_capture_on_commit_callbacks):
    order, intent_id = order_with_intent(customer)
    payload = intent_event(fake_stripe.succeed(intent_id, amount_received=100))  # $1.00 of $72.14
    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(customer, payload)
    assert response.status_code == 200
    assert json.loads(response.content)["outcome"] == "flagged"

    order.refresh_from_db()
    assert order.status == Status.PENDING_PAYMENT
    assert order.needs_review
    assert "amount mismatch" in order.review_note and "1.00 USD" in order.review_note
    payment = Payment.objects.get()
    assert (payment.status, payment.received_amount) == ("flagged", 1)
    assert not queued_emails("paid")
    # A later, different event about the same intent does not turn it into a payment either.
    assert json.loads(deliver(customer, intent_event(fake_stripe.intents[intent_id])).content)["outcome"] == (
        "already recorded"
    )
    assert Order.objects.get().status == Status.PENDING_PAYMENT


@pytest.mark.django_db
def test_a_currency_mismatch_is_flagged_not_paid(customer, fake_stripe):
    order, intent_id = order_with_intent(customer)
    intent = fake_stripe.succeed(intent_id)
    intent["currency"] = "eur"
    assert json.loads(deliver(customer, intent_event(intent)).content)["outcome"] == "flagged"
    order.refresh_from_db()
    assert order.status == Status.PENDING_PAYMENT and order.needs_review


@pytest.mark.django_db
def test_a_failed_payment_keeps_the_order_payable(customer, fake_stripe):
    order, intent_id = order_with_intent(customer)
    payload = intent_event(fake_stripe.decline(intent_id), event_type="payment_intent.payment_failed")
    assert json.loads(deliver(customer, payload).content)["outcome"] == "failed"
    payment = Payment.objects.get()
    assert (payment.status, payment.message) == ("failed", "Your card was declined.")
    assert Order.objects.get().status == Status.PENDING_PAYMENT

    # The customer tries again on the same PaymentIntent, and this time it goes through.
    customer.get(reverse("order_pay", args=[order.pk]))
    assert len(fake_stripe.intents) == 1
    assert json.loads(deliver(customer, intent_event(fake_stripe.succeed(intent_id))).content)["outcome"] == "paid"
    assert Order.objects.get().status == Status.PAID


@pytest.mark.django_db
def test_signed_but_malformed_or_unknown_events(customer, fake_stripe):
    order_with_intent(customer)
    for body in ("not json", json.dumps({"object": "event"}), json.dumps({"id": "evt_x", "object": "event"})):
        assert deliver(customer, body).status_code == 400, body
    other = intent_event({"id": "cus_1", "object": "customer"}, event_type="customer.created")
    assert json.loads(deliver(customer, other).content)["outcome"] == "ignored"
    stranger = intent_event(
        {
            "id": "pi_not_ours",
            "object": "payment_intent",
            "status": "succeeded",
            "amount": 100,
            "amount_received": 100,
            "currency": "usd",
        }
    )
    assert json.loads(deliver(customer, stranger).content)["outcome"] == "unknown payment"
    assert Order.objects.get().status == Status.PENDING_PAYMENT
    assert customer.get(WEBHOOK).status_code == 405


@pytest.mark.django_db
def test_the_dummy_pay_button_does_not_exist_while_stripe_is_the_gateway(customer, fake_stripe):
    order, intent_id = order_with_intent(customer)
    response = customer.post(reverse("order_pay_dummy", args=[order.pk]), {"outcome": "pay"})
    assert response.status_code == 404
    assert Order.objects.get().status == Status.PENDING_PAYMENT


@pytest.mark.django_db
def test_the_webhook_needs_no_csrf_token_but_a_signature(customer, fake_stripe):
    order, intent_id = order_with_intent(customer)
    stripe_servers = Client(enforce_csrf_checks=True)
    assert deliver(stripe_servers, intent_event(fake_stripe.succeed(intent_id))).status_code == 200
    assert Order.objects.get().status == Status.PAID


@pytest.mark.django_db
def test_without_a_webhook_secret_every_delivery_is_refused(customer, fake_stripe, settings):
    order, intent_id = order_with_intent(customer)
    settings.STRIPE_WEBHOOK_SECRET = ""
    assert deliver(customer, intent_event(fake_stripe.succeed(intent_id))).status_code == 400
    assert Order.objects.get().status == Status.PENDING_PAYMENT


# --- Return page, cancel, refund ---------------------------------------------------------------


@pytest.mark.django_db
def test_the_return_page_asks_stripe_and_the_webhook_then_changes_nothing(
    customer, fake_stripe, django_capture_on_commit_callbacks
):
    order, intent_id = order_with_intent(customer)
    fake_stripe.succeed(intent_id)
    with django_capture_on_commit_callbacks(execute=True):
        response = customer.get(
            reverse("order_payment_return", args=[order.pk]),
            {"payment_intent": intent_id, "redirect_status": "succeeded"},
            follow=True,
        )
    assert f"Order {order.number} is paid" in response.content.decode()
    assert Order.objects.get().status == Status.PAID
    with django_capture_on_commit_callbacks(execute=True):
        late = deliver(customer, intent_event(fake_stripe.intents[intent_id]))
    assert json.loads(late.content)["outcome"] == "already recorded"
    assert len(queued_emails("paid")) == 1


@pytest.mark.django_db
def test_a_forged_return_redirect_does_not_pay_anything(customer, fake_stripe):
    order, intent_id = order_with_intent(customer)
    customer.get(reverse("order_payment_return", args=[order.pk]), {"redirect_status": "succeeded"})
    assert Order.objects.get().status == Status.PENDING_PAYMENT  # Stripe says it is not paid


@pytest.mark.django_db
def test_cancelling_an_order_cancels_its_payment_intent(customer, fake_stripe, shop):
    order, intent_id = order_with_intent(customer)
    customer.post(reverse("order_cancel", args=[order.pk]))
    assert fake_stripe.intents[intent_id]["status"] == "canceled"
    assert Order.objects.get().status == Status.CANCELLED
    assert Payment.objects.get().status == "cancelled"
    assert (stock(shop.lamp), stock(shop.mug)) == (10, 3)


@pytest.mark.django_db
def test_an_order_paid_at_stripe_meanwhile_is_not_cancelled(customer, fake_stripe, shop):
    order, intent_id = order_with_intent(customer)
    fake_stripe.succeed(intent_id)  # paid; the webhook has not arrived yet
    response = customer.post(reverse("order_cancel", args=[order.pk]), follow=True)
    assert "This order has just been paid" in response.content.decode()
    assert Order.objects.get().status == Status.PAID
    assert stock(shop.lamp) == 8


@pytest.mark.django_db
def test_money_for_a_cancelled_order_is_flagged_for_a_refund(customer, fake_stripe, shop):
    order, intent_id = order_with_intent(customer)
    transition(order, Status.CANCELLED)  # e.g. the timeout, while Stripe was unreachable
    outcome = json.loads(deliver(customer, intent_event(fake_stripe.succeed(intent_id))).content)["outcome"]
    assert outcome == "needs review"
    order.refresh_from_db()
    assert order.status == Status.CANCELLED and order.needs_review
    assert (stock(shop.lamp), stock(shop.mug)) == (10, 3)


@pytest.mark.django_db
def test_a_refund_goes_through_stripe_once(customer, fake_stripe):
    order, intent_id = order_with_intent(customer)
    deliver(customer, intent_event(fake_stripe.succeed(intent_id)))
    refund_order(Order.objects.get())

    assert [r["payment_intent"] for r in fake_stripe.refunds.values()] == [intent_id]
    refund_call = next(r for r in fake_stripe.requests if r["path"] == "/v1/refunds")
    payment = Payment.objects.get()
    assert refund_call["headers"]["idempotency-key"] == f"refund-payment-{payment.pk}"
    assert (payment.status, payment.refund_id) == ("refunded", next(iter(fake_stripe.refunds)))
    assert Order.objects.get().status == Status.REFUNDED
    with pytest.raises(TransitionError):
        refund_order(Order.objects.get())
    assert len(fake_stripe.refunds) == 1


# --- After the payment: refunds and disputes made at Stripe ---------------------------------------


def paid_order(client, fake_stripe) -> tuple[Order, str, int]:
    """An order paid through a real (fake-Stripe) PaymentIntent: (order, intent id, amount in cents)."""
    order, intent_id = order_with_intent(client)
    intent = fake_stripe.succeed(intent_id)
    assert json.loads(deliver(client, intent_event(intent)).content)["outcome"] == "paid"
    return Order.objects.get(pk=order.pk), intent_id, intent["amount"]


def outcome(client, obj: dict, event_type: str, event_id: str | None = None) -> str:
    response = deliver(client, intent_event(obj, event_type, event_id))
    assert response.status_code == 200, response.content
    return json.loads(response.content)["outcome"]


@pytest.mark.django_db
def test_a_full_refund_made_in_the_stripe_dashboard_refunds_the_order_once(customer, fake_stripe):
    order, intent_id, cents = paid_order(customer, fake_stripe)
    charge = charge_object(intent_id, cents, refunded=cents)
    assert outcome(customer, charge, "charge.refunded", "evt_refund") == "refunded"
    assert outcome(customer, charge, "charge.refunded", "evt_refund") == "duplicate"
    order.refresh_from_db()
    assert order.status == Status.REFUNDED and not order.needs_review
    assert f"Refunded at the provider: {order.total} of {order.total} USD." in order.review_note
    assert Payment.objects.get().status == "refunded"
    assert fake_stripe.refunds == {}  # Stripe made it: we asked for nothing


@pytest.mark.django_db
def test_a_partial_refund_flags_the_order_and_keeps_it_paid(customer, fake_stripe):
    order, intent_id, cents = paid_order(customer, fake_stripe)
    assert outcome(customer, charge_object(intent_id, cents, refunded=500), "charge.refunded") == "needs review"
    order.refresh_from_db()
    assert order.status == Status.PAID and order.needs_review
    assert f"refunded 5.00 of {order.total} USD" in order.review_note
    assert Payment.objects.get().status == "succeeded"


@pytest.mark.django_db
def test_the_echo_of_our_own_refund_changes_nothing_more(customer, fake_stripe):
    order, intent_id, cents = paid_order(customer, fake_stripe)
    refund_order(order)
    assert outcome(customer, charge_object(intent_id, cents, refunded=cents), "charge.refunded") == "already recorded"
    order.refresh_from_db()
    assert order.status == Status.REFUNDED and not order.needs_review and order.review_note == ""
    assert len(fake_stripe.refunds) == 1


@pytest.mark.django_db
def test_a_refund_of_an_unpaid_order_is_flagged_not_applied(customer, fake_stripe):
    order, intent_id = order_with_intent(customer)
    assert outcome(customer, charge_object(intent_id, 1000, refunded=1000), "charge.refunded") == "needs review"
    order.refresh_from_db()
    assert order.status == Status.PENDING_PAYMENT and order.needs_review


@pytest.mark.django_db
def test_a_dispute_flags_the_order_once(customer, fake_stripe):
    order, intent_id, cents = paid_order(customer, fake_stripe)
    dispute = dispute_object(intent_id, cents, reason="product_not_received")
    assert outcome(customer, dispute, "charge.dispute.created", "evt_dispute") == "needs review"
    assert outcome(customer, dispute, "charge.dispute.created", "evt_dispute") == "duplicate"
    order.refresh_from_db()
    assert order.status == Status.PAID and order.needs_review
    assert order.review_note.count("disputed by the customer's bank (product_not_received)") == 1


@pytest.mark.django_db
@pytest.mark.parametrize(("event_type", "obj"), [
    ("charge.refunded", {"object": "charge", "amount": 100, "currency": "usd"}),  # no PaymentIntent
    ("charge.refunded", {"object": "charge", "payment_intent": "pi_x", "amount": "100", "amount_refunded": 100,
                         "currency": "usd"}),
    ("charge.dispute.created", {"object": "dispute", "payment_intent": "pi_x", "currency": "usd"}),
])
def test_malformed_refund_and_dispute_events_are_refused(customer, fake_stripe, event_type, obj):
    response = deliver(customer, intent_event(obj, event_type))
    assert response.status_code == 400
    assert not ProcessedWebhookEvent.objects.exists()  # Stripe retries; nothing was recorded


@pytest.mark.django_db
def test_refunds_and_disputes_of_unknown_payments_are_acknowledged(customer, fake_stripe):
    assert outcome(customer, charge_object("pi_unknown", 100, 100), "charge.refunded") == "unknown payment"
    assert outcome(customer, dispute_object("pi_unknown", 100), "charge.dispute.created") == "unknown payment"
