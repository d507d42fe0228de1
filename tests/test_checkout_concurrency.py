"""Checkouts racing on real PostgreSQL row locks: the last unit is sold once, and one
shopper's double submit still makes a single order."""

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from checkout.models import Order
from store.models import Product
from tests.checkout_support import checkout_form, fill_cart, make_user

# The shop, settings and fake-Stripe fixtures.
pytest_plugins = ["tests.checkout_fixtures"]

SHOPPERS = 20


def run_together(count: int, work) -> list:
    """Run ``work(i)`` in ``count`` threads released at the same instant; each thread
    uses (and closes) its own database connection."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def runner(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - reported by the assertions below
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_checkouts_of_the_last_unit_sell_it_once(shop, checkout_settings):
    Product.objects.filter(pk=shop.lamp.pk).update(stock_quantity=1)
    clients = []
    for i in range(SHOPPERS):
        user = make_user(f"shopper{i}")
        fill_cart(user, (shop.lamp, 1))
        client = Client()
        client.force_login(user)
        clients.append(client)

    def checkout(i: int):
        return clients[i].post(reverse("checkout"), checkout_form())

    responses = run_together(SHOPPERS, checkout)

    assert not [r for r in responses if isinstance(r, Exception)], responses
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * (SHOPPERS - 1) + [302]
    refused = [r for r in responses if r.status_code == 200]
    assert all(
        r.context["form"].non_field_errors() == ["Sorry, “Desk Lamp” is out of stock. Please update your cart."]
        for r in refused
    )
    assert Order.objects.count() == 1
    lamp = Product.objects.get(pk=shop.lamp.pk)
    assert (lamp.stock_quantity, lamp.sales_count) == (0, 1)
    order = Order.objects.get()
    assert [(line.sku, line.quantity, line.unit_price) for line in order.lines.all()] == [
        ("LAMP-1", 1, Decimal("19.99"))
    ]


@pytest.mark.django_db(transaction=True)
def test_a_concurrent_double_submit_makes_one_order(shop, checkout_settings):
    user = make_user("ada")
    fill_cart(user, (shop.lamp, 2))
    form = checkout_form()
    clients = []
    for _ in range(5):
        client = Client()
        client.force_login(user)
        clients.append(client)

    responses = run_together(5, lambda i: clients[i].post(reverse("checkout"), form))

    assert not [r for r in responses if isinstance(r, Exception)], responses
    order = Order.objects.get()
    assert {r.status_code for r in responses} == {302}
    assert {r["Location"] for r in responses} == {reverse("order_pay", args=[order.pk])}
    assert Product.objects.get(pk=shop.lamp.pk).stock_quantity == 8
