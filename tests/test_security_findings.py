"""Security findings of issue 15, each with the test that failed before its fix: the login
limit keyed on the normalised user name, the admin's "view on site" restricted to what the
user may see, image URLs sanitised in the API and refused when saved, X-Forwarded-For
trusted from the configured proxies only, and is_superuser granted by superusers only."""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.templatetags.static import static
from django.test import RequestFactory

from ops.ratelimit import client_ip, login_name_key
from store.models import Brand, Category, Product, ProductImage, Vendor, image_url_is_safe
from store.roles import ADMINISTRATOR, VENDOR, assign_role
from store.templatetags.storefront import PLACEHOLDER_IMAGE, image_src
from tests.conftest import sync_index

ROOT = Path(__file__).resolve().parent.parent


def new_client_address() -> str:
    """A documentation-range IPv6 address of this test alone (the counters live in Redis)."""
    return f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"


def fullwidth(text: str) -> str:
    """The same name in fullwidth forms (ｖｉｃｔｉｍ): NFKC maps it back to ASCII."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


# --- The login limit counts the name Django signs in with -------------------------------------


@pytest.fixture
def login_limit(settings):
    settings.RATELIMIT_ENABLED = True
    settings.RATELIMIT_RULES = [{"name": "login", "prefixes": ["/accounts/login/"], "methods": ["POST"],
                                 "keys": ["ip", "username"], "rate": "3/300"}]
    return settings


def test_the_login_key_is_the_nfkc_casefolded_name():
    assert login_name_key(" Victim ") == login_name_key(fullwidth("victim")) == login_name_key("VICTIM") == "victim"
    assert login_name_key("") == ""


@pytest.mark.django_db
def test_a_unicode_variant_of_the_user_name_shares_its_login_limit(client, login_limit):
    victim = f"victim-{uuid.uuid4().hex[:8]}"  # of this run only: the counters outlive the transaction
    User.objects.create_user(victim, password="the-right-password-1")
    for attempt in range(3):  # from three addresses: only the per-name budget is spent
        response = client.post("/accounts/login/", {"login": victim, "password": f"guess-{attempt}"},
                               REMOTE_ADDR=new_client_address())
        assert response.status_code == 200
    variant = fullwidth(victim)
    assert variant != victim
    refused = client.post("/accounts/login/", {"login": variant, "password": "the-right-password-1"},
                          REMOTE_ADDR=new_client_address())
    assert refused.status_code == 429


@pytest.mark.django_db
def test_the_login_matches_names_case_insensitively_and_never_a_unicode_variant(client):
    """allauth matches the name without NFKC (Django's own form did, hence the limiter's
    normalised key, kept: it can only count more strictly); another case is the same name."""
    name = f"shopper-{uuid.uuid4().hex[:8]}"
    User.objects.create_user(name, password="the-right-password-1")
    response = client.post("/accounts/login/", {"login": fullwidth(name), "password": "the-right-password-1"})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    response = client.post("/accounts/login/", {"login": name.upper(), "password": "the-right-password-1"})
    assert response.status_code == 302 and "_auth_user_id" in client.session


# --- "View on site" in the admin --------------------------------------------------------------


@pytest.fixture
def shop():
    category = Category.objects.add_root(instance=Category(name="Shoes", slug="shoes"))
    brand = Brand.objects.create(name="Acme", slug="acme")
    vendor_a = Vendor.objects.create(name="Alpha Goods", slug="alpha")
    vendor_b = Vendor.objects.create(name="Bravo Goods", slug="bravo")

    def product(slug: str, vendor: Vendor, active: bool = True) -> Product:
        return Product.objects.create(name=slug, slug=slug, sku=slug.upper(), brand=brand, category=category,
                                      vendor=vendor, price=Decimal("10.00"), is_active=active)

    return {"a": product("alpha-runner", vendor_a), "a_hidden": product("alpha-secret", vendor_a, active=False),
            "b_hidden": product("bravo-secret", vendor_b, active=False), "b": product("bravo-boot", vendor_b),
            "vendor_a": vendor_a}


def view_on_site_url(obj) -> str:
    content_type = ContentType.objects.get_for_model(obj)
    return f"/{django_settings.ADMIN_URL}r/{content_type.pk}/{obj.pk}/"


@pytest.mark.django_db
def test_view_on_site_gives_a_vendor_only_its_own_products(client, shop):
    alice = User.objects.create_user("alice", password="unused-password")
    assign_role(alice, VENDOR)
    shop["vendor_a"].users.add(alice)
    client.force_login(alice)
    own = client.get(view_on_site_url(shop["a"]))
    assert own.status_code == 302 and own["Location"].endswith("/p/alpha-runner/")
    # Its own hidden product: it may see it in the admin, so the link works too.
    assert client.get(view_on_site_url(shop["a_hidden"])).status_code == 302
    # Another vendor's products, hidden or not: as if they did not exist.
    assert client.get(view_on_site_url(shop["b_hidden"])).status_code == 404
    assert client.get(view_on_site_url(shop["b"])).status_code == 404
    # Nonsense ids are a 404 too, never a 500.
    content_type = ContentType.objects.get_for_model(Product)
    assert client.get(f"/{django_settings.ADMIN_URL}r/{content_type.pk}/not-an-id/").status_code == 404
    assert client.get(f"/{django_settings.ADMIN_URL}r/999999/1/").status_code == 404


@pytest.mark.django_db
def test_view_on_site_still_serves_a_superuser_and_needs_a_staff_login(client, shop):
    assert client.get(view_on_site_url(shop["b_hidden"])).status_code == 302  # to the admin login
    assert "/login/" in client.get(view_on_site_url(shop["b_hidden"]))["Location"]
    client.force_login(User.objects.create_superuser("root", password="unused-password"))
    response = client.get(view_on_site_url(shop["b_hidden"]))
    assert response.status_code == 302 and response["Location"].endswith("/p/bravo-secret/")


# --- Image URLs -------------------------------------------------------------------------------

HOSTILE_URLS = ["javascript:alert(1)", " JavaScript:alert(1)", "data:text/html;base64,PHNjcmlwdD4=",
                "vbscript:msgbox(1)", "//evil.example/x.png",
                # a browser reads a backslash as a slash and drops tabs: both are //evil.example
                "/\\evil.example/x.png", "\\\\evil.example/x.png", "/\t/evil.example/x.png"]
BENIGN_URLS = ["https://cdn.example/x.png", "http://cdn.example/x.png", "/media/x.png", "img/products/shoe.png"]


@pytest.mark.parametrize("url", HOSTILE_URLS + BENIGN_URLS)
def test_the_saved_rule_is_the_pages_rule(url):
    assert image_url_is_safe(url) == (image_src(url) != static(PLACEHOLDER_IMAGE))


@pytest.mark.django_db
@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_a_hostile_image_url_is_refused_when_saved(shop, url):
    image = ProductImage(product=shop["a"], url=url)
    with pytest.raises(ValidationError) as refused:
        image.full_clean()
    assert "url" in refused.value.message_dict


@pytest.mark.django_db
@pytest.mark.parametrize("url", BENIGN_URLS)
def test_a_usual_image_url_is_accepted(shop, url):
    ProductImage(product=shop["a"], url=url).full_clean()


@pytest.mark.django_db
def test_the_admin_refuses_a_javascript_image_url(client, shop):
    client.force_login(User.objects.create_superuser("root", password="unused-password"))
    product = shop["a"]
    data = {
        "name": product.name, "slug": product.slug, "sku": product.sku, "description": "",
        "brand": product.brand_id, "category": product.category_id, "vendor": product.vendor_id,
        "price": "10.00", "currency": "USD", "compare_at_price": "", "stock_quantity": "0", "is_active": "on",
        "attributes": "{}", "images-TOTAL_FORMS": "1", "images-INITIAL_FORMS": "0", "images-MIN_NUM_FORMS": "0",
        "images-MAX_NUM_FORMS": "1000", "images-0-url": "javascript:alert(1)", "images-0-alt": "x",
        "images-0-position": "0",
    }
    response = client.post(f"/{django_settings.ADMIN_URL}store/product/{product.pk}/change/", data)
    assert response.status_code == 200  # the form again, with the error
    assert "javascript:, data: and //host addresses are refused" in response.content.decode()
    assert not ProductImage.objects.filter(product=product).exists()


@pytest.mark.django_db
def test_the_api_gives_the_placeholder_for_a_javascript_image(client, one_engine_catalog):
    product = next(iter(one_engine_catalog.products.values()))
    ProductImage.objects.create(product=product, url="javascript:alert(1)", position=0)  # as an old row
    product.save()  # the document follows
    sync_index()
    hits = client.get("/api/search", {"q": product.name}).json()["hits"]
    hit = next(h for h in hits if h["id"] == product.pk)
    assert hit["image"] == static(PLACEHOLDER_IMAGE)
    assert "javascript:" not in client.get("/api/autocomplete", {"q": product.name[:6]}).content.decode()


# --- X-Forwarded-For from the configured proxies only -----------------------------------------


def forwarded_request(peer: str, forwarded: str):
    return RequestFactory().get("/api/search", REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=forwarded)


def test_a_private_peer_is_not_a_proxy_unless_configured():
    # The default: loopback only. A peer on a private network speaks for itself.
    assert client_ip(forwarded_request("10.0.0.5", "203.0.113.9")) == "10.0.0.5"
    assert client_ip(forwarded_request("192.168.1.20", "203.0.113.9")) == "192.168.1.20"
    assert client_ip(forwarded_request("127.0.0.1", "203.0.113.9")) == "203.0.113.9"


def test_the_configured_proxy_alone_names_the_client(settings):
    settings.TRUSTED_PROXIES = ["172.30.0.10"]
    assert client_ip(forwarded_request("172.30.0.10", "198.51.100.1, 203.0.113.9")) == "203.0.113.9"
    assert client_ip(forwarded_request("172.30.0.11", "203.0.113.9")) == "172.30.0.11"


@pytest.mark.django_db
def test_rotating_x_forwarded_for_from_a_private_peer_does_not_escape_the_limit(client, settings, tantivy_backend):
    settings.RATELIMIT_ENABLED = True
    settings.RATELIMIT_RULES = [{"name": "search", "prefixes": ["/api/search"], "rate": "3/60"}]
    peer = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    statuses = [client.get("/api/search", REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=f"198.51.100.{i}").status_code
                for i in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_the_deployment_trusts_nginx_at_its_fixed_address():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    nginx_address = compose["services"]["nginx"]["networks"]["default"]["ipv4_address"]
    assert compose["services"]["web"]["environment"]["TRUSTED_PROXIES"] == nginx_address
    assert "TRUSTED_PROXIES" not in compose["x-app"]["environment"]  # the web tier's setting alone


# --- is_superuser is a superuser's to grant --------------------------------------------------


def user_change_data(user: User, **overrides: str) -> dict:
    data = {
        "username": user.username, "first_name": "", "last_name": "", "email": "", "is_active": "on",
        "is_staff": "on", "date_joined_0": "2024-01-01", "date_joined_1": "00:00:00",
        "initial-date_joined_0": "2024-01-01", "initial-date_joined_1": "00:00:00",
        "last_login_0": "", "last_login_1": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def administrator_client(client):
    administrator = User.objects.create_user("admin-role", password="unused-password")
    assign_role(administrator, ADMINISTRATOR)
    client.force_login(administrator)
    client.administrator = administrator
    return client


def user_change_url(user: User) -> str:
    return f"/{django_settings.ADMIN_URL}auth/user/{user.pk}/change/"


@pytest.mark.django_db
def test_the_administrator_role_cannot_grant_superuser(administrator_client):
    clerk = User.objects.create_user("clerk", password="unused-password")
    page = administrator_client.get(user_change_url(clerk)).content.decode()
    assert 'name="is_superuser"' not in page  # read-only for it
    response = administrator_client.post(user_change_url(clerk), user_change_data(clerk, is_superuser="on"))
    assert response.status_code == 302  # saved, without the forged field
    clerk.refresh_from_db()
    assert clerk.is_staff and not clerk.is_superuser
    # Nor to itself.
    me = administrator_client.administrator
    administrator_client.post(user_change_url(me), user_change_data(me, is_superuser="on"))
    me.refresh_from_db()
    assert not me.is_superuser


@pytest.mark.django_db
def test_the_administrator_role_cannot_change_a_superuser(administrator_client):
    root = User.objects.create_superuser("root", password="unused-password")
    assert administrator_client.get(user_change_url(root)).status_code == 200  # may look
    response = administrator_client.post(user_change_url(root), user_change_data(root, email="x@example.com"))
    assert response.status_code == 403
    password_url = f"/{django_settings.ADMIN_URL}auth/user/{root.pk}/password/"
    assert administrator_client.post(password_url, {"password1": "taken-over-1", "password2": "taken-over-1"},
                                     ).status_code == 403
    root.refresh_from_db()
    assert root.is_superuser and root.email == "" and root.check_password("unused-password")


@pytest.mark.django_db
def test_a_superuser_still_grants_superuser(client):
    client.force_login(User.objects.create_superuser("root", password="unused-password"))
    clerk = User.objects.create_user("clerk", password="unused-password")
    assert client.post(user_change_url(clerk), user_change_data(clerk, is_superuser="on")).status_code == 302
    clerk.refresh_from_db()
    assert clerk.is_superuser
