"""Journeys of issue 18 in a real browser: a guest checkout end to end (and finding the order
again from another browser), a password reset through the e-mail's link, and a vendor shipping
its line in the back office, then the customer's shipped e-mail and order page.

E-mails go through the outbox and are delivered by the (eager, in-process) Celery task to
Django's test mailbox, from which the test reads them as a customer reads their inbox."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from checkout.models import Order
from checkout.orders import place_order, transition
from store.models import Product, Vendor
from store.roles import VENDOR, assign_role
from tests.checkout_support import checkout_form, fill_cart
from tests.e2e.journeys import PASSWORD, add_to_cart, create_customer, log_in, to_top

pytestmark = pytest.mark.e2e


def emails_to(address: str) -> list:
    return [m for m in mail.outbox if m.to == [address]]


def link_in(message) -> str:
    match = re.search(r"https?://\S+", message.body)
    assert match, message.body
    return match.group(0)


def test_a_guest_checks_out_and_finds_the_order_again(shop, browser, page, shots):
    base, catalog = shop
    product = catalog.products["merino"]
    page.goto(base + product.get_absolute_url())
    add_to_cart(page, product, shots)
    page.goto(base + "/checkout/")
    expect(page.locator(".checkout-guest")).to_contain_text("Checking out as a guest")
    page.fill("input[name=email]", "guest@example.com")
    page.fill("input[name=full_name]", "Grace Guest")
    page.fill("input[name=address_line1]", "1 Market Street")
    page.fill("input[name=city]", "San Francisco")
    page.select_option("select[name=country]", "US")
    page.fill("input[name=postal_code]", "94103")
    page.fill("input[name=country_area]", "CA")
    to_top(page)
    shots(page, "guest-checkout")
    page.locator("button[value=place]").last.click()
    page.wait_for_url("**/pay/**")
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url("**/orders/*/")
    order = Order.objects.get(email="guest@example.com")
    assert order.user is None and order.status == "paid"
    expect(page.locator("main .status")).to_have_text(re.compile("paid", re.IGNORECASE))
    shots(page, "guest-order-paid")
    subjects = [m.subject for m in emails_to("guest@example.com")]
    assert subjects == [f"We received your order {order.number}", f"Your order {order.number} is confirmed"]

    # Another browser: the order is not there for it until it gives the address and the number.
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    other = context.new_page()
    other.goto(base + order.get_absolute_url())
    other.wait_for_url("**/accounts/login/**")  # not this browser's order: log in, or look it up
    other.goto(base + "/")
    other.get_by_role("link", name="Find an order").click()
    other.fill("input[name=email]", "guest@example.com")
    other.fill("input[name=number]", order.number)
    shots(other, "order-lookup")
    other.get_by_role("button", name="Find order").click()
    other.wait_for_url(f"**{order.get_absolute_url()}")
    expect(other.locator("main")).to_contain_text(product.name)
    context.close()


def test_a_password_reset_through_the_emails_link(shop, page, shots):
    base, _catalog = shop
    customer = create_customer("forgetful")
    page.goto(base + "/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.fill("input[name=email]", customer.email)
    shots(page, "reset-request")
    page.locator("form.auth-card button[type=submit]").click()
    page.wait_for_url("**/password/reset/done/")
    [message] = emails_to(customer.email)
    page.goto(link_in(message))
    page.wait_for_url("**/password/reset/key/**")
    new_password = "a-brand-new-Passphrase-7"
    page.fill("input[name=password1]", new_password)
    page.fill("input[name=password2]", new_password)
    shots(page, "reset-new-password")
    page.locator("form.auth-card button[name=action]").click()
    page.wait_for_url("**/password/reset/key/done/")
    page.goto(base + "/accounts/login/")
    log_in(page, customer.username, PASSWORD)
    expect(page.locator(".alert-error")).to_be_visible()  # the old password is gone
    log_in(page, customer.username, new_password)
    page.wait_for_url(base + "/")
    expect(page.locator(".account-name")).to_contain_text("forgetful")


def test_a_vendor_ships_a_line_and_the_customer_is_told(shop, browser, page, shots):
    base, catalog = shop
    vendor = Vendor.objects.create(name="Nordic Knits", slug="nordic-knits")
    sweater = catalog.products["merino"]
    Product.objects.filter(pk=sweater.pk).update(vendor=vendor)
    customer = create_customer("waiting")
    form = checkout_form(email=customer.email)
    order = place_order(user=customer, cart=fill_cart(customer, (Product.objects.get(pk=sweater.pk), 1)),
                        email=customer.email, address=form, shipping_method="standard",
                        idempotency_key=form["idempotency_key"])
    seller = create_customer("knitter")
    assign_role(seller, VENDOR)
    vendor.users.add(seller)
    order = transition(order, Order.Status.PAID)
    assert [m.subject for m in emails_to("knitter@example.com")] == [f"New order {order.number}: lines to ship"]

    page.goto(base + "/admin/")
    log_in(page, "knitter")
    page.get_by_role("link", name="Order lines").click()
    page.get_by_role("link", name="Ship…").click()
    page.wait_for_url(f"**/ship/{order.pk}/")
    expect(page.locator(".ship-to")).to_contain_text("12 Analytical Row")
    page.select_option("select[name=carrier]", "ups")
    page.fill("input[name=tracking_number]", "1Z999AA10123456784")
    shots(page, "vendor-ship")
    page.get_by_role("button", name="Mark shipped").click()
    expect(page.locator(".messagelist")).to_contain_text("1 line(s) shipped")
    shots(page, "vendor-shipped")
    assert Order.objects.get(pk=order.pk).status == Order.Status.FULFILLED

    [shipped] = [m for m in emails_to(customer.email) if "shipped" in m.subject]
    assert "1Z999AA10123456784" in shipped.body and sweater.name in shipped.body
    html = shipped.alternatives[0][0]
    assert "https://www.ups.com/track?tracknum=1Z999AA10123456784" in html

    # The customer follows the e-mail's link to the order, which shows the parcel.
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    mine = context.new_page()
    mine.goto(re.search(r"View your order: (\S+)", shipped.body).group(1).replace("http://127.0.0.1:8000", base))
    log_in(mine, customer.username)
    mine.wait_for_url(f"**{order.get_absolute_url()}")
    expect(mine.locator(".shipments")).to_contain_text("1Z999AA10123456784")
    expect(mine.locator("main .status")).to_have_text(re.compile("shipped", re.IGNORECASE))
    shots(mine, "customer-sees-shipment")
    context.close()
