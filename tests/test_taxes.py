"""Taxes: a rate per country and per product tax class (taxes.TaxRate, edited in the admin),
copied onto each order line so an order keeps its rates after a rate changes; prices shown
with or without tax by PRICES_INCLUDE_TAX, the same on every page."""

from decimal import Decimal

import pytest
from django.urls import reverse

from checkout.models import Order
from taxes.models import TaxClass, TaxRate
from tests.checkout_support import checkout_form, fill_cart, make_product, make_user

pytest_plugins = ["tests.checkout_fixtures"]
pytestmark = pytest.mark.django_db

BERLIN = {"country": "DE", "postal_code": "10115", "city": "Berlin", "country_area": ""}
OHIO = {"country": "US", "postal_code": "43004", "city": "Columbus", "country_area": "OH"}


@pytest.fixture
def taxed_shop(shop, checkout_settings):
    """Germany: 19 % standard, 7 % for books; Ohio (the US): 5.75 % on everything."""
    shop.books = TaxClass.objects.update_or_create(slug="reduced", defaults={"name": "Reduced"})[0]
    shop.book = make_product(shop, "BOOK-1", "10.00", 10, name="Field Guide", tax_class=shop.books)
    TaxRate.objects.filter(country__in=["DE", "US"]).delete()
    shop.de = TaxRate.objects.create(country="DE", rate=Decimal("0.19"))
    shop.de_books = TaxRate.objects.create(country="DE", tax_class=shop.books, rate=Decimal("0.07"))
    shop.us = TaxRate.objects.create(country="US", rate=Decimal("0.0575"))
    return shop


def order_for(client, username: str, shop, address: dict) -> Order:
    user = make_user(username)
    fill_cart(user, (shop.lamp, 2), (shop.book, 1))
    client.force_login(user)
    response = client.post(reverse("checkout"), checkout_form(**address))
    assert response.status_code == 302, response.context["form"].errors
    return Order.objects.get(user=user)


def line_taxes(order: Order) -> list[tuple[str, Decimal, Decimal]]:
    return [(line.sku, line.tax_rate, line.tax) for line in order.lines.order_by("sku")]


def test_a_german_and_a_us_order_get_their_own_rates_and_keep_them_after_a_change(client, taxed_shop):
    german = order_for(client, "greta", taxed_shop, BERLIN)
    american = order_for(client, "abe", taxed_shop, OHIO)

    # 2 × 19.99 = 39.98 at 19 % = 7.5962 → 7.60; the book 10.00 at 7 % = 0.70.
    assert line_taxes(german) == [("BOOK-1", Decimal("0.0700"), Decimal("0.70")),
                                  ("LAMP-1", Decimal("0.1900"), Decimal("7.60"))]
    assert (german.tax, german.tax_rate, german.total) == (Decimal("8.30"), None, Decimal("63.27"))
    # 39.98 at 5.75 % = 2.29885 → 2.30; 10.00 → 0.58 (0.575 rounded half up).
    assert line_taxes(american) == [("BOOK-1", Decimal("0.0575"), Decimal("0.58")),
                                    ("LAMP-1", Decimal("0.0575"), Decimal("2.30"))]
    assert (american.tax, american.tax_rate, american.total) == (Decimal("2.88"), Decimal("0.0575"), Decimal("57.85"))

    # The rates change (in the admin, as an administrator would).
    admin = make_user("root")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    response = client.post(reverse("admin:taxes_taxrate_change", args=[taxed_shop.de.pk]),
                           {"country": "DE", "tax_class": "", "rate": "0.16"})
    assert response.status_code == 302
    TaxRate.objects.filter(pk=taxed_shop.us.pk).update(rate=Decimal("0.08"))
    TaxRate.objects.filter(pk=taxed_shop.de_books.pk).delete()

    # The orders keep what they were charged...
    for order, before in ((german, line_taxes(german)), (american, line_taxes(american))):
        order.refresh_from_db()
        assert line_taxes(order) == before
    assert (german.tax, american.tax) == (Decimal("8.30"), Decimal("2.88"))
    # ...and say so on the customer's order page.
    client.force_login(german.user)
    page = client.get(reverse("order_detail", args=[german.pk])).content.decode()
    assert "19 %" in page and "7 %" in page and "$63.27" in page

    # A new German order pays the new rates: 16 % on both (the books' rate is gone).
    new = order_for(client, "hans", taxed_shop, BERLIN)
    assert line_taxes(new) == [("BOOK-1", Decimal("0.1600"), Decimal("1.60")),
                               ("LAMP-1", Decimal("0.1600"), Decimal("6.40"))]


