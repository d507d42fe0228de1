"""Caching in Redis: what is cached, that a change of the underlying data is shown at once
(explicit invalidation), and that the cart never shows a cached price."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from indexing.models import ReindexRun
from search.documents import documents_for
from store.caching import forget_category_menu, listing_generation
from store.models import AttributeDefinition, Category, Product, Review
from tests.catalog import build_catalog
from tests.conftest import sync_index

ROOT = Path(__file__).resolve().parent.parent
TEES = "/c/clothing/tops/t-shirts/"

pytestmark = pytest.mark.django_db


def queries_on(table: str, context: CaptureQueriesContext) -> int:
    return sum(f'FROM "{table}"' in q["sql"] for q in context.captured_queries)


def get(client, url: str, **params) -> tuple[str, CaptureQueriesContext]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode(), queries


def index_behind_the_cache(backend, product: Product) -> None:
    """Write a product's document straight to the engine, as if the index changed while
    nothing told the caches (the outbox drain is what tells them)."""
    documents, _ = documents_for({product.pk})
    backend.index_documents(documents)
    backend.refresh()


@pytest.fixture
def listing_cache(settings):
    settings.LISTING_CACHE_SECONDS = 300
    settings.AUTOCOMPLETE_CACHE_SECONDS = 60
    settings.SEARCH_CACHE_REFRESH_GRACE_SECONDS = 0  # both engines are refreshed by sync_index
    return settings


@pytest.fixture
def menu_cache(settings):
    """On for this test (off in the test settings: a rolled-back test would leave its menu behind)."""
    settings.CATEGORY_MENU_CACHE_SECONDS = 600
    forget_category_menu()
    yield settings
    forget_category_menu()


# --- The category menu -------------------------------------------------------------------------------


def test_the_category_menu_is_cached_until_a_category_changes(client, menu_cache, tantivy_backend):
    catalog = build_catalog()
    html, queries = get(client, "/")
    assert "Electronics" in html and queries_on("store_category", queries) >= 1
    html, queries = get(client, "/")
    assert "Electronics" in html and queries_on("store_category", queries) == 0  # from the cache

    electronics = catalog.categories["electronics"]
    electronics.name = "Gadgets"
    electronics.save()
    html, _ = get(client, "/")
    assert "Gadgets" in html and ">Electronics<" not in html

    # treebeard moves subtrees with queryset updates (no post_save): its own signal invalidates.
    phones = Category.objects.get(pk=catalog.categories["electronics/phones"].pk)
    Category.objects.move(phones, Category.objects.get(pk=catalog.categories["clothing"].pk), "sorted-child")
    html, _ = get(client, "/")
    clothing_menu = html[html.index(">Clothing<"):html.index(">Gadgets<")]
    assert ">Phones<" in clothing_menu

    garden = Category.objects.add_root({"name": "Garden", "slug": "garden"})
    assert ">Garden<" in get(client, "/")[0]
    Category.objects.filter(pk=garden.pk).delete()  # treebeard's queryset delete
    assert ">Garden<" not in get(client, "/")[0]


# --- Home page best sellers ----------------------------------------------------------------------------


def test_home_best_sellers_follow_the_index_generation(client, settings, tantivy_backend):
    settings.HOME_FEATURED_CACHE_SECONDS = 300
    catalog = build_catalog()
    sync_index()
    html, queries = get(client, "/")
    assert "Smartphone 128GB" in html and queries_on("store_product", queries) >= 1
    html, queries = get(client, "/")
    assert queries_on("store_product", queries) == 0

    phone = catalog.products["phone"]
    phone.name = "Smartphone 256GB"
    phone.save()
    sync_index()  # the drain bumps the generation
    html, _ = get(client, "/")
    assert "Smartphone 256GB" in html


# --- Product page fragments -----------------------------------------------------------------------------


def test_product_page_fragments_are_cached_and_follow_every_change(client, tantivy_backend):
    catalog = build_catalog()
    crew = catalog.products["crew"]
    author = User.objects.create_user("reader", password="unused-password")
    html, cold = get(client, "/p/crew/")
    assert "A fine product from Acme" in html and "Color" in html
    html, warm = get(client, "/p/crew/")
    assert "A fine product from Acme" in html and "Color" in html  # the fragments, from the cache
    assert queries_on("store_attributedefinition", cold) == 1
    assert queries_on("store_attributedefinition", warm) == 0
    assert queries_on("store_review", cold) >= 1 and queries_on("store_review", warm) == 0

    crew.description = "Now in recycled cotton."
    crew.save()
    assert "Now in recycled cotton." in get(client, "/p/crew/")[0]

    review = Review.objects.create(product=crew, author=author, rating=5, title="Lovely tee", body="Soft.")
    assert "Lovely tee" not in get(client, "/p/crew/")[0]  # pending moderation
    review.status = Review.Status.APPROVED
    review.save()  # refreshes the rating: updated_at moves
    assert "Lovely tee" in get(client, "/p/crew/")[0]

    definition = AttributeDefinition.objects.get(category=catalog.categories["clothing"], code="color")
    definition.label = "Colourway"
    definition.save()
    assert "Colourway" in get(client, "/p/crew/")[0]


def test_the_product_page_price_is_never_stale(client, tantivy_backend):
    catalog = build_catalog()
    assert "19.99" in get(client, "/p/crew/")[0]
    Product.objects.filter(pk=catalog.products["crew"].pk).update(price=Decimal("17.25"))
    html, _ = get(client, "/p/crew/")
    assert "17.25" in html and "19.99" not in html


# --- Category landing pages (facet counts) ------------------------------------------------------------


def test_category_landing_pages_are_cached_until_the_outbox_drain(client, listing_cache, tantivy_backend):
    listing_cache.SEARCH_CACHE_STALE_SECONDS = 0  # a price change invalidates at once, as any other
    catalog = build_catalog()
    crew = catalog.products["crew"]
    sync_index()
    first, _ = get(client, TEES)
    assert "19.99" in first

    Product.objects.filter(pk=crew.pk).update(price=Decimal("11.11"))
    index_behind_the_cache(tantivy_backend, Product.objects.get(pk=crew.pk))
    cached, _ = get(client, TEES)
    assert "19.99" in cached and "11.11" not in cached  # the cached listing, facets and all
    filtered, _ = get(client, TEES, brand="acme")
    assert "11.11" in filtered  # a listing not asked for before comes from the engine

    sync_index()  # the real path: the drain writes the batch and bumps the generation
    fresh, _ = get(client, TEES)
    assert "11.11" in fresh and "19.99" not in fresh


def test_only_landing_pages_keep_their_rendered_html(listing_cache, tantivy_backend):
    from search.query.request import SearchRequest
    from search.result_cache import browse_fragment_key

    landing = SearchRequest(category="clothing")
    assert browse_fragment_key(landing, {}) is not None
    second_page = SearchRequest(category="clothing", sort="price_asc", page=2)
    assert browse_fragment_key(second_page, {"sort": ["price_asc"], "page": ["2"]})
    assert browse_fragment_key(landing, {"utm_source": ["mail"]}) is None  # its links would keep it
    filtered = SearchRequest(category="clothing", selected={"brand": ("acme",)})
    assert browse_fragment_key(filtered, {"brand": ["acme"]}) is None
    assert browse_fragment_key(SearchRequest(text="tee", category="clothing"), {"q": ["tee"]}) is None


def test_the_cart_reads_the_database_while_listings_are_cached(client, listing_cache, tantivy_backend):
    catalog = build_catalog()
    crew = catalog.products["crew"]
    sync_index()
    assert "19.99" in get(client, TEES)[0]  # now cached
    response = client.post("/cart/add/", {"product": crew.pk, "quantity": 1})
    assert response.status_code == 302
    Product.objects.filter(pk=crew.pk).update(price=Decimal("23.45"))  # not drained yet
    assert "19.99" in get(client, TEES)[0]  # the listing may lag until the drain…
    cart, _ = get(client, "/cart/")
    assert "23.45" in cart and "19.99" not in cart  # …the cart never does


def test_a_finished_reindex_makes_cached_listings_stale(listing_cache, tantivy_backend):
    from indexing.reindex import run_reindex

    build_catalog()
    before = listing_generation()
    outcome = run_reindex()
    assert outcome.run.status == ReindexRun.Status.SUCCEEDED
    assert listing_generation() > before


# --- Autocomplete ----------------------------------------------------------------------------------------


def test_short_prefixes_are_cached_until_the_index_changes(client, listing_cache, tantivy_backend):
    catalog = build_catalog()
    crew = catalog.products["crew"]
    sync_index()

    def names(q: str) -> list[str]:
        response = client.get("/api/autocomplete", {"q": q})
        assert response.status_code == 200
        return [p["name"] for p in response.json()["products"]]

    assert "Organic Cotton Crew Neck T-Shirt" in names("Orga")
    Product.objects.filter(pk=crew.pk).update(name="Organic Cotton Crew Neck Tee Deluxe")
    index_behind_the_cache(tantivy_backend, Product.objects.get(pk=crew.pk))
    assert "Organic Cotton Crew Neck T-Shirt" in names("Orga")  # a popular prefix: cached
    assert "Organic Cotton Crew Neck Tee Deluxe" in names("Organic Cotton Crew")  # long: not cached
    sync_index()
    assert "Organic Cotton Crew Neck Tee Deluxe" in names("Orga")


# --- Sessions ----------------------------------------------------------------------------------------------


def test_sessions_are_kept_in_redis_and_written_through(client, settings):
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db"
    User.objects.create_user("sessions", password="a-long-password-1")
    login = client.post("/accounts/login/", {"login": "sessions", "password": "a-long-password-1"})
    assert login.status_code == 302
    session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    from django.contrib.sessions.backends.cached_db import KEY_PREFIX
    from django.contrib.sessions.models import Session

    assert cache.get(KEY_PREFIX + session_key) is not None
    assert Session.objects.filter(session_key=session_key).exists()


# --- Settings: cache off, CDN ----------------------------------------------------------------------------


PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.templatetags.static import static
print(json.dumps({
    "default": settings.CACHES["default"]["BACKEND"], "ratelimit": settings.CACHES["ratelimit"]["BACKEND"],
    "sessions": settings.SESSION_ENGINE, "static_url": settings.STATIC_URL,
    "site_css": static("css/site.css") if settings.STATIC_URL.startswith("https") else None,
    "script_src": settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["script-src"],
}, default=str))
"""


