"""The wishlist of a signed-in customer: saved from the product page with a plain form, counted
in the header, listed on its page; and the product page's queries stay constant."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from store.models import Brand, Category, Product, WishlistItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def products():
    category = Category.objects.add_root(instance=Category(name="Shoes", slug="shoes"))
    brand = Brand.objects.create(name="Acme", slug="acme")
    return [Product.objects.create(name=f"Runner {i} <b>", slug=f"runner-{i}", sku=f"R-{i}", brand=brand,
                                   category=category, price=Decimal("10.00"), stock_quantity=3) for i in range(6)]


@pytest.fixture
def customer(client):
    user = User.objects.create_user("ada", password="unused-password")
    client.force_login(user)
    return user


def header_count(client) -> str:
    html = client.get("/").content.decode()
    start = html.index("data-wishlist-count>") + len("data-wishlist-count>")
    return html[start:html.index("<", start)]


def toggle(client, product: Product, next_url: str = ""):
    return client.post(reverse("wishlist-toggle", args=[product.pk]), {"next": next_url})


def test_saving_and_forgetting_a_product(client, customer, products):
    product = products[0]
    assert header_count(client) == "0"
    response = toggle(client, product, product.get_absolute_url())
    assert response.status_code == 302 and response["Location"] == product.get_absolute_url()
    assert header_count(client) == "1"
    page = client.get(product.get_absolute_url()).content.decode()
    assert 'aria-pressed="true"' in page and "Saved to your wishlist" in page
    listed = client.get(reverse("wishlist")).content.decode()
    assert "Runner 0 &lt;b&gt;" in listed and "Runner 1" not in listed
    toggle(client, product)
    assert header_count(client) == "0"
    assert not WishlistItem.objects.exists()


def test_a_hidden_product_is_not_saved_nor_counted(client, customer, products):
    toggle(client, products[0])
    Product.objects.filter(pk=products[0].pk).update(is_active=False)
    assert header_count(client) == "0"
    assert "Runner 0" not in client.get(reverse("wishlist")).content.decode()
    assert toggle(client, products[0]).status_code == 404


def test_signed_out_shoppers_are_sent_to_log_in_and_nothing_is_saved(products):
    client = Client()
    assert toggle(client, products[0]).status_code == 302
    assert "/accounts/login/" in toggle(client, products[0])["Location"]
    assert client.get(reverse("wishlist")).status_code == 302
    assert "Log in</a> to save it to your wishlist" in client.get(products[0].get_absolute_url()).content.decode()
    assert not WishlistItem.objects.exists()


def test_an_offsite_next_is_ignored(client, customer, products):
    response = toggle(client, products[0], "https://evil.example.com/")
    assert response["Location"] == products[0].get_absolute_url()


def test_the_toggle_is_csrf_protected(customer, products):
    client = Client(enforce_csrf_checks=True)
    client.force_login(customer)
    assert toggle(client, products[0]).status_code == 403
    assert not WishlistItem.objects.exists()


def test_the_wishlist_page_costs_the_same_queries_for_one_or_many_products(client, customer, products,
                                                                           django_assert_max_num_queries):
    toggle(client, products[0])
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("wishlist"))
    baseline = len(one)  # now: the next request's request_started clears the query log
    for product in products[1:]:
        toggle(client, product)
        product.images.create(url="https://cdn.example.com/a.jpg")
        product.images.create(url="https://cdn.example.com/b.jpg")
    with django_assert_max_num_queries(baseline):
        assert client.get(reverse("wishlist")).content.decode().count('class="card"') == len(products)


def test_the_product_page_costs_the_same_queries_with_more_images_and_a_wishlist(client, customer, products,
                                                                                django_assert_max_num_queries):
    product = products[0]
    with CaptureQueriesContext(connection) as plain:
        client.get(product.get_absolute_url())
    baseline = len(plain)
    for i in range(4):
        product.images.create(url=f"https://cdn.example.com/{i}.jpg")
    for other in products[1:]:
        toggle(client, other)
    with django_assert_max_num_queries(baseline):
        assert client.get(product.get_absolute_url()).status_code == 200


def recently_viewed(html: str) -> list[str]:
    if 'id="recent-title"' not in html:
        return []
    section = html.split('id="recent-title"')[1].split("</section>")[0]
    return [name.strip() for name in re.findall(r'class="card-link"[^>]*>([^<]+)</a>', section)]


def test_recently_viewed_products_newest_first_without_the_one_shown(client, products):
    for product in products[:3]:
        client.get(product.get_absolute_url())
    html = client.get(products[3].get_absolute_url()).content.decode()
    assert recently_viewed(html) == ["Runner 2 &lt;b&gt;", "Runner 1 &lt;b&gt;", "Runner 0 &lt;b&gt;"]
    Product.objects.filter(pk=products[1].pk).update(is_active=False)
    html = client.get(products[0].get_absolute_url()).content.decode()
    assert recently_viewed(html) == ["Runner 3 &lt;b&gt;", "Runner 2 &lt;b&gt;"]  # hidden ones left out


def test_the_recently_viewed_row_costs_the_same_queries_for_one_or_four(client, products,
                                                                       django_assert_max_num_queries):
    client.get(products[0].get_absolute_url())
    with CaptureQueriesContext(connection) as one:
        client.get(products[5].get_absolute_url())
    baseline = len(one)
    for product in products[1:5]:
        client.get(product.get_absolute_url())
    with django_assert_max_num_queries(baseline):
        html = client.get(products[5].get_absolute_url()).content.decode()
    assert len(recently_viewed(html)) == 4


def test_a_visitor_who_only_looks_writes_nothing_to_the_database(client, products):
    from django.contrib.sessions.models import Session

    for product in products[:3]:
        client.get(product.get_absolute_url())
    assert client.cookies["recently_viewed"].value == ".".join(str(p.pk) for p in reversed(products[:3]))
    assert not Session.objects.exists()
    client.cookies["recently_viewed"] = "1.x.<script>.99999999999"  # forged: ignored, never an error
    assert client.get(products[4].get_absolute_url()).status_code == 200
