"""The search page, its reactive component, the suggestions dropdown and the JSON
search API: how they present what the engine found. That does not depend on the engine, so
these run once, on the embedded one; what each engine finds is tests/test_search_behaviour.py's."""

from __future__ import annotations

import json
import re
import time
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_unicorn.call_method_parser import parse_call_method_name
from lxml import html as lxml_html

from search.templatetags.search_listing import action_arg
from store.models import Product
from tests.conftest import engine_config, sync_index

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
BREAKER = '"><script>alert(1)</script>'
# The minimum ("id", "name", "url", "price", "currency", "rating", "in_stock", "image",
# "highlight") and what a listing shows besides.
HIT_KEYS = {"id", "name", "url", "price", "currency", "rating", "in_stock", "image", "highlight",
            "slug", "sku", "brand", "compare_at_price", "rating_count", "pinned", "click_url", "price_display"}


@pytest.fixture
def catalog(one_engine_catalog):
    return one_engine_catalog


@pytest.fixture(autouse=True)
def own_cache_keys(settings):
    """The test Redis database is shared with concurrent runs, and the facet labels and
    unicorn's components are cached under fixed or guessable keys: keep ours apart."""
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"t-{uuid.uuid4().hex[:8]}"}}


def visible(**filters):
    return Product.objects.visible().filter(**filters)


def listing(response):
    return response.context["listing"]


def group(response, name: str):
    return next(g for g in listing(response).groups if g.name == name)


def counts(response, name: str) -> dict[str, int]:
    return {o.value: o.count for o in group(response, name).options}


def hit_names(response) -> list[str]:
    return [h.name for h in listing(response).result.hits]


def search(client, **params):
    return client.get(reverse("search"), params)


# ---- The page, served from GET parameters (works without JavaScript) -----------------


def test_search_page_shows_hits_and_facets_with_counts(client, catalog):
    response = search(client, q="headphones")

    assert response.status_code == 200
    html = response.content.decode()
    assert set(hit_names(response)) >= {"Wireless Noise Cancelling Headphones", "Studio Monitor Headphones"}
    assert 'href="/p/anc/"' in html
    assert "<mark>Headphones</mark>" in html
    assert f"{listing(response).result.total} products for “headphones”" in html
    # Facets: category tree, brand checkboxes, price, rating, availability, in a GET form.
    shown = {g.name for g in listing(response).groups}
    assert {"category", "brand", "price", "rating", "availability"} <= shown
    assert '<form class="facets" method="get" action="/search"' in html
    assert 'type="checkbox" name="brand" value="sonix"' in html
    assert "Apply filters" in html


def test_brand_counts_match_the_database(client, catalog):
    response = search(client, category="clothing")

    brand_counts = counts(response, "brand")
    for slug in ("acme", "zephyr", "nordic"):
        in_db = visible(category__slug_path__startswith="clothing", brand__slug=slug).count()
        assert brand_counts[slug] == in_db
    assert "sonix" not in brand_counts
    # Drill-down: the selected category, then its children with their counts.
    tree = {o.value: o for o in group(response, "category").options}
    assert tree["clothing"].current
    assert tree["clothing/tops"].count == visible(category__slug_path__startswith="clothing/tops/").count()
    assert tree["clothing/tops"].href == "/search?category=clothing%2Ftops"


def test_selecting_a_brand_narrows_the_hits_and_keeps_the_other_brands_counts(client, catalog):
    before = counts(search(client, category="clothing"), "brand")

    response = search(client, category="clothing", brand="acme")

    assert response.status_code == 200
    assert set(hit_names(response)) == {p.name for p in visible(category__slug_path__startswith="clothing",
                                                                brand__slug="acme")}
    after = counts(response, "brand")
    assert after == before  # disjunctive: a second brand can still be ticked
    html = response.content.decode()
    assert 'name="brand" value="acme" checked' in html
    assert 'name="brand" value="zephyr" unicorn:change' in html  # offered, not ticked
    # The chip removes the brand and keeps the rest; "Clear all" keeps only the text and sort.
    chips = {c.label: c.href for c in listing(response).chips}
    assert chips["Acme"] == "/search?category=clothing"
    assert listing(response).clear_href == "/search"
    # The filter form carries what it has no input for.
    assert '<input type="hidden" name="category" value="clothing">' in html


