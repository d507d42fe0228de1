"""The purchase in a real browser: product → cart → login → checkout → dummy payment → order."""

import pytest
from django.contrib.auth.models import User

from checkout.models import Order
from store.roles import CUSTOMER, assign_role

pytestmark = pytest.mark.e2e


def buy_and_pay(page, base: str, catalog, shots) -> Order:
    customer = User.objects.create_user("shopper", "shopper@example.com", "a-long-Passphrase-42")
    assign_role(customer, CUSTOMER)
    product = catalog.products["merino"]

    page.goto(base + product.get_absolute_url())
    shots(page, "product")
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_url("**/cart/**")
    assert page.locator("[data-cart-count]").first.inner_text().startswith("1")
    shots(page, "cart")

    page.goto(base + "/checkout/")
    page.wait_for_url("**/accounts/login/**")
    page.fill("input[name=username]", "shopper")
    page.fill("input[name=password]", "a-long-Passphrase-42")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/checkout/**")
    page.fill("input[name=full_name]", "Ada Shopper")
    page.fill("input[name=address_line1]", "1 Market Street")
    page.fill("input[name=city]", "San Francisco")
    page.fill("input[name=postal_code]", "94103")
    page.select_option("select[name=country]", "US")
    if page.locator("input[name=phone]").count():
        page.fill("input[name=phone]", "+1 415 555 0100")
    shots(page, "checkout")
    page.locator("button[value=place]").last.click()
    page.wait_for_url("**/pay/**")
    shots(page, "payment")
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url("**/orders/*/")
    shots(page, "order-paid")
    order = Order.objects.get(user=customer)
    assert order.status == "paid"
    assert order.lines.get().product_id == product.pk
    assert order.number in page.content()
    product.refresh_from_db()
    assert product.stock_quantity == 6
    return order


def test_checkout_journey_with_javascript(shop, page, shots):
    base, catalog = shop
    buy_and_pay(page, base, catalog, shots)


def test_checkout_journey_without_javascript(shop, page_without_js, shots):
    base, catalog = shop
    buy_and_pay(page_without_js, base, catalog, shots)
