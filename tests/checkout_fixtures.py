"""Fixtures of the checkout tests, loaded by the test modules with
``pytest_plugins = ["tests.checkout_fixtures"]`` (tests/conftest.py stays untouched)."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from store.models import Brand, Category, Vendor
from tests.checkout_support import WEBHOOK_SECRET, FakeStripe, make_product, serve_fake_stripe


@pytest.fixture
def shop(db) -> SimpleNamespace:
    """Two vendors' products at awkward prices (tax rounding), one out of stock."""
    shop = SimpleNamespace()
    shop.category = Category.objects.add_root(instance=Category(name="Gear", slug="gear"))
    shop.brand = Brand.objects.create(name="Acme", slug="acme")
    shop.vendor_a = Vendor.objects.create(name="Alpha Goods", slug="alpha")
    shop.vendor_b = Vendor.objects.create(name="Bravo Goods", slug="bravo")
    shop.lamp = make_product(shop, "LAMP-1", "19.99", 10, name="Desk Lamp", vendor=shop.vendor_a)
    shop.mug = make_product(shop, "MUG-1", "7.35", 3, name="Enamel Mug", vendor=shop.vendor_b)
    shop.sold_out = make_product(shop, "GONE-1", "5.00", 0, name="Sold-out Socks", vendor=shop.vendor_a)
    return shop


@pytest.fixture
def checkout_settings(settings):
    """Fixed money settings, whatever the environment says."""
    settings.TAX_RATE = Decimal("0.0825")
    settings.SHOP_CURRENCY = "USD"
    settings.PAYMENT_GATEWAY = "dummy"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return settings


@pytest.fixture
def fake_stripe(checkout_settings):
    """Stripe as the gateway, its SDK pointed at the local fake, a known webhook secret."""
    fake = FakeStripe()
    server = serve_fake_stripe(fake)
    checkout_settings.PAYMENT_GATEWAY = "stripe"
    checkout_settings.STRIPE_SECRET_KEY = fake.api_key
    checkout_settings.STRIPE_PUBLISHABLE_KEY = "pk_test_fake_checkout"
    checkout_settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    checkout_settings.STRIPE_API_BASE = fake.url
    yield fake
    server.shutdown()
    server.server_close()