def test_two_brands_and_more_filters_through_get(client, catalog):
    response = search(client, brand=["acme", "zephyr"], in_stock="1", price_max="100", rating="4")

    expected = visible(brand__slug__in=["acme", "zephyr"], stock_quantity__gt=0, price__lte=100,
                       rating_average__gte=4)
    assert set(hit_names(response)) == {p.name for p in expected}
    labels = [c.label for c in listing(response).chips]
    assert labels == ["Acme", "Zephyr", "Up to $100.00", "4★ & up", "In stock only"]


def test_sort_parameter_orders_the_hits(client, catalog):
    tops = visible(category__slug_path__startswith="clothing/tops/")

    cheapest = search(client, category="clothing/tops", sort="price_asc")
    dearest = search(client, category="clothing/tops", sort="price_desc")

    assert hit_names(cheapest) == [p.name for p in tops.order_by("price", "pk")]
    assert hit_names(dearest) == [p.name for p in tops.order_by("-price", "pk")]
    assert '<option value="price_desc" selected>' in dearest.content.decode()


def test_pages_keep_the_other_parameters(client, catalog):
    response = search(client, q="shirt", sort="price_asc", page_size="2")

    html = response.content.decode()
    assert listing(response).result.num_pages > 1
    assert "/search?q=shirt&amp;sort=price_asc&amp;page_size=2&amp;page=2" in html

    second = search(client, q="shirt", sort="price_asc", page_size="2", page="2")
    assert second.status_code == 200
    assert set(hit_names(second)).isdisjoint(hit_names(response))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"price_min": "cheap"}, "The minimum price must be a number."),
        ({"price_min": "50", "price_max": "10"}, "The minimum price is above the maximum price."),
        ({"sort": "cheapest"}, "Sort must be one of"),
    ],
)
def test_invalid_parameters_are_400_with_the_message(client, catalog, params, message):
    response = search(client, **params)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert listing(response).result is None


def test_a_page_past_the_end_says_there_are_no_more_products(client, catalog):
    response = search(client, q="tee", page="9999")
    assert response.status_code == 200
    html = response.content.decode()
    assert "There are no more products here." in html and listing(response).result.hits == []
    assert '<a href="/search?q=tee"' in html  # back to the first page, not to page 9999
    assert listing(response).groups  # the first page's facets to go on from


def test_a_page_beyond_the_browsable_window_of_a_large_result_is_400(client, catalog, monkeypatch):
    monkeypatch.setattr("search.query.request.MAX_RESULT_WINDOW", 4)
    response = search(client, page_size="2", page="3")  # 6 > 4, and the catalog has more than 3 pages of 2
    assert response.status_code == 400
    assert "Only the first 4 results can be browsed" in response.content.decode()


def test_zero_results_offer_the_filters_to_remove_with_their_counts_and_popular_products(client, catalog):
    response = client.get("/c/clothing/", {"brand": "sonix", "in_stock": "1"})  # Sonix sells no clothing
    assert response.status_code == 200 and listing(response).result.total == 0
    removable = {(f.label, f.count) for f in listing(response).removable}
    in_stock = visible(category__slug_path__startswith="clothing", stock_quantity__gt=0)
    assert removable == {("Sonix", in_stock.count())}  # without in-stock there is still nothing
    html = response.content.decode()
    assert f"{in_stock.count()} products</span>" in html
    popular = [h.name for h in listing(response).popular]
    assert popular == [p.name for p in in_stock.order_by("-sales_count", "id")[:4]]
    assert "Popular in Clothing" in html


