"""Steps the browser journeys share: a shopper account, the buy box, and the purchase
(cart → login → checkout → dummy payment → paid order). They work with and without
JavaScript: every step is a link or a plain form."""

from __future__ import annotations

import re

from django.contrib.auth.models import User
from playwright.sync_api import expect

from checkout.models import Order
from store.models import Product
from store.roles import CUSTOMER, assign_role

PASSWORD = "a-long-Passphrase-42"


def create_customer(username: str = "shopper") -> User:
    customer = User.objects.create_user(username, f"{username}@example.com", PASSWORD)
    assign_role(customer, CUSTOMER)
    return customer


def log_in(page, username: str, password: str = PASSWORD) -> None:
    """Fill in and send the login form the page is on (the storefront's or the admin's)."""
    page.fill("input[name=login], input[name=username]", username)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Log in").click()


def to_top(page) -> None:
    """Before a screenshot: the top of the page, the focus nowhere in particular."""
    page.evaluate("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)")


def add_to_cart(page, product: Product, shots) -> None:
    """On the product page: put one in the cart, which the shopper is taken to."""
    expect(page.get_by_role("heading", level=1)).to_have_text(product.name)
    shots(page, "product")
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_url("**/cart/**")
    expect(page.locator("[data-cart-count]").first).to_have_text(re.compile(r"^1\b"))
    expect(page.get_by_role("link", name=product.name)).to_be_visible()
    shots(page, "cart")


def check_out_and_pay(page, base: str, customer: User, product: Product, shots) -> Order:
    """From a cart holding one ``product``: log in, fill in the address, pay with the dummy
    gateway and land on the paid order; the order and the stock are checked in the database."""
    stock_before = Product.objects.get(pk=product.pk).stock_quantity
    page.goto(base + "/checkout/")
    page.locator(".checkout-guest").get_by_role("link", name="Log in").click()  # or check out as a guest
    page.wait_for_url("**/accounts/login/**")
    log_in(page, customer.username)
    page.wait_for_url("**/checkout/**")
    page.fill("input[name=full_name]", "Ada Shopper")
    page.fill("input[name=address_line1]", "1 Market Street")
    page.fill("input[name=city]", "San Francisco")
    page.fill("input[name=postal_code]", "94103")
    page.select_option("select[name=country]", "US")
    page.fill("input[name=country_area]", "CA")
    if page.locator("input[name=phone]").count():
        page.fill("input[name=phone]", "+1 415 555 0100")
    to_top(page)
    shots(page, "checkout")
    page.locator("button[value=place]").last.click()
    page.wait_for_url("**/pay/**")
    shots(page, "payment")
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url("**/orders/*/")
    order = Order.objects.get(user=customer)
    expect(page.locator("main")).to_contain_text(order.number)
    expect(page.locator("main")).to_contain_text(product.name)
    expect(page.locator("main .status")).to_have_text(re.compile("paid", re.IGNORECASE))
    shots(page, "order-paid")
    assert order.status == "paid"
    assert order.lines.get().product_id == product.pk
    assert Product.objects.get(pk=product.pk).stock_quantity == stock_before - 1
    return order


def buy_and_pay(page, base: str, product: Product, shots, customer: User | None = None) -> Order:
    """The whole purchase of one ``product``, starting on its page."""
    customer = customer or create_customer()
    page.goto(base + product.get_absolute_url())
    add_to_cart(page, product, shots)
    return check_out_and_pay(page, base, customer, product, shots)
