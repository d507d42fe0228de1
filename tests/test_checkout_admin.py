"""Orders in the back office: administrators move orders through the state machine
with actions (the service rules apply); vendors see only the lines of their products."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from checkout.models import Order, OrderLine
from checkout.orders import place_order, transition
from store.models import Product
from store.roles import ADMINISTRATOR, CUSTOMER, VENDOR, assign_role
from tests.checkout_support import checkout_form, fill_cart, make_user

# The shop, settings and fake-Stripe fixtures.
pytest_plugins = ["tests.checkout_fixtures"]

pytestmark = pytest.mark.django_db
Status = Order.Status


def place_order_for(user, *items) -> Order:
    cart = fill_cart(user, *items)
    form = checkout_form()
    return place_order(
        user=user,
        cart=cart,
        email=form["email"],
        address=form,
        shipping_method="standard",
        idempotency_key=form["idempotency_key"],
    )


@pytest.fixture
def orders(shop, checkout_settings):
    buyer = make_user("buyer")
    mixed = place_order_for(buyer, (shop.lamp, 1), (shop.mug, 1))  # one line per vendor
    paid = place_order_for(make_user("payer"), (shop.lamp, 2))
    transition(paid, Status.PAID)
    return {"mixed": mixed, "paid": paid}


def staff_client(client, username, role, vendors=()):
    user = make_user(username)
    assign_role(user, role)
    for vendor in vendors:
        vendor.users.add(user)
    client.force_login(user)
    return client


def group_permissions(name: str) -> set[str]:
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Group.objects.get(name=name).permissions.select_related("content_type")
    }


def test_roles_get_the_checkout_permissions():
    assert {"checkout.view_order", "checkout.change_order", "checkout.view_orderline"} <= group_permissions(
        ADMINISTRATOR
    )
    assert "checkout.view_orderline" in group_permissions(VENDOR)
    assert not {"checkout.view_order", "checkout.change_order"} & group_permissions(VENDOR)
    assert not {p for p in group_permissions(CUSTOMER) if p.startswith("checkout.")}


def test_administrators_manage_orders_with_the_service_rules(client, orders, shop):
    admin = staff_client(client, "root", ADMINISTRATOR)
    changelist = reverse("admin:checkout_order_changelist")
    assert admin.get(changelist).status_code == 200
    assert admin.get(reverse("admin:checkout_order_change", args=[orders["mixed"].pk])).status_code == 200
    assert admin.get(reverse("admin:checkout_order_add")).status_code == 403
    for query in ("abc", str(orders["mixed"].pk), "LAMP-1", "buyer"):
        assert admin.get(changelist, {"q": query}).status_code == 200
    assert list(admin.get(changelist, {"q": "MUG-1"}).context["cl"].result_list) == [orders["mixed"]]

    def act(action, order):
        return admin.post(changelist, {"action": action, "_selected_action": [order.pk]}, follow=True)

    refused = act("mark_fulfilled", orders["mixed"])  # not paid yet
    assert "it cannot become shipped" in refused.content.decode()
    assert Order.objects.get(pk=orders["mixed"].pk).status == Status.PENDING_PAYMENT

    assert "1 order(s) fulfilled." in act("mark_fulfilled", orders["paid"]).content.decode()
    assert "1 order(s) refunded." in act("refund_orders", orders["paid"]).content.decode()
    assert Order.objects.get(pk=orders["paid"].pk).status == Status.REFUNDED

    act("cancel_orders", orders["mixed"])
    assert Order.objects.get(pk=orders["mixed"].pk).status == Status.CANCELLED
    assert Product.objects.get(pk=shop.mug.pk).stock_quantity == 3  # the unpaid order's stock is back


def test_orders_cannot_be_deleted_in_the_admin(client, orders):
    admin = staff_client(client, "root", ADMINISTRATOR)
    url = reverse("admin:checkout_order_delete", args=[orders["mixed"].pk])
    assert admin.post(url, {"post": "yes"}).status_code == 403
    assert Order.objects.filter(pk=orders["mixed"].pk).exists()


def test_vendors_see_only_the_lines_of_their_own_products(client, orders, shop):
    vendor = staff_client(client, "alice", VENDOR, vendors=(shop.vendor_a,))
    page = vendor.get(reverse("admin:checkout_orderline_changelist"))
    assert page.status_code == 200
    lines = list(page.context["cl"].result_list)
    assert {line.sku for line in lines} == {"LAMP-1"}
    assert len(lines) == 2
    assert "MUG-1" not in page.content.decode()

    other_line = OrderLine.objects.get(sku="MUG-1")
    detail = vendor.get(reverse("admin:checkout_orderline_change", args=[other_line.pk]))
    assert detail.status_code == 302  # "does not exist" for them
    own_line = lines[0]
    assert vendor.get(reverse("admin:checkout_orderline_change", args=[own_line.pk])).status_code == 200

    # Whole orders (addresses, other vendors' lines) stay out of reach.
    assert vendor.get(reverse("admin:checkout_order_changelist")).status_code == 403
    assert vendor.get(reverse("admin:checkout_order_change", args=[orders["mixed"].pk])).status_code == 403


def test_a_vendor_user_without_a_vendor_sees_no_lines(client, orders):
    vendor = staff_client(client, "nobody", VENDOR)
    page = vendor.get(reverse("admin:checkout_orderline_changelist"))
    assert list(page.context["cl"].result_list) == []


def test_customers_have_no_back_office(client, orders):
    customer = staff_client(client, "carol", CUSTOMER)
    assert customer.get(reverse("admin:checkout_order_changelist")).status_code == 302  # to the admin login