def test_zero_results_relax_and_suggest(client, catalog):
    relaxed = search(client, q="merino sweater zorblax")
    html = relaxed.content.decode()
    assert "No product matches every word of “merino sweater zorblax”: ignoring “zorblax”." in html
    assert hit_names(relaxed)[0] == "Merino Wool Sweater"
    assert "<mark>Merino</mark>" in html

    misspelt = search(client, q="hedfones")
    html = misspelt.content.decode()
    assert listing(misspelt).result.total == 0
    assert 'Did you mean\n          <a href="/search?q=headphones"' in html
    assert "No products match “hedfones”" in html


def test_engine_down_is_503_with_a_message(client, settings, tmp_path):
    # A tantivy engine with no index on disk cannot answer.
    settings.SEARCH_ENGINE = engine_config("tantivy", tmp_path / "nothing-here", None)

    page = search(client, q="shirt")
    api = client.get(reverse("api-search"), {"q": "shirt"})

    assert page.status_code == 503 and page["Retry-After"] == "10"
    assert "Search is temporarily unavailable" in page.content.decode()
    assert api.status_code == 503 and api["Retry-After"] == "10"
    assert api.json() == {"error": "Search is temporarily unavailable. Please try again in a moment."}


def test_search_page_sql_queries_are_constant(client, catalog):
    """The engine does the work: the page never reads products, and adding some adds no query."""
    search(client, q="shirt")  # warm the facet-label cache
    with CaptureQueriesContext(connection) as few:
        assert search(client, q="shirt").status_code == 200
    for n in range(8):
        Product.objects.create(
            name=f"Striped Shirt {n}", slug=f"striped-{n}", sku=f"STR-{n}", brand=catalog.brands["acme"],
            category=catalog.categories["clothing/tops/t-shirts"], price=Decimal("12.00") + n,
            stock_quantity=3,
        )
    sync_index()

    with CaptureQueriesContext(connection) as more:
        response = search(client, q="shirt")

    assert 'href="/p/striped-7/"' in response.content.decode()
    assert len(more) == len(few), [q["sql"] for q in more.captured_queries]
    assert not any("store_product" in q["sql"] for q in more.captured_queries)


# ---- The reactive component (django-unicorn) ---------------------------------------------


def component_root(response_html: str):
    """The component's root element (lxml keeps "unicorn:name" as a plain attribute name)."""
    elements = lxml_html.fromstring(response_html).iter()
    return next(el for el in elements if el.get("unicorn:name") == "search-page")


def call(method: str) -> dict:
    return {"type": "callMethod", "payload": {"name": method}}


def sync(name: str, value: str) -> dict:
    return {"type": "syncInput", "payload": {"name": name, "value": value}}


def post_message(client, root, actions: list[dict]) -> dict:
    body = {
        "id": root.get("unicorn:id"),
        "data": json.loads(root.get("unicorn:data")),
        "meta": root.get("unicorn:meta"),
        "epoch": str(int(time.time() * 1000)),
        "actionQueue": actions,
    }
    response = client.post("/unicorn/message/search-page", json.dumps(body), content_type="application/json")
    assert response.status_code == 200
    payload = response.json()
    assert "error" not in payload, payload
    return payload


def test_component_renders_on_the_server_from_get(client, catalog):
    html = search(client, q="headphones", brand="sonix").content.decode()

    root = component_root(html)
    assert root.get("data-search-query") == "q=headphones&brand=sonix"
    data = json.loads(root.get("unicorn:data"))
    assert data["q"] == "headphones"
    assert data["filters"] == {"brand": ["sonix"]}
    assert 'href="/p/anc/"' in html and 'href="/p/studio/"' not in html
    # One search box, the header's, holding the text (a new text is a new search).
    boxes = re.findall(r'<input[^>]*type="search"[^>]*>', html)
    assert len(boxes) == 1 and 'id="site-search"' in boxes[0] and 'value="headphones"' in boxes[0]
    assert "unicorn/js/unicorn" in html and "js/search-page.js" in html


def test_component_action_toggles_a_brand(client, catalog):
    root = component_root(search(client, category="clothing").content.decode())

    payload = post_message(client, root, [call("toggle_filter('brand', 'acme')")])

    assert payload["data"]["filters"] == {"category": ["clothing"], "brand": ["acme"]}
    dom = payload["dom"]
    acme = visible(category__slug_path__startswith="clothing", brand__slug="acme")
    for product in visible(category__slug_path__startswith="clothing"):
        assert (product.name in dom) == (product in acme), product.name
    new_root = lxml_html.fromstring(dom)
    assert new_root.get("data-search-query") == "category=clothing&brand=acme"
    assert 'name="brand" value="acme" checked' in dom