def probe(tmp_path: Path, module: str, **env_vars: str) -> dict:
    skipped = ("DATABASE_URL", "SECRET_KEY", "DEBUG", "STATIC_CDN_URL")
    env = {k: v for k, v in os.environ.items() if k not in skipped}
    env.update(DJANGO_SETTINGS_MODULE=module, VAR_DIR=str(tmp_path / "var"), REDIS_URL="redis://127.0.0.1:6379/15",
               **env_vars)
    if module == "config.settings_production":
        env["SECRET_KEY"] = "k" * 50
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_cache_disabled_keeps_nothing_but_still_limits_and_keeps_sessions(tmp_path):
    settings = probe(tmp_path, "config.settings", CACHE_DISABLED="1")
    assert settings["default"] == "ops.cache.InstrumentedDummyCache"
    assert settings["ratelimit"] == "ops.cache.InstrumentedRedisCache"  # fails open like the cache
    assert settings["sessions"] == "django.contrib.sessions.backends.cached_db"  # falls back to the database


def test_static_cdn_url_serves_hashed_names_from_the_cdn(tmp_path):
    static_root = tmp_path / "static"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DEBUG")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings_production", SECRET_KEY="k" * 50,
               VAR_DIR=str(tmp_path / "var"), STATIC_ROOT=str(static_root))
    collected = subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput"], cwd=ROOT, env=env,
                               capture_output=True, text=True, timeout=120)
    assert collected.returncode == 0, collected.stderr
    settings = probe(tmp_path, "config.settings_production", STATIC_ROOT=str(static_root),
                     STATIC_CDN_URL="https://cdn.example.com/static")
    assert settings["static_url"] == "https://cdn.example.com/static/"
    assert re.fullmatch(r"https://cdn\.example\.com/static/css/site\.[0-9a-f]{12}\.css", settings["site_css"])
    assert "https://cdn.example.com" in settings["script_src"]  # the policy allows the CDN's scripts


