"""Fulfilment: each vendor ships its own lines of a paid order (carrier, tracking number) on the
back office's Ship page; the order's status follows its lines; the customer is e-mailed the
tracking details. A vendor can never ship another vendor's line."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from checkout.models import Order, OrderLine, Shipment
from checkout.orders import place_order, transition
from store.roles import ADMINISTRATOR, CUSTOMER, VENDOR, assign_role
from tests.checkout_support import checkout_form, fill_cart, make_user, queued_emails

pytest_plugins = ["tests.checkout_fixtures"]
pytestmark = pytest.mark.django_db
Status = Order.Status


def staff(username: str, role: str, *vendors) -> Client:
    user = make_user(username)
    assign_role(user, role)
    for vendor in vendors:
        vendor.users.add(user)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def mixed_order(shop, checkout_settings) -> Order:
    """A paid order with one line from each vendor."""
    user = make_user("buyer")
    form = checkout_form()
    order = place_order(user=user, cart=fill_cart(user, (shop.lamp, 1), (shop.mug, 2)), email=form["email"],
                        address=form, shipping_method="standard", idempotency_key=form["idempotency_key"])
    return transition(order, Status.PAID)


def ship_url(order: Order) -> str:
    return reverse("admin:checkout_orderline_ship", kwargs={"order_id": order.pk})


def line_of(order: Order, vendor) -> OrderLine:
    return order.lines.get(vendor=vendor)


def test_each_vendor_ships_its_lines_and_the_order_follows(shop, mixed_order):
    alpha, bravo = staff("alpha", VENDOR, shop.vendor_a), staff("bravo", VENDOR, shop.vendor_b)
    page = alpha.get(ship_url(mixed_order))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Desk Lamp" in html and "Enamel Mug" not in html  # only its own line…
    assert "12 Analytical Row" in html and "94103" in html  # …and where to send it

    lamp = line_of(mixed_order, shop.vendor_a)
    response = alpha.post(ship_url(mixed_order), {"lines": [lamp.pk], "carrier": "ups",
                                                  "tracking_number": "1Z999AA10123456784"})
    assert response.status_code == 302
    assert Order.objects.get(pk=mixed_order.pk).status == Status.PARTIALLY_SHIPPED
    shipment = Shipment.objects.get()
    assert (shipment.vendor, shipment.carrier, shipment.tracking_number) == (shop.vendor_a, "ups",
                                                                             "1Z999AA10123456784")
    [email] = queued_emails("shipped")
    assert email.to == ["shopper@example.com"]
    assert "1Z999AA10123456784" in email.body_text and "Desk Lamp" in email.body_text
    assert "Enamel Mug" not in email.body_text
    assert "https://www.ups.com/track?tracknum=1Z999AA10123456784" in email.body_html

    mug = line_of(mixed_order, shop.vendor_b)
    bravo.post(ship_url(mixed_order), {"lines": [mug.pk], "carrier": "dhl", "tracking_number": "JD0146000033"})
    assert Order.objects.get(pk=mixed_order.pk).status == Status.FULFILLED
    assert len(queued_emails("shipped")) == 2
    # The customer sees both parcels on the order page.
    customer = Client()
    customer.force_login(mixed_order.user)
    html = customer.get(mixed_order.get_absolute_url()).content.decode()
    assert "1Z999AA10123456784" in html and "JD0146000033" in html


def test_a_vendor_cannot_ship_another_vendors_line(shop, mixed_order):
    alpha = staff("alpha", VENDOR, shop.vendor_a)
    mug = line_of(mixed_order, shop.vendor_b)
    lamp = line_of(mixed_order, shop.vendor_a)
    for lines in ([mug.pk], [lamp.pk, mug.pk]):
        response = alpha.post(ship_url(mixed_order), {"lines": lines, "carrier": "ups",
                                                      "tracking_number": "1Z999AA10123456784"})
        assert response.status_code == 403
    assert not Shipment.objects.exists()
    assert not OrderLine.objects.filter(shipment__isnull=False).exists()
    assert Order.objects.get(pk=mixed_order.pk).status == Status.PAID
    assert not queued_emails("shipped")

    # An order with none of its lines does not exist for it; a line id of another order neither.
    other = staff("bravo", VENDOR, shop.vendor_b)
    user = make_user("solo")
    form = checkout_form()
    only_bravo = transition(place_order(user=user, cart=fill_cart(user, (shop.mug, 1)), email=form["email"],
                                        address=form, shipping_method="standard",
                                        idempotency_key=form["idempotency_key"]), Status.PAID)
    assert alpha.get(ship_url(only_bravo)).status_code == 404
    assert alpha.post(ship_url(only_bravo), {"lines": [only_bravo.lines.get().pk], "carrier": "ups",
                                             "tracking_number": "1Z9"}).status_code == 404
    foreign_line = only_bravo.lines.get().pk
    assert other.post(ship_url(mixed_order), {"lines": [foreign_line], "carrier": "ups",
                                              "tracking_number": "1Z999AA10123456784"}).status_code == 403
    assert not Shipment.objects.exists()
    # A customer has no Ship page at all; an administrator ships any vendor's lines.
    assert staff("cust", CUSTOMER).get(ship_url(mixed_order)).status_code == 302  # the admin's login
    admin = staff("root", ADMINISTRATOR)
    assert admin.post(ship_url(mixed_order), {"lines": [lamp.pk, mug.pk], "carrier": "fedex",
                                              "tracking_number": "449044304137821"}).status_code == 302
    assert Order.objects.get(pk=mixed_order.pk).status == Status.FULFILLED


def test_shipping_refuses_unpaid_orders_twice_shipped_lines_and_bad_tracking_numbers(shop, mixed_order):
    alpha = staff("alpha", VENDOR, shop.vendor_a)
    lamp = line_of(mixed_order, shop.vendor_a)
    bad = alpha.post(ship_url(mixed_order), {"lines": [lamp.pk], "carrier": "ups",
                                             "tracking_number": "1Z<script>\r\nX"})
    assert bad.status_code == 200 and "4 to 40 letters" in bad.content.decode()
    assert alpha.post(ship_url(mixed_order), {"lines": ["x"], "carrier": "ups",
                                              "tracking_number": "1Z999"}).status_code == 400
    assert alpha.post(ship_url(mixed_order), {"lines": [lamp.pk], "carrier": "pigeon",
                                              "tracking_number": "1Z999"}).status_code == 200
    assert not Shipment.objects.exists()

    alpha.post(ship_url(mixed_order), {"lines": [lamp.pk], "carrier": "ups", "tracking_number": "1Z999"})
    again = alpha.post(ship_url(mixed_order), {"lines": [lamp.pk], "carrier": "ups", "tracking_number": "1Z998"})
    assert "shipped already" in again.content.decode()
    assert Shipment.objects.count() == 1

    user = make_user("late")
    form = checkout_form()
    unpaid = place_order(user=user, cart=fill_cart(user, (shop.lamp, 1)), email=form["email"], address=form,
                         shipping_method="standard", idempotency_key=form["idempotency_key"])
    refused = alpha.post(ship_url(unpaid), {"lines": [unpaid.lines.get().pk], "carrier": "ups",
                                            "tracking_number": "1Z999"})
    assert refused.status_code == 200 and Shipment.objects.count() == 1
    assert Order.objects.get(pk=unpaid.pk).status == Status.PENDING_PAYMENT


def test_vendors_see_where_to_ship_in_the_order_lines_list(shop, mixed_order):
    alpha = staff("alpha", VENDOR, shop.vendor_a)
    html = alpha.get(reverse("admin:checkout_orderline_changelist")).content.decode()
    assert ship_url(mixed_order) in html and "Enamel Mug" not in html