def test_component_action_toggles_an_attribute_and_keeps_it(client, catalog):
    root = component_root(search(client, category="clothing/tops", attr_size="M").content.decode())
    assert json.loads(root.get("unicorn:data"))["filters"] == {"category": ["clothing/tops"], "attr_size": ["M"]}

    payload = post_message(client, root, [call("toggle_filter('attr_color', 'Blue')")])

    assert payload["data"]["filters"] == {"category": ["clothing/tops"], "attr_size": ["M"], "attr_color": ["Blue"]}
    expected = visible(category__slug_path__startswith="clothing/tops", attributes__size="M",
                       attributes__color="Blue")
    dom = payload["dom"]
    for product in visible(category__slug_path__startswith="clothing/tops"):
        assert (product.name in dom) == (product in expected), product.name
    assert lxml_html.fromstring(dom).get("data-search-query") == "category=clothing%2Ftops&attr_color=Blue&attr_size=M"


def test_component_model_update_searches_as_the_shopper_types(client, catalog):
    root = component_root(search(client, q="sweater", page_size="1", page="2").content.decode())

    payload = post_message(client, root, [sync("q", "headphones")])

    dom = payload["dom"]
    assert "Headphones" in dom and "Merino Wool Sweater" not in dom
    # A new text starts again at page 1; the URL state follows.
    assert lxml_html.fromstring(dom).get("data-search-query") == "q=headphones&page_size=1"


def test_component_restores_the_state_of_an_address(client, catalog):
    root = component_root(search(client, q="shirt").content.decode())

    payload = post_message(client, root, [call("restore_query('category=electronics&sort=price_desc')")])

    electronics = visible(category__slug_path__startswith="electronics")
    expected = [p.name for p in electronics.order_by("-price", "pk")]
    dom = payload["dom"]
    assert [dom.index(name) for name in expected] == sorted(dom.index(name) for name in expected)
    assert payload["data"]["q"] == ""


@pytest.mark.parametrize("value", ["Black", "Café 'x\" \\ 😀", "2024-01-01", BREAKER])
def test_facet_values_reach_component_actions_intact(value):
    """Facet values go into unicorn:click="toggle_filter(…)" attributes: whatever their
    quotes, they must arrive as the same string."""
    literal = action_arg(value)
    assert not set(literal[1:-1]) & set("'\"()<>&")  # nothing to split on, nothing for HTML
    assert parse_call_method_name(f"toggle_filter('attr_color', {literal})")[1] == ("attr_color", value)


# ---- Suggestions under the header box ------------------------------------------------------


def test_every_page_has_the_combobox_script_and_a_plain_form(client, catalog):
    html = client.get(reverse("home")).content.decode()
    assert 'action="/search" method="get"' in html
    assert f'data-suggest-url="{reverse("search-suggest")}"' in html
    assert "js/autocomplete.js" in html


