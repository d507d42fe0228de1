"""Product images: uploaded in the admin (a vendor for its own products only), stored through
Django's storage API with thumbnails in several sizes, shown with srcset, sizes and lazy
loading on cards and the product page; demo pictures per product type and colour."""

from __future__ import annotations

import re
from decimal import Decimal
from io import BytesIO
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import User
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from store.demo.images import DemoImages, demo_image_name
from store.images import WIDTHS, image_srcset, image_url, make_thumbnails
from store.models import Brand, Category, Product, ProductImage, Vendor
from store.roles import VENDOR, assign_role
from tests.conftest import restore_roles
from tests.test_admin_roles import product_post_data

pytestmark = pytest.mark.django_db(transaction=True)  # thumbnails are written on commit


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def jpeg(width: int = 900, height: int = 600, color=(200, 30, 40)) -> bytes:
    out = BytesIO()
    Image.new("RGB", (width, height), color).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def catalog():
    category = Category.objects.add_root(instance=Category(name="Shoes", slug="shoes"))
    brand = Brand.objects.create(name="Acme", slug="acme")
    alpha, bravo = Vendor.objects.create(name="Alpha", slug="alpha"), Vendor.objects.create(name="Bravo", slug="bravo")

    def product(sku: str, vendor: Vendor) -> Product:
        return Product.objects.create(name=f"Runner {sku}", slug=sku.lower(), sku=sku, brand=brand, category=category,
                                      vendor=vendor, price=Decimal("10.00"), stock_quantity=3)

    return {"category": category, "brand": brand, "alpha": alpha, "bravo": bravo,
            "mine": product("A-1", alpha), "theirs": product("B-1", bravo)}


@pytest.fixture
def vendor_client(client, catalog):
    restore_roles()  # a transactional test's flush removed the role groups
    user = User.objects.create_user("alice", password="unused-password")
    assign_role(user, VENDOR)
    catalog["alpha"].users.add(user)
    client.force_login(user)
    return client


def change_data(product: Product, catalog, upload) -> dict:
    """The product's change form with one new image in its inline."""
    return product_post_data(
        SimpleNamespace(brand=catalog["brand"], category=catalog["category"]),
        name=product.name, slug=product.slug, sku=product.sku,
        **{"images-TOTAL_FORMS": "1", "images-0-image": upload, "images-0-url": "", "images-0-alt": "Side view",
           "images-0-position": "0"})


def thumbnail_sizes(source: str) -> list[tuple[int, int]]:
    sizes = []
    for width in WIDTHS:
        name = image_url(source, width).removeprefix("/media/")
        with default_storage.open(name) as stored:
            sizes.append(Image.open(stored).size)
    return sizes


def test_a_vendor_uploads_an_image_of_its_own_product_and_gets_square_thumbnails(vendor_client, catalog, client):
    product = catalog["mine"]
    upload = SimpleUploadedFile("runner.jpg", jpeg(), content_type="image/jpeg")
    response = vendor_client.post(reverse("admin:store_product_change", args=[product.pk]),
                                  change_data(product, catalog, upload))
    assert response.status_code == 302, response.content.decode()[:3000]
    image = ProductImage.objects.get(product=product)
    assert image.image.name.startswith("products/") and default_storage.exists(image.image.name)
    assert thumbnail_sizes(image.source) == [(w, w) for w in WIDTHS]

    html = client.get(product.get_absolute_url()).content.decode()
    tag = re.search(r'<img src="(/media/thumbnails/[^"]+)" srcset="([^"]+)" sizes="([^"]+)"', html)
    assert tag, html
    assert [part.rsplit(" ", 1)[1] for part in tag.group(2).split(", ")] == [f"{w}w" for w in WIDTHS]
    for part in tag.group(2).split(", "):
        assert client.get(part.rsplit(" ", 1)[0]).status_code == 200  # served from the storage


def test_a_vendor_cannot_add_an_image_to_another_vendors_product(vendor_client, catalog):
    product = catalog["theirs"]
    upload = SimpleUploadedFile("runner.jpg", jpeg(), content_type="image/jpeg")
    response = vendor_client.post(reverse("admin:store_product_change", args=[product.pk]),
                                  change_data(product, catalog, upload))
    assert response.status_code in (302, 403, 404)
    assert not ProductImage.objects.filter(product=product).exists()


def test_a_file_that_is_not_an_image_is_a_form_error(vendor_client, catalog):
    product = catalog["mine"]
    upload = SimpleUploadedFile("runner.jpg", b"<script>alert(1)</script>", content_type="image/jpeg")
    response = vendor_client.post(reverse("admin:store_product_change", args=[product.pk]),
                                  change_data(product, catalog, upload))
    assert response.status_code == 200
    assert "Upload a valid image" in response.content.decode()
    assert not ProductImage.objects.filter(product=product).exists()


def test_cards_in_listings_carry_srcset_and_lazy_loading(catalog):
    name = default_storage.save("products/card.jpg", SimpleUploadedFile("card.jpg", jpeg()))
    make_thumbnails(name)
    srcset = image_srcset(f"media:{name}")
    assert srcset.count("w, ") == len(WIDTHS) - 1
    from django.template.loader import render_to_string

    from store.selectors import ProductCard

    card = ProductCard(id=1, name="Runner", slug="runner", sku="R", brand="Acme", price=Decimal("1"), currency="USD",
                       compare_at_price=None, in_stock=True, rating=0, rating_count=0, image_url=f"media:{name}")
    html = render_to_string("store/_product_card.html", {"hit": card})
    assert f'srcset="{srcset}"' in html and 'loading="lazy"' in html and 'sizes="' in html
    # An address keeps its one size; a hostile one is the placeholder.
    assert "srcset" not in render_to_string("store/_product_card.html", {"hit": ProductCard(
        **{**card.__dict__, "image_url": "javascript:alert(1)"})})


def test_demo_pictures_are_one_per_type_and_colour_and_drawn_once():
    pictures = DemoImages()
    first = pictures.source("Headphones", "Black")
    assert first == demo_image_name("Headphones", "Black") == pictures.source("Headphones", "Black")
    assert pictures.source("Headphones", "Silver") != first
    assert pictures.source("Novels", None) == "demo/novels.jpg"
    assert pictures.drawn == 3
    with default_storage.open(first) as stored:
        black = Image.open(stored).convert("RGB").getpixel((320, 160))
    with default_storage.open(pictures.source("Headphones", "Silver")) as stored:
        silver = Image.open(stored).convert("RGB").getpixel((320, 160))
    assert sum(black) < 150 < sum(silver)  # the swatch is the product's colour
    again = DemoImages()
    again.source("Headphones", "Black")
    assert again.drawn == 0  # an earlier seeding's picture is reused
    assert thumbnail_sizes(f"media:{first}") == [(w, w) for w in WIDTHS]
