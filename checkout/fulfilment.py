"""Fulfilment: a vendor ships its own lines of a paid order with a carrier and a tracking
number; the order's status follows its lines (some shipped: partially shipped; all: shipped),
and the customer is e-mailed the tracking details.

Lock order as everywhere in the checkout (see checkout.orders): order → its lines."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import transaction

from store.admin import MANAGE_ALL_PRODUCTS

from . import emails
from .models import Order, OrderLine, Shipment
from .orders import transition

SHIPPABLE = (Order.Status.PAID, Order.Status.PARTIALLY_SHIPPED)
# Letters, digits and dashes: what carriers print, and safe inside a tracking link.
TRACKING_NUMBER = re.compile(r"^[A-Za-z0-9-]{4,40}$")


class FulfilmentError(Exception):
    """The lines cannot be shipped (the order is not paid, a line shipped already…)."""


def vendor_ids_of(user: AbstractBaseUser) -> frozenset[int] | None:
    """The vendors whose lines ``user`` ships; None: every vendor's (administrators)."""
    if user.has_perm(MANAGE_ALL_PRODUCTS):
        return None
    return frozenset(user.vendors.values_list("pk", flat=True))  # type: ignore[attr-defined]


def lines_for(user: AbstractBaseUser, order: Order) -> list[OrderLine]:
    """The lines of ``order`` that ``user`` may see and ship."""
    lines = order.lines.select_related("shipment", "vendor").order_by("id")
    vendors = vendor_ids_of(user)
    if vendors is not None:
        lines = lines.filter(vendor__in=vendors)
    return list(lines)


def ship_lines(
    *, user: AbstractBaseUser, order: Order, line_ids: Iterable[int], carrier: str, tracking_number: str
) -> Shipment:
    """Record that ``line_ids`` of ``order`` left in one parcel. Refuses (PermissionDenied,
    nothing changed) if any line is another vendor's; FulfilmentError for the rest."""
    wanted = set(line_ids)
    if not wanted:
        raise FulfilmentError("Choose the lines that are in the parcel.")
    if carrier not in settings.SHIPPING_CARRIERS:
        raise FulfilmentError("Choose a carrier.")
    tracking_number = tracking_number.strip()
    if not TRACKING_NUMBER.fullmatch(tracking_number):
        raise FulfilmentError("Enter the tracking number: 4 to 40 letters, digits or dashes.")
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        lines = list(OrderLine.objects.select_for_update().filter(order=locked, pk__in=wanted).order_by("id"))
        vendors = vendor_ids_of(user)
        if len(lines) != len(wanted) or (vendors is not None and any(li.vendor_id not in vendors for li in lines)):
            raise PermissionDenied("You can only ship your own lines of this order.")
        if locked.status not in SHIPPABLE:
            raise FulfilmentError(
                f"Order {locked.number} is {locked.get_status_display().lower()}; only paid orders ship."
            )
        if any(line.shipment_id for line in lines):
            raise FulfilmentError("Some of these lines have shipped already.")
        shipment_vendors = {line.vendor_id for line in lines}
        shipment = Shipment.objects.create(
            order=locked,
            vendor_id=shipment_vendors.pop() if len(shipment_vendors) == 1 else None,
            carrier=carrier,
            tracking_number=tracking_number,
            shipped_by=user,
        )
        OrderLine.objects.filter(pk__in=[line.pk for line in lines]).update(shipment=shipment)
        everything_shipped = not locked.lines.filter(shipment__isnull=True).exists()
        status = Order.Status.FULFILLED if everything_shipped else Order.Status.PARTIALLY_SHIPPED
        if status != locked.status:
            transition(locked, status)
        emails.order_shipped(shipment)
    return shipment