def test_suggest_fragment_lists_products_categories_and_brands(client, catalog):
    response = client.get(reverse("search-suggest"), {"q": "headph"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    fragment = lxml_html.fragment_fromstring(html, create_parent="div")
    options = fragment.xpath("//*[@role='option']")
    hrefs = [o.get("href") for o in options]
    assert hrefs[:2] == ["/p/anc/", "/p/studio/"]
    assert "/c/electronics/audio/headphones/" in hrefs
    assert "/search?brand=sonix" in hrefs
    assert hrefs[-1] == "/search?q=headph"
    assert all(o.get("id") for o in options)  # aria-activedescendant targets
    assert "$249.00" in html and "<img" in html


def test_suggest_needs_two_characters(client, catalog):
    assert client.get(reverse("search-suggest"), {"q": "h"}).content.decode().strip() == ""
    api = client.get(reverse("api-autocomplete"), {"q": "h"}).json()
    assert api["products"] == [] and api["categories"] == [] and api["brands"] == []


def test_autocomplete_api(client, catalog):
    response = client.get(reverse("api-autocomplete"), {"q": "headph"})

    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert [p["name"] for p in data["products"]] == ["Wireless Noise Cancelling Headphones",
                                                      "Studio Monitor Headphones"]
    assert set(data["products"][0]) == HIT_KEYS
    assert data["categories"][0]["url"] == "/c/electronics/audio/headphones/"
    assert {b["value"] for b in data["brands"]} == {"sonix", "acme"}
    assert data["queries"] == []


# ---- JSON search API ----------------------------------------------------------------------


def test_search_api_shape_and_values(client, catalog):
    params = {"category": "electronics", "in_stock": "1", "sort": "price_asc"}
    response = client.get(reverse("api-search"), params)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert set(data) == {"total", "page", "pages", "hits", "facets", "facet_info", "did_you_mean", "relaxed",
                         "corrected_query", "ignored_words", "not_carried", "all_words_total", "query"}
    expected = visible(category__slug_path__startswith="electronics", stock_quantity__gt=0)
    expected = expected.order_by("price", "pk")
    assert data["total"] == expected.count()
    assert [h["name"] for h in data["hits"]] == [p.name for p in expected]
    assert (data["page"], data["pages"], data["did_you_mean"], data["relaxed"]) == (1, 1, None, False)
    assert data["query"] == {
        "q": "", "category": "electronics", "brands": [], "price_min": None, "price_max": None,
        "rating": None, "in_stock": True, "attributes": {}, "vendors": [], "sort": "price_asc", "exact": False,
        "page": 1, "page_size": 24,
    }
    first = data["hits"][0]
    assert set(first) == HIT_KEYS
    product = expected.first()
    assert first["id"] == product.pk and first["url"] == f"/p/{product.slug}/"
    assert first["price"] == f"{product.price:.2f}" and first["currency"] == "USD"
    assert first["price_display"] == f"${product.price:,.2f}"  # as the pages print it (Babel, en-US)
    facets = data["facets"]
    assert {"category", "brand", "price", "rating", "availability", "attr_color"} <= set(facets)
    assert set(facets["brand"][0]) == {"value", "label", "count", "selected"}
    assert data["facet_info"]["brand"] == {"label": "Brand", "kind": "terms"}
    sonix = next(v for v in facets["brand"] if v["value"] == "sonix")
    assert sonix["count"] == expected.filter(brand__slug="sonix").count()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"price_max": "abc"}, "The maximum price must be a number."),
        ({"page": "-1"}, "The page must be a whole number."),
        ({"rating": "9"}, "The rating filter must be between 1 and 5."),
        ({"brand": "not a slug"}, "Unknown brand."),
    ],
)
def test_search_api_rejects_bad_input_with_400_json(client, catalog, params, message):
    response = client.get(reverse("api-search"), params)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": message}


# ---- Escaping -----------------------------------------------------------------------------


@pytest.fixture
def hostile_product(catalog):
    product = Product.objects.create(
        name=f"Alert {SCRIPT}", slug="hostile", sku="XSS-1", brand=catalog.brands["acme"],
        category=catalog.categories["clothing/tops/t-shirts"], price=Decimal("5.00"), stock_quantity=1,
    )
    sync_index()
    return product


def test_search_page_escapes_product_names_and_the_query(client, hostile_product):
    for params in ({"q": "alert"}, {"q": BREAKER}, {"q": BREAKER, "brand": BREAKER}):
        response = search(client, **params)
        html = response.content.decode()
        assert SCRIPT not in html, params
        assert '"><script' not in html, params
    html = search(client, q="alert").content.decode()
    assert "&lt;script&gt;" in html
    assert "<mark>Alert</mark> &lt;script&gt;<mark>alert</mark>(1)&lt;/script&gt;" in html


