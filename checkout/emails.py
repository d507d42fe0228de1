"""Order e-mails: what each moment of an order tells whom, rendered as HTML and text, and queued
in the outbox (mail/) inside the transaction that made the change, so the mail is sent only
if the change committed, and later, by Celery, with retries. Each e-mail has a dedupe key:
a webhook delivered twice queues it once."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from mail.outbox import queue_message

from . import guest_orders
from .models import Order, OrderLine, Shipment

SUBJECTS = {
    "placed": "We received your order {number}",
    "paid": "Your order {number} is confirmed",
    "shipped": "Your order {number} has shipped",
    "cancelled": "Your order {number} is cancelled",
    "refunded": "Your order {number} is refunded",
    "merchant_new_order": "New order {number}",
    "vendor_new_order": "New order {number}: lines to ship",
}


def order_url(order: Order) -> str:
    """Where the e-mail sends its reader: the order in the account, or (a guest) a signed link to it."""
    if order.user_id:
        return settings.SITE_URL + order.get_absolute_url()
    return settings.SITE_URL + reverse("order_access", kwargs={"token": guest_orders.access_token(order)})


def _queue(kind: str, order: Order, recipients: list[str], dedupe_key: str, **context) -> None:
    recipients = sorted({address for address in recipients if address})
    if not recipients:
        return
    context = {"order": order, "order_url": order_url(order), "site_url": settings.SITE_URL, **context}
    context.setdefault("lines", list(order.lines.all()))
    message = EmailMultiAlternatives(
        subject=SUBJECTS[kind].format(number=order.number),
        body=render_to_string(f"checkout/email/{kind}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients,
    )
    message.attach_alternative(render_to_string(f"checkout/email/{kind}.html", context), "text/html")
    queue_message(message, kind=kind, dedupe_key=dedupe_key)


def order_placed(order: Order) -> None:
    _queue("placed", order, [order.email], f"order-{order.pk}-placed")


def order_paid(order: Order) -> None:
    """The customer's confirmation, the merchant's notice, and each vendor's notice of its own lines."""
    lines = list(order.lines.select_related("vendor"))
    _queue("paid", order, [order.email], f"order-{order.pk}-paid", lines=lines)
    _queue("merchant_new_order", order, settings.MERCHANT_ORDER_EMAILS, f"order-{order.pk}-merchant", lines=lines)
    by_vendor: dict[int, list[OrderLine]] = {}
    for line in lines:
        if line.vendor_id is not None:
            by_vendor.setdefault(line.vendor_id, []).append(line)
    users = get_user_model().objects.filter(vendors__in=by_vendor, is_active=True).exclude(email="")
    addresses: dict[int, list[str]] = {}
    for vendor_id, email in users.values_list("vendors", "email"):
        addresses.setdefault(vendor_id, []).append(email)
    for vendor_id, vendor_lines in by_vendor.items():
        _queue("vendor_new_order", order, addresses.get(vendor_id, []), f"order-{order.pk}-vendor-{vendor_id}",
               lines=vendor_lines, vendor=vendor_lines[0].vendor)


def order_shipped(shipment: Shipment) -> None:
    order = shipment.order
    _queue("shipped", order, [order.email], f"shipment-{shipment.pk}", shipment=shipment,
           lines=list(shipment.lines.all()), carrier_label=shipment.get_carrier_display(),
           tracking_url=shipment.tracking_url)


def order_cancelled(order: Order) -> None:
    _queue("cancelled", order, [order.email], f"order-{order.pk}-cancelled")


def order_refunded(order: Order) -> None:
    _queue("refunded", order, [order.email], f"order-{order.pk}-refunded")


# What the customer hears when an order reaches a status (checkout.orders.transition).
ON_STATUS = {
    Order.Status.PAID: order_paid,
    Order.Status.CANCELLED: order_cancelled,
    Order.Status.REFUNDED: order_refunded,
}
