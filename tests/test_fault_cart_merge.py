"""The cart merge at login racing add-to-cart, on real PostgreSQL row locks.

Threads (each with its own database connection) keep adding to the visitor's anonymous cart,
and one to the user's cart (another device), while the login merges the anonymous cart into
the user's. Every acknowledged add must be in the user's cart afterwards: it landed before the
merge and was moved, or it waited for the merge and followed the cart into the user's. No add
or login may fail (no deadlock, no vanished cart)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from decimal import Decimal

import pytest
from django.contrib.sessions.backends.cache import SessionStore
from django.db import connection
from django.test import RequestFactory

from checkout.cart import CART_SESSION_KEY, add_to_cart, merge_session_cart
from checkout.models import Cart, CartItem
from store.models import Brand, Category, Product
from tests.checkout_support import make_user
from tests.faults import FaultReport

TRIALS = 30
ADDS_AFTER_MERGE = 3  # per adder, with the anonymous cart it held before the login


@pytest.fixture
def products(transactional_db, settings):
    settings.SHOP_CURRENCY = "USD"
    category = Category.objects.add_root(instance=Category(name="Gear", slug="gear"))
    brand = Brand.objects.create(name="Acme", slug="acme")
    return [
        Product.objects.create(name=f"Item {sku}", slug=sku.lower(), sku=sku, brand=brand, category=category,
                               price=Decimal("5.00"), stock_quantity=9999)
        for sku in ("A-1", "B-1", "C-1")
    ]


class Adder(threading.Thread):
    """Adds one unit at a time to ``cart`` until told to stop; counts what was acknowledged."""

    def __init__(self, cart: Cart, product: Product) -> None:
        super().__init__(daemon=True)
        self.cart, self.product = cart, product
        self.acknowledged = 0
        self.followed = 0  # acknowledged adds that landed in another cart than the one asked for
        self.errors: list[BaseException] = []
        self.merge_done = threading.Event()
        self.after_merge = 0

    def run(self) -> None:
        try:
            while self.after_merge < ADDS_AFTER_MERGE and not self.errors:
                merged_before = self.merge_done.is_set()
                try:
                    item = add_to_cart(self.cart, self.product, 1)
                except Exception as exc:  # noqa: BLE001 - every failure is the finding
                    self.errors.append(exc)
                    break
                self.acknowledged += 1
                self.followed += item.cart_id != self.cart.pk
                if merged_before:
                    self.after_merge += 1
        finally:
            connection.close()


def wait_until(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "the adders did not start"
        time.sleep(0.001)


@pytest.mark.django_db(transaction=True)
def test_adds_racing_the_login_merge_are_all_in_the_users_cart(products):
    a, b, c = products
    report = FaultReport(fault="Cart merge at login racing adds")
    acknowledged = lost = followed = 0
    failures: list[str] = []
    for trial in range(TRIALS):
        user = make_user(f"shopper{trial}")
        user_cart = Cart.objects.create(user=user)
        CartItem.objects.create(cart=user_cart, product=c, quantity=1)
        anonymous = Cart.objects.create()
        CartItem.objects.create(cart=anonymous, product=a, quantity=1)
        session = SessionStore()
        session[CART_SESSION_KEY] = anonymous.pk
        login_request = RequestFactory().post("/accounts/login/")
        login_request.session = session

        adders = [Adder(anonymous, a), Adder(anonymous, b), Adder(anonymous, a), Adder(user_cart, c)]
        for adder in adders:
            adder.start()
        try:
            wait_until(lambda group=adders: all(adder.acknowledged >= 1 for adder in group))  # racing now
            try:
                merge_session_cart(login_request, user)
                report.served(200)
            except Exception as exc:  # noqa: BLE001
                report.served(500)
                failures.append(f"trial {trial}: login failed: {exc!r}")
        finally:
            for adder in adders:
                adder.merge_done.set()
            for adder in adders:
                adder.join(timeout=30)

        expected = Counter({a.pk: 1, c.pk: 1})
        for adder in adders:
            expected[adder.product.pk] += adder.acknowledged
            acknowledged += adder.acknowledged
            followed += adder.followed
            for _ in range(adder.acknowledged):
                report.served(200)
            for exc in adder.errors:
                report.served(500)
                failures.append(f"trial {trial}: add failed: {exc!r}")
        final = Counter({item.product_id: item.quantity for item in CartItem.objects.filter(cart__user=user)})
        lost += sum((expected - final).values())
        if final != expected:
            failures.append(f"trial {trial}: expected {dict(expected)}, the user's cart holds {dict(final)}")
        if Cart.objects.filter(pk=anonymous.pk).exists() or CartItem.objects.filter(cart__user__isnull=True).exists():
            failures.append(f"trial {trial}: an anonymous cart or line was left behind")
        CartItem.objects.filter(cart__user__isnull=True).delete()

    report.updates_lost = lost
    report.notes = (f"{TRIALS} logins, each merging while 3 threads add to the anonymous cart and 1 to the "
                    f"user's; {acknowledged} adds acknowledged, {followed} of them followed the merged cart "
                    "into the user's")
    report.write()
    assert not failures, failures[:5]
    assert followed >= TRIALS  # the adds after each merge went through the pointer to the user's cart