def test_component_message_escapes(client, hostile_product):
    root = component_root(search(client, q="shirt").content.decode())

    payload = post_message(client, root, [sync("q", f"alert {BREAKER}")])

    assert SCRIPT not in payload["dom"] and '"><script' not in payload["dom"]
    assert "&lt;script&gt;" in payload["dom"]


def test_suggest_fragment_escapes(client, hostile_product):
    for text in ("alert", BREAKER):
        html = client.get(reverse("search-suggest"), {"q": text}).content.decode()
        assert SCRIPT not in html and '"><script' not in html
    assert "&lt;script&gt;" in client.get(reverse("search-suggest"), {"q": "alert"}).content.decode()


def test_api_cannot_inject_html(client, hostile_product):
    response = client.get(reverse("api-search"), {"q": f"alert {BREAKER}"})
    raw = response.content.decode()

    assert "<script" not in raw and "</script" not in raw
    data = response.json()
    hit = next(h for h in data["hits"] if h["slug"] == "hostile")
    assert hit["name"] == f"Alert {SCRIPT}"  # the raw text, for the client to escape
    assert hit["highlight"].startswith("<mark>Alert</mark> &lt;<mark>script</mark>&gt;")
    assert data["query"]["q"] == f"alert {BREAKER}"
    suggest = client.get(reverse("api-autocomplete"), {"q": "alert"}).content.decode()
    assert "<script" not in suggest


# ---- Category pages: the same listing, scoped -----------------------------------------------


def test_category_page_has_the_facet_sidebar_and_honours_filters(client, catalog):
    clothing = catalog.categories["clothing"]

    response = client.get(clothing.get_absolute_url(), {"brand": "zephyr", "attr_color": "Black"})

    assert response.status_code == 200
    expected = visible(category__slug_path__startswith="clothing", brand__slug="zephyr",
                       attributes__color="Black")
    assert set(hit_names(response)) == {p.name for p in expected}
    html = response.content.decode()
    assert '<form class="facets" method="get" action="/c/clothing/"' in html
    # Drill-down goes to the subcategory's page and keeps the filters.
    tree = {o.value: o.href for o in group(response, "category").options}
    assert tree["clothing/tops"] == "/c/clothing/tops/?brand=zephyr&attr_color=Black"
    # The category's own attributes are facets; the selected colour is a removable chip.
    assert "attr_color" in {g.name for g in listing(response).groups}
    chips = {c.label: c.href for c in listing(response).chips}
    assert chips == {"Zephyr": "/c/clothing/?attr_color=Black", "Color: Black": "/c/clothing/?brand=zephyr"}
    # The search page's reactive component, scoped to the category; its links and forms are plain.
    assert json.loads(component_root(html).get("unicorn:data"))["scope"] == "clothing"


def test_the_category_component_stays_in_its_category(client, catalog):
    """A filter ticked on a category page re-renders it in place: the category's products only,
    links and address on the category's page, the same URL state as /search."""
    root = component_root(client.get("/c/clothing/").content.decode())

    payload = post_message(client, root, [call("toggle_filter('brand', 'acme')")])

    assert payload["data"]["scope"] == "clothing" and payload["data"]["filters"] == {"brand": ["acme"]}
    dom = lxml_html.fromstring(payload["dom"])
    assert dom.get("data-search-path") == "/c/clothing/" and dom.get("data-search-query") == "brand=acme"
    names = {a.text_content().strip() for a in dom.xpath('//h3[@class="card-title"]/a')}
    assert names == {p.name for p in visible(category__slug_path__startswith="clothing", brand__slug="acme")}
    assert not dom.xpath("//h1")  # the category page's heading stays outside the component
    assert dom.xpath('//a[contains(@class, "chip-removable")]/@href') == ["/c/clothing/"]


def test_a_forged_scope_is_the_whole_catalog_not_an_error(client, catalog):
    root = component_root(client.get("/c/clothing/").content.decode())
    payload = post_message(client, root, [sync("scope", "../../etc/<script>"), call("toggle_filter('brand', 'sonix')")])
    dom = lxml_html.fromstring(payload["dom"])
    assert dom.get("data-search-path") == "/search"