def test_query_results_are_cached_until_the_index_or_the_rules_change(listing_cache, tantivy_backend):
    from search.merchandising.models import SynonymSet
    from search.query.request import SearchRequest
    from search.services import search_products

    listing_cache.SEARCH_RESULTS_CACHE_SECONDS = 60
    listing_cache.SEARCH_CACHE_STALE_SECONDS = 0  # a price change invalidates at once, as any other
    catalog = build_catalog()
    sync_index()
    request = SearchRequest(text="merino sweater", selected={"availability": True})
    assert search_products(request).hits[0].price == Decimal("89.00")

    merino = catalog.products["merino"]
    Product.objects.filter(pk=merino.pk).update(price=Decimal("66.00"))
    index_behind_the_cache(tantivy_backend, Product.objects.get(pk=merino.pk))
    assert search_products(request).hits[0].price == Decimal("89.00")  # the head query, from the cache
    assert search_products(SearchRequest(text="merino sweater")).hits[0].price == Decimal("66.00")  # other key

    SynonymSet.objects.create(terms="jumper, sweater")  # a rule change makes cached results stale
    assert search_products(request).hits[0].price == Decimal("66.00")
    Product.objects.filter(pk=merino.pk).update(price=Decimal("55.00"))
    index_behind_the_cache(tantivy_backend, Product.objects.get(pk=merino.pk))
    sync_index()  # the drain bumps the generation: fresh results
    assert search_products(request).hits[0].price == Decimal("55.00")
    # page 4 and beyond are never cached
    assert search_products(SearchRequest(text="merino", page=4, page_size=1)).hits == []