def test_a_country_without_a_rate_pays_the_fallback_rate(client, taxed_shop):
    order = order_for(client, "pierre", taxed_shop, {"country": "JP", "postal_code": "100-0001",
                                                      "city": "Chiyoda", "country_area": "Tokyo"})
    assert order.tax_rate == Decimal("0.0825")  # settings.TAX_RATE (checkout_settings)


def test_the_checkout_shows_the_tax_of_the_country_typed(client, taxed_shop):
    user = make_user("greta")
    fill_cart(user, (taxed_shop.lamp, 2), (taxed_shop.book, 1))
    client.force_login(user)
    page = client.post(reverse("checkout"), {**checkout_form(**BERLIN), "action": "update"})
    assert page.context["totals"].tax == Decimal("8.30")
    assert page.context["totals"].tax_rate is None
    html = page.content.decode()
    assert "<dt>Tax</dt>" in html and "$8.30" in html


def test_a_tax_rate_is_a_fraction(client):
    admin = make_user("root")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    response = client.post(reverse("admin:taxes_taxrate_add"), {"country": "DE", "tax_class": "", "rate": "19"})
    assert response.status_code == 200
    assert "Ensure this value is less than or equal to 0.9999." in response.content.decode()
    TaxRate.objects.filter(country="DE", tax_class=None).delete()
    TaxRate.objects.create(country="DE", rate=Decimal("0.19"))
    response = client.post(reverse("admin:taxes_taxrate_add"), {"country": "DE", "tax_class": "", "rate": "0.2"})
    assert response.status_code == 200  # one standard rate per country: a form error, not a 500
    assert TaxRate.objects.filter(country="DE", tax_class=None).count() == 1


# --- Shown prices ---------------------------------------------------------------------------


@pytest.fixture
def gross_display(settings, taxed_shop):
    settings.PRICES_INCLUDE_TAX = True
    settings.TAX_DISPLAY_COUNTRY = "DE"
    return taxed_shop


def test_net_display_shows_catalog_prices_and_the_tax_apart(client, taxed_shop, tantivy_backend):
    from tests.conftest import sync_index

    sync_index()
    html = client.get(taxed_shop.lamp.get_absolute_url()).content.decode()
    assert "$19.99" in html and "incl. tax" not in html
    assert "$19.99" in client.get(reverse("search"), {"q": "lamp"}).content.decode()
    hit = client.get(reverse("api-search"), {"q": "lamp"}).json()["hits"][0]
    assert (hit["price"], hit["price_display"]) == ("19.99", "$19.99")


def test_gross_display_shows_the_same_prices_with_tax_on_every_page(client, gross_display, tantivy_backend):
    from tests.conftest import sync_index

    shop = gross_display
    sync_index()
    # Lamp 19.99 + 19 % = 23.79; the book 10.00 + 7 % = 10.70.
    product_page = client.get(shop.lamp.get_absolute_url()).content.decode()
    assert "$23.79" in product_page and "incl. tax" in product_page
    assert "$10.70" in client.get(shop.book.get_absolute_url()).content.decode()
    lamps = client.get(reverse("search"), {"q": "lamp"}).content.decode()
    assert "/p/lamp-1/" in lamps and "$23.79" in lamps and "$19.99" not in lamps
    assert "$10.70" in client.get(reverse("search"), {"q": "guide"}).content.decode()
    suggestions = client.get(reverse("search-suggest"), {"q": "lamp"}).content.decode()
    assert "$23.79" in suggestions and "$19.99" not in suggestions
    # The API keeps the catalog's (net) amount and prints the shown one.
    hit = client.get(reverse("api-search"), {"q": "lamp"}).json()["hits"][0]
    assert (hit["price"], hit["price_display"]) == ("19.99", "$23.79")

    user = make_user("greta")
    fill_cart(user, (shop.lamp, 2), (shop.book, 1))
    client.force_login(user)
    cart = client.get(reverse("cart")).content.decode()
    # 39.98 + 7.60 = 47.58 for the lamps, 10.70 for the book, 58.28 in all.
    assert "$23.79 each" in cart and "$47.58" in cart and "$58.28" in cart
    page = client.post(reverse("checkout"), {**checkout_form(**BERLIN), "action": "update"})
    checkout = page.content.decode()
    assert "$47.58" in checkout and "$58.28" in checkout and "Included tax" in checkout
    assert page.context["totals"].total == Decimal("63.27")  # 58.28 + 4.99 shipping