@pytest.mark.parametrize("url", ["/c/clothing/?brand=acme&price_min=&price_max=", "/search?q=tee&price_min=&sort="])
def test_empty_parameters_of_a_plain_form_are_dropped_by_a_redirect(client, catalog, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] in ("/c/clothing/?brand=acme", "/search?q=tee")


# ---- OpenAPI ---------------------------------------------------------------------------------


def _schema_validator(client, name: str):
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    document = client.get(reverse("api-schema")).json()
    resource = Resource.from_contents(document, default_specification=DRAFT202012)
    registry = Registry().with_resource("urn:api", resource)
    schema = {"$ref": f"urn:api#/components/schemas/{name}"}
    return Draft202012Validator(schema, registry=registry)


def test_the_openapi_schema_is_valid_and_describes_the_real_responses(client, catalog):
    from openapi_spec_validator import validate

    response = client.get(reverse("api-schema"))
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    validate(response.json())  # a valid OpenAPI 3.1 document
    search_validator = _schema_validator(client, "SearchResponse")
    for params in ({"q": "shirt"}, {"category": "clothing", "brand": ["acme", "zephyr"], "sort": "price_desc"},
                   {"q": "hedfones"}, {"q": "merino wool toaster"}):
        data = client.get(reverse("api-search"), params).json()
        search_validator.validate(data)
    autocomplete_validator = _schema_validator(client, "AutocompleteResponse")
    autocomplete_validator.validate(client.get(reverse("api-autocomplete"), {"q": "headph"}).json())
    _schema_validator(client, "Error").validate(client.get(reverse("api-search"), {"sort": "cheapest"}).json())


# ---- Hostile input: never a server error, always inert ---------------------------------------

HOSTILE_PARAMS = [
    {"q": "x" * 10_240},  # a 10 kB query
    {"q": "name:*"},  # Lucene syntax means nothing here
    {"q": 'merino "wool'},  # unbalanced quotes
    {"q": "(sweater OR) AND NOT [ * ~ ^2 \\"},
    {"q": "\u0000\u202e merino \U0001f9f6"},  # NUL, bidi override, emoji
    {"q": BREAKER, "brand": BREAKER},
    {"page": "-1"},
    {"page": "99999999999999999999"},
    {"page_size": "0"},
    {"sort": "price_asc; DROP TABLE store_product"},
    {"attr_nonexistent": "x"},  # an unknown facet
    {"attr_" + "a" * 300: "x"},
    {"unknown_facet": "x", "category": "no/such/category"},
    {"price_min": "1e309", "price_max": "NaN"},
    {"rating": "4.5"},
]


@pytest.mark.parametrize("params", HOSTILE_PARAMS, ids=lambda p: repr(p)[:40])
def test_hostile_parameters_never_cause_a_server_error(client, catalog, params):
    for name in ("search", "api-search", "api-autocomplete", "search-suggest"):
        response = client.get(reverse(name), params)
        assert response.status_code in (200, 400), (name, response.status_code)
        body = response.content.decode()
        assert "<script>alert(1)</script>" not in body
        if name.startswith("api") and response.status_code == 400:
            assert response.json()["error"]  # a message saying what to fix
    assert Product.objects.count() == len(catalog.products)  # nothing was dropped


def test_unknown_facets_and_categories_just_find_nothing(client, catalog):
    data = client.get(reverse("api-search"), {"attr_nonexistent": "x"}).json()
    assert data["total"] == 0
    data = client.get(reverse("api-search"), {"category": "no/such/category"}).json()
    assert data["total"] == 0


@pytest.mark.parametrize("path", ["/search?q=shirt&page_size=4", "/search?q=shirt&page_size=48",
                                  "/c/clothing/?page_size=4", "/c/clothing/?page_size=48",
                                  "/api/search?q=shirt&brand=acme&sort=price_asc&page_size=48"])
def test_at_most_six_sql_queries_per_search_or_category_page_whatever_the_page_size(client, catalog, path):
    client.get(path)  # warm the caches a running shop has warm (facet labels, rules)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    assert len(queries) <= 6, [q["sql"] for q in queries.captured_queries]
