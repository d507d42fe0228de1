"""Order e-mails: who hears what at each moment of an order, as HTML and text, queued in the
transaction of the change (mail/ outbox) and sent by Celery; hostile names stay inert."""

from __future__ import annotations

import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from checkout.models import Order
from checkout.orders import cancel_order, place_order, refund_order, transition
from mail import outbox
from mail.delivery import backoff_seconds, deliver, deliver_due
from mail.models import OutboundEmail
from mail.outbox import queue_message
from tests.checkout_support import checkout_form, fill_cart, make_user, queued_emails, send_queued_emails

pytest_plugins = ["tests.checkout_fixtures"]
pytestmark = pytest.mark.django_db
Status = Order.Status
HOSTILE = '<script>alert("x")</script>'


def order_for(shop, *items, **address) -> Order:
    user = make_user(f"buyer{Order.objects.count()}")
    form = checkout_form(**address)
    return place_order(user=user, cart=fill_cart(user, *(items or ((shop.lamp, 1),))), email=form["email"],
                       address=form, shipping_method="standard", idempotency_key=form["idempotency_key"])


def test_each_moment_of_an_order_tells_the_right_people(shop, checkout_settings):
    checkout_settings.MERCHANT_ORDER_EMAILS = ["merchant@example.com"]
    alpha, bravo = make_user("alpha", "alpha@vendor.example"), make_user("bravo", "bravo@vendor.example")
    shop.vendor_a.users.add(alpha)
    shop.vendor_b.users.add(bravo)

    order = order_for(shop, (shop.lamp, 1), (shop.mug, 1))
    assert [(e.kind, e.to) for e in queued_emails()] == [("placed", ["shopper@example.com"])]
    order = transition(order, Status.PAID)
    kinds = {(e.kind, tuple(e.to)) for e in queued_emails()}
    assert kinds == {
        ("placed", ("shopper@example.com",)),
        ("paid", ("shopper@example.com",)),
        ("merchant_new_order", ("merchant@example.com",)),
        ("vendor_new_order", ("alpha@vendor.example",)),
        ("vendor_new_order", ("bravo@vendor.example",)),
    }
    # Each vendor hears of its own lines only.
    by_vendor = {e.to[0]: e for e in queued_emails("vendor_new_order")}
    assert "Desk Lamp" in by_vendor["alpha@vendor.example"].body_text
    assert "Enamel Mug" not in by_vendor["alpha@vendor.example"].body_text
    assert "Enamel Mug" in by_vendor["bravo@vendor.example"].body_html
    assert "Desk Lamp" not in by_vendor["bravo@vendor.example"].body_html

    refund_order(order)
    [refunded] = queued_emails("refunded")
    assert refunded.subject == f"Your order {order.number} is refunded"

    unpaid = order_for(shop)
    cancel_order(unpaid)
    [cancelled] = queued_emails("cancelled")
    assert cancelled.to == ["shopper@example.com"] and unpaid.number in cancelled.body_text

    for email in queued_emails():
        assert email.body_text and email.body_html.startswith("<!doctype html>")
    # The same event again (a webhook's retry reaching transition twice cannot; a direct call can) queues nothing.
    from checkout.emails import order_paid

    order_paid(order)
    assert len(queued_emails("paid")) == 1


def test_hostile_names_and_addresses_are_escaped_in_html_and_add_no_header(shop, checkout_settings):
    shop.lamp.name = f"Lamp {HOSTILE}"
    shop.lamp.save()
    order = order_for(shop, full_name=f"Eve {HOSTILE}\r\nBcc: victim@example.com",
                      address_line1='"><img src=x onerror=alert(1)>', city="Bcc: x@example.com")
    transition(order, Status.PAID)
    messages = send_queued_emails()
    assert messages
    for message in messages:
        for _content, mimetype in getattr(message, "alternatives", []):
            assert mimetype == "text/html"
            assert "<script>" not in _content and "<img src=x" not in _content
            assert "&lt;script&gt;" in _content
        raw = message.message()
        assert raw["Bcc"] is None and "victim@example.com" not in str(raw["To"])
        assert "\n" not in str(raw["Subject"]) and set(raw.keys()) <= {
            "Content-Type", "MIME-Version", "Subject", "From", "To", "Date", "Message-ID"}
        assert message.recipients() == message.to
    # The text part is plain text: the name as typed, never HTML entities.
    customer = next(m for m in messages if m.subject.startswith("Your order"))
    assert HOSTILE in customer.body and "&lt;" not in customer.body


