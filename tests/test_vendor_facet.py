"""The vendor facet ("Sold by"), declared once in search/facets/registry.py, on each engine:
on the page (plain links and the reactive component), in the API and its schema, and in
the merchandisers' facet curation."""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from search.merchandising.models import FacetSetting
from search.merchandising.rules import forget_cached_rules
from store.models import Product, Vendor
from tests.catalog import build_catalog
from tests.conftest import sync_index
from tests.test_search_pages import _schema_validator, call, component_root, post_message

pytestmark = pytest.mark.django_db

# Clothing is sold by two vendors (and the shop itself, no vendor); electronics by one.
NORTH = ("crew", "vneck", "merino", "runner")
SOUTH = ("graphic", "sneaker")
ONLY_ONE = ("anc", "buds", "studio", "phone", "rugged")


@pytest.fixture(autouse=True)
def own_cache_keys(settings):
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"t-{uuid.uuid4().hex[:8]}"}}


@pytest.fixture
def vendors(search_backend):
    catalog = build_catalog()
    north = Vendor.objects.create(name="Northwind Outfitters", slug="northwind")
    south = Vendor.objects.create(name="Southgate & Sons", slug="southgate")
    electro = Vendor.objects.create(name="Electro Depot", slug="electro")
    for vendor, keys in ((north, NORTH), (south, SOUTH), (electro, ONLY_ONE)):
        # A queryset update: the index follows it through the products_changed signal.
        Product.objects.filter(slug__in=keys).update(vendor=vendor)
    sync_index()
    return catalog


def group(response, name):
    return next((g for g in response.context["listing"].groups if g.name == name), None)


def visible(**filters):
    return Product.objects.visible().filter(**filters)


def test_sold_by_counts_each_vendor_disjunctively(client, vendors):
    response = client.get(reverse("search"), {"category": "clothing"})
    sold_by = group(response, "vendor")
    assert sold_by is not None and sold_by.label == "Sold by" and sold_by.kind == "checkbox"
    options = {o.value: (o.label, o.count) for o in sold_by.options}
    assert options == {
        "northwind": ("Northwind Outfitters", visible(category__slug_path__startswith="clothing",
                                                      vendor__slug="northwind").count()),
        "southgate": ("Southgate & Sons", visible(category__slug_path__startswith="clothing",
                                                  vendor__slug="southgate").count()),
    }

    # Its link narrows the results; the other vendor keeps its count (a shopper may add it).
    picked = client.get(next(o.href for o in sold_by.options if o.value == "northwind"))
    assert picked.status_code == 200
    assert sorted(h.slug for h in picked.context["listing"].result.hits) == sorted(
        p.slug for p in visible(category__slug_path__startswith="clothing", vendor__slug="northwind"))
    counts = {o.value: (o.count, o.selected) for o in group(picked, "vendor").options}
    assert counts["southgate"] == (options["southgate"][1], False)
    assert counts["northwind"][1] is True
    chips = [(c.facet, c.value, c.label) for c in picked.context["listing"].chips]
    assert ("vendor", "northwind", "Northwind Outfitters") in chips
    html = picked.content.decode()
    assert 'name="vendor" value="northwind" checked' in html
    assert "Southgate &amp; Sons" in html  # escaped like every label


def test_sold_by_is_hidden_where_one_vendor_sells_everything(client, vendors):
    response = client.get(reverse("search"), {"category": "electronics"})
    assert response.status_code == 200
    assert group(response, "vendor") is None
    assert "Sold by" not in response.content.decode()


def test_the_component_ticks_a_vendor_and_the_url_follows(client, vendors):
    root = component_root(client.get(reverse("search"), {"category": "clothing"}).content.decode())

    payload = post_message(client, root, [call("toggle_filter('vendor', 'southgate')")])

    assert payload["data"]["filters"] == {"category": ["clothing"], "vendor": ["southgate"]}
    dom = payload["dom"]
    for product in visible(category__slug_path__startswith="clothing"):
        assert (product.name in dom) == (product.vendor is not None and product.vendor.slug == "southgate")
    assert 'name="vendor" value="southgate" checked' in dom


def test_the_api_filters_by_vendor_echoes_it_and_documents_it(client, vendors):
    response = client.get(reverse("api-search"), {"category": "clothing", "vendor": ["southgate"]})
    assert response.status_code == 200
    data = response.json()
    assert data["query"]["vendors"] == ["southgate"]
    assert data["total"] == visible(category__slug_path__startswith="clothing", vendor__slug="southgate").count()
    assert {v["value"] for v in data["facets"]["vendor"]} == {"northwind", "southgate"}
    assert data["facet_info"]["vendor"]["label"] == "Sold by"
    _schema_validator(client, "SearchResponse").validate(data)

    schema = client.get(reverse("api-schema")).json()
    parameters = {p["name"] for p in schema["paths"]["/api/search"]["get"]["parameters"]}
    assert "vendor" in parameters

    bad = client.get(reverse("api-search"), {"vendor": "<script>"})
    assert bad.status_code == 400 and bad.json()["error"] == "Unknown vendor."


def test_merchandisers_rename_place_and_hide_it_per_category(client, vendors):
    clothing = vendors.categories["clothing"]
    setting = FacetSetting(category=clothing, attribute="vendor", label="Seller", position=0)
    setting.full_clean()  # a built-in facet's name: no attribute definition needed
    setting.save()
    forget_cached_rules()
    response = client.get(reverse("search"), {"category": "clothing"})
    groups = response.context["listing"].groups
    assert (groups[0].name, groups[0].label) == ("vendor", "Seller")

    setting.visible = False
    setting.save()
    forget_cached_rules()
    hidden = client.get(reverse("search"), {"category": "clothing", "vendor": "northwind"})
    assert group(hidden, "vendor") is None
    # Its filter still applies, and its chip still removes it.
    assert {h.slug for h in hidden.context["listing"].result.hits} == {
        p.slug for p in visible(category__slug_path__startswith="clothing", vendor__slug="northwind")}
    assert [c.facet for c in hidden.context["listing"].chips] == ["category", "vendor"]

    with pytest.raises(ValidationError):
        FacetSetting(category=clothing, attribute="seller", label="x").full_clean()
