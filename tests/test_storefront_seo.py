"""What search engines and link previews read: sitemap.xml, robots.txt, the favicon,
canonical addresses and robots rules of category pages, JSON-LD (validated against the
schema.org types it claims, with hostile product names) and Open Graph tags; and the
shop's identity (name, logo, footer pages) edited in the admin."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from store import sitemaps
from store.models import Brand, Category, FooterPage, Product, ShopSettings, Vendor
from tests.schemaorg import validate_json_ld

pytestmark = pytest.mark.django_db

SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
HOSTILE = '</script><script>alert("x")</script> & <b>“Tee”</b>'


@pytest.fixture
def shop():
    clothing = Category.objects.add_root(instance=Category(name="Clothing", slug="clothing"))
    tops = Category.objects.add_child(clothing, instance=Category(name="Tops", slug="tops"))
    brand = Brand.objects.create(name="Acme", slug="acme")
    hidden_vendor = Vendor.objects.create(name="Gone", slug="gone", is_active=False)

    def product(sku: str, **fields) -> Product:
        fields.setdefault("name", f"Product {sku}")
        return Product.objects.create(slug=sku.lower(), sku=sku, brand=brand, category=tops,
                                      price=Decimal("19.99"), stock_quantity=3, **fields)

    active = [product(f"A-{i}") for i in range(7)]
    inactive = [product("X-1", is_active=False), product("X-2", vendor=hidden_vendor)]
    return {"clothing": clothing, "tops": tops, "active": active, "inactive": inactive, "product": product}


def locations(client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, url
    root = ET.fromstring(response.content)
    return [loc.text for loc in root.iterfind(".//sm:loc", SITEMAP_NS)]


def sitemap_urls(client) -> list[str]:
    """Every address of every page of the sitemap index."""
    return [url for page in locations(client, "/sitemap.xml") for url in locations(client, urlsplit(page).path
                                                                                   + "?" + urlsplit(page).query)]


def test_the_sitemap_lists_every_active_product_and_category_and_no_inactive_product(client, shop, monkeypatch):
    # Three addresses a page: the index must page the products (as 10,000 a page does for a million).
    monkeypatch.setattr(sitemaps.ProductSitemap, "limit", 3)
    pages = locations(client, "/sitemap.xml")
    assert sum("sitemap-products.xml" in p for p in pages) == 3  # 7 products, 3 a page
    urls = {urlsplit(u).path for u in sitemap_urls(client)}
    for product in shop["active"]:
        assert product.get_absolute_url() in urls
    for product in shop["inactive"]:
        assert product.get_absolute_url() not in urls
    assert {shop["clothing"].get_absolute_url(), shop["tops"].get_absolute_url(), "/"} <= urls
    assert reverse("footer-page", kwargs={"slug": "shipping"}) in urls
    assert len([u for u in urls if u.startswith("/p/")]) == len(shop["active"])


def test_a_sitemap_page_costs_the_same_queries_whatever_its_size(client, shop, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get("/sitemap-products.xml")
    baseline = len(few)
    assert baseline
    for i in range(30):
        shop["product"](f"B-{i}")
    with django_assert_max_num_queries(baseline):
        client.get("/sitemap-products.xml")


def test_robots_txt_points_at_the_sitemap_and_keeps_crawlers_out_of_private_pages(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert "Sitemap: http://testserver/sitemap.xml" in text
    for path in ("/cart/", "/checkout/", "/accounts/", "/api/", "/search"):
        assert f"Disallow: {path}\n" in text


def test_the_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    found = finders.find(response["Location"].removeprefix(settings.STATIC_URL))
    assert found and Path(found).read_bytes()[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert '<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">' in client.get("/").content.decode()


def head_of(response) -> str:
    return response.content.decode().split("</head>")[0]


def canonical(response) -> str:
    found = re.findall(r'<link rel="canonical" href="([^"]+)">', head_of(response))
    assert len(found) == 1, found
    return found[0]


def robots(response) -> str:
    found = re.findall(r'<meta name="robots" content="([^"]+)">', head_of(response))
    return found[0] if found else ""


@pytest.mark.parametrize(("query", "expected_canonical", "expected_robots"), [
    ("", "/c/clothing/", "index, follow"),
    ("?page=2", "/c/clothing/?page=2", "index, follow"),
    ("?brand=acme", "/c/clothing/", "index, follow"),
    ("?brand=acme&sort=price_asc&page=2", "/c/clothing/", "index, follow"),
    ("?brand=acme&in_stock=1", "/c/clothing/", "noindex, follow"),
    ("?brand=acme&brand=zephyr", "/c/clothing/", "noindex, follow"),
    ("?q=tee", "/c/clothing/", "noindex, follow"),
])
def test_a_filtered_category_canonicalises_to_the_category_and_deep_filters_are_noindex(
        client, one_engine_catalog, query, expected_canonical, expected_robots):
    response = client.get("/c/clothing/" + query)
    assert response.status_code == 200
    assert canonical(response) == "http://testserver" + expected_canonical
    assert robots(response) == expected_robots


def json_ld(response) -> list[dict]:
    html = response.content.decode()
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, flags=re.S)
    return [json.loads(block) for block in blocks]


def test_product_json_ld_is_valid_schema_org_and_survives_a_hostile_name(client, shop):
    product = shop["active"][0]
    product.name = HOSTILE
    product.description = "Soft <em>cotton</em>"
    product.rating_average, product.rating_count = Decimal("4.50"), 12
    product.save()
    response = client.get(product.get_absolute_url())
    html = response.content.decode()
    assert "<script>alert" not in html
    data = json_ld(response)
    assert sorted(validate_json_ld(d) for d in data) == ["BreadcrumbList", "Product"]
    item = next(d for d in data if d["@type"] == "Product")
    assert item["name"] == HOSTILE  # escaped in the page, the same text once parsed
    assert item["offers"]["price"] == "19.99" and item["offers"]["availability"] == "https://schema.org/InStock"
    assert item["aggregateRating"] == {"@type": "AggregateRating", "ratingValue": "4.50", "reviewCount": 12,
                                       "bestRating": 5, "worstRating": 1}
    trail = next(d for d in data if d["@type"] == "BreadcrumbList")["itemListElement"]
    assert [i["name"] for i in trail] == ["Home", "Clothing", "Tops", HOSTILE]
    assert trail[-1]["item"] == "http://testserver" + product.get_absolute_url()
    assert canonical(response) == "http://testserver" + product.get_absolute_url()


def test_an_unrated_out_of_stock_product_claims_no_rating(client, shop):
    product = shop["active"][1]
    Product.objects.filter(pk=product.pk).update(stock_quantity=0)
    item = next(d for d in json_ld(client.get(product.get_absolute_url())) if d["@type"] == "Product")
    validate_json_ld(item)
    assert "aggregateRating" not in item
    assert item["offers"]["availability"] == "https://schema.org/OutOfStock"


def test_category_pages_carry_a_valid_breadcrumb_list(client, one_engine_catalog):
    data = json_ld(client.get("/c/clothing/tops/t-shirts/"))
    assert [validate_json_ld(d) for d in data] == ["BreadcrumbList"]
    assert [i["name"] for i in data[0]["itemListElement"]] == ["Home", "Clothing", "Tops", "T-Shirts"]


def og(response) -> dict[str, str]:
    return dict(re.findall(r'<meta property="og:([a-z_:]+)" content="([^"]*)">', head_of(response)))


def test_open_graph_tags_describe_the_product_with_an_absolute_image(client, shop):
    product = shop["active"][2]
    product.images.create(url="https://cdn.example.com/tee.jpg", alt="Tee")
    tags = og(client.get(product.get_absolute_url()))
    assert tags["type"] == "product" and tags["title"] == product.name
    assert tags["url"] == "http://testserver" + product.get_absolute_url()
    assert tags["image"] == "https://cdn.example.com/tee.jpg"
    assert og(client.get("/"))["type"] == "website"


def test_the_shop_name_logo_and_footer_pages_come_from_the_admin(client, shop, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    admin_user = User.objects.create_superuser("root", "root@example.com", "pw-unused-here")
    client.force_login(admin_user)
    png = BytesIO()
    Image.new("RGB", (64, 64), (20, 90, 200)).save(png, "PNG")
    response = client.post(reverse("admin:store_shopsettings_change", args=[1]), {
        "name": "Harbour & Co", "tagline": "Good things <by the sea>",
        "logo": SimpleUploadedFile("logo.png", png.getvalue(), content_type="image/png")})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert ShopSettings.objects.get().name == "Harbour & Co"
    client.logout()

    home = client.get("/").content.decode()
    assert "<title>" in home and "· Harbour &amp; Co</title>" in home
    assert 'aria-label="Harbour &amp; Co, home"' in home
    assert "Good things &lt;by the sea&gt;" in home
    assert re.search(r'<img class="logo-mark" src="/media/shop/logo[^"]*\.png"', home)
    footer = home.split('<footer class="site-footer">')[1]
    for slug in ("shipping", "returns", "contact"):
        assert f'href="/pages/{slug}/"' in footer

    FooterPage.objects.filter(slug="returns").update(is_published=False)
    FooterPage.objects.get(slug="contact").save()  # a save forgets the cached footer
    assert 'href="/pages/returns/"' not in client.get("/").content.decode()
    assert client.get("/pages/returns/").status_code == 404
    page = client.get("/pages/shipping/")
    assert page.status_code == 200 and "<h1 id=\"page-title\">Shipping</h1>" in page.content.decode()