def test_orders_do_not_empty_the_results_cache_and_show_within_the_staleness_bound(listing_cache,
                                                                                     tantivy_backend):
    from django.db.models import F

    from search.query.request import SearchRequest
    from search.services import search_products

    listing_cache.SEARCH_RESULTS_CACHE_SECONDS = 60
    listing_cache.SEARCH_CACHE_STALE_SECONDS = 2
    catalog = build_catalog()
    sync_index()
    merino, crew = catalog.products["merino"], catalog.products["crew"]
    sweaters, tees = SearchRequest(text="merino sweater"), SearchRequest(text="t-shirt")
    assert search_products(sweaters).hits[0].in_stock
    assert crew.pk in {h.id for h in search_products(tees).hits}
    generation = listing_generation()

    # What an order writes (checkout.orders): stock and units sold, drained into the index.
    Product.objects.filter(pk=merino.pk).update(stock_quantity=0, sales_count=F("sales_count") + 7)
    sync_index()
    assert tantivy_backend.get_document(merino.pk)["in_stock"] is False  # the index has it...
    assert listing_generation() == generation  # ...and no cached listing was invalidated
    assert search_products(sweaters).hits[0].in_stock  # served from the cache, within the bound
    Product.objects.filter(pk=crew.pk).update(name="Renamed Crew Neck T-Shirt")
    index_behind_the_cache(tantivy_backend, Product.objects.get(pk=crew.pk))
    assert "Renamed Crew Neck T-Shirt" not in names(search_products(tees))  # the other page too

    time.sleep(2.2)  # past SEARCH_CACHE_STALE_SECONDS: the entries made before the order are gone
    assert not search_products(sweaters).hits[0].in_stock
    # An entry made after the order lives its whole TTL while no other such change comes.
    Product.objects.filter(pk=merino.pk).update(name="Merino Wool Sweater Renamed")
    index_behind_the_cache(tantivy_backend, Product.objects.get(pk=merino.pk))
    assert names(search_products(sweaters))[0] == "Merino Wool Sweater"

    # Any other change (a name, through the outbox) invalidates every listing at once.
    sync_index()
    assert listing_generation() > generation
    assert names(search_products(sweaters))[0] == "Merino Wool Sweater Renamed"
    assert "Renamed Crew Neck T-Shirt" in names(search_products(tees))


def names(result) -> list[str]:
    return [h.name for h in result.hits]