def test_a_header_cannot_be_injected_through_the_recipient():
    from django.core.mail import EmailMessage

    with pytest.raises(ValueError):
        queue_message(EmailMessage("Hi", "body", "shop@example.com", ["a@example.com\nBcc: b@example.com"]),
                      kind="test")
    assert not OutboundEmail.objects.exists()


def test_nothing_is_queued_when_the_change_rolls_back(shop, checkout_settings):
    order = order_for(shop)
    before = len(queued_emails())
    with pytest.raises(RuntimeError), transaction.atomic():
        transition(order, Status.PAID)
        raise RuntimeError("the payment's transaction fails after the status change")
    assert len(queued_emails()) == before and Order.objects.get(pk=order.pk).status == Status.PENDING_PAYMENT


def test_a_refused_delivery_backs_off_then_gives_up_for_a_human(shop, checkout_settings, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1  # nothing listens
    settings.EMAIL_RETRY_BASE_SECONDS, settings.EMAIL_MAX_ATTEMPTS = 30, 3
    order_for(shop)
    [email] = queued_emails()
    first = deliver(email.pk)
    email.refresh_from_db()
    assert (first.sent, first.retry_in, email.attempts, email.status) == (False, 30, 1, "pending")
    assert "Connection refused" in email.last_error or "Errno" in email.last_error
    assert email.next_attempt_at > timezone.now() + timedelta(seconds=25)
    assert deliver_due() == 0  # not due yet: the sweep leaves it to its retry
    assert deliver(email.pk).retry_in == 60
    assert deliver(email.pk).retry_in is None
    email.refresh_from_db()
    assert (email.attempts, email.status) == (3, "failed")
    assert [backoff_seconds(n) for n in (1, 2, 3, 10)] == [30, 60, 120, 3600]


def test_the_sweep_sends_what_a_lost_task_left(shop, checkout_settings):
    order_for(shop)  # its delivery task went to a broker no worker reads (as when the broker was down)
    [email] = queued_emails()
    assert deliver_due() == 0  # a fresh e-mail is its task's to send
    OutboundEmail.objects.filter(pk=email.pk).update(created_at=timezone.now() - timedelta(minutes=2))
    assert deliver_due() == 1
    email.refresh_from_db()
    assert email.status == "sent" and email.sent_at is not None
    assert deliver(email.pk).sent is False  # sent once, never twice


@contextmanager
def broker_unreachable():
    """The Celery broker on a closed port (the test process's publisher connections re-made)."""
    from config.celery import app

    def reconnect(url: str) -> None:
        # Not force_close_all(): kombu keeps one pool per URL for the process; the restored URL
        # finds its own pool again, untouched.
        app.conf.broker_url = app.conf.broker_write_url = url  # publishers use the write URL
        app._pool = None
        app.amqp._producer_pool = None

    saved = app.conf.broker_write_url
    reconnect("redis://127.0.0.1:9/0")
    assert app.connection_for_write().port == 9
    try:
        yield
    finally:
        reconnect(saved)
        outbox._broker_down_until = 0.0


def test_a_checkout_while_the_broker_is_down_places_the_order_and_the_sweep_sends_its_emails(
    client, shop, checkout_settings, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    client.post(reverse("cart_add"), {"product": shop.lamp.pk, "quantity": "1"})
    started = time.monotonic()
    with broker_unreachable():
        with django_capture_on_commit_callbacks(execute=True):
            placed = client.post(reverse("checkout"), checkout_form(email="calm@example.com", action="place"))
            order = Order.objects.get(email="calm@example.com")
            assert client.get(reverse("order_pay", args=[order.pk])).status_code == 200
            paid = client.post(reverse("order_pay_dummy", args=[order.pk]), {"outcome": "pay"})
        assert outbox._broker_down_until > 0  # the publish failed, and later ones skipped the dead broker
    assert placed.status_code == 302 and paid.status_code == 302
    assert time.monotonic() - started < 15
    assert Order.objects.get(pk=order.pk).status == Status.PAID
    assert {e.status for e in queued_emails()} == {"pending"} and len(queued_emails()) >= 3
    OutboundEmail.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    assert deliver_due() == len(queued_emails())
    assert {e.status for e in queued_emails()} == {"sent"}
