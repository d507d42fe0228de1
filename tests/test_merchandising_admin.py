"""The merchandiser's back office for search: admin pages, rules saved through them
changing results on both engines, refused hostile input, facet curation, the preview
explaining what moved each hit, and synonym files in and out."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from search.analytics.models import ClickEvent, SearchEvent
from search.merchandising.models import (
    BoostRule,
    FacetSetting,
    FieldWeights,
    PinnedProduct,
    PinRule,
    PriceBucketing,
    Redirect,
    SynonymSet,
)
from search.merchandising.rules import forget_cached_rules
from search.preview import preview_search
from search.query.request import SearchRequest
from search.services import search_products
from store.models import Product
from store.roles import MERCHANDISER, assign_role
from tests.catalog import build_catalog
from tests.conftest import sync_index

pytestmark = pytest.mark.django_db

RULE_MODELS = ["synonymset", "boostrule", "pinrule", "pinnedproduct", "redirect", "fieldweights",
               "facetsetting", "pricebucketing"]


@pytest.fixture
def merchandiser_client(client):
    user = User.objects.create_user("merch", password="unused-password")
    assign_role(user, MERCHANDISER)
    client.force_login(user)
    return client


def search(text: str, **kwargs):
    forget_cached_rules()
    return search_products(SearchRequest(text=text, page_size=50, **kwargs))


def ids(result) -> list[int]:
    return [h.id for h in result.hits]


def schedule(**overrides) -> dict:
    """The schedule fields of a rule's admin form (split date/time widgets)."""
    return {"is_active": "on", "starts_at_0": "", "starts_at_1": "", "ends_at_0": "", "ends_at_1": "",
            **overrides}


def inline(prefix: str, rows: list[dict]) -> dict:
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}
    for i, row in enumerate(rows):
        data.update({f"{prefix}-{i}-{name}": value for name, value in row.items()})
    return data


def form_errors(response) -> str:
    """The error texts of an admin form page, unescaped enough to compare."""
    html = response.content.decode()
    found = re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', html, re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", f) for f in found).replace("&amp;", "&").replace("&quot;", '"')


# --- Roles ------------------------------------------------------------------------


def test_merchandiser_and_administrator_get_the_search_permissions():
    granted = Group.objects.get(name="merchandiser").permissions.select_related("content_type")
    merchandiser = {f"{p.content_type.app_label}.{p.codename}" for p in granted}
    for model in RULE_MODELS:
        for action in ("add", "change", "delete", "view"):
            assert f"search.{action}_{model}" in merchandiser
    assert {"search.view_searchevent", "search.view_clickevent"} <= merchandiser
    assert "search.delete_searchevent" not in merchandiser  # retention is the purge command's job
    administrator = {p.codename for p in Group.objects.get(name="administrator").permissions.all()}
    assert {"add_synonymset", "view_searchevent", "delete_searchevent",
            "change_pricebucketing"} <= administrator


def test_every_search_admin_page_renders_for_a_merchandiser(merchandiser_client):
    catalog = build_catalog()
    SynonymSet.objects.create(terms="tee, t-shirt")
    BoostRule.objects.create(name="Acme first", target="brand", brand=catalog.brands["acme"], factor=3,
                             starts_at=timezone.now() + timedelta(days=1))
    rule = PinRule.objects.create(query="tee")
    PinnedProduct.objects.create(rule=rule, product=catalog.products["crew"])
    Redirect.objects.create(query="returns", url="/pages/returns/")
    FieldWeights.objects.create(is_active=False)
    FacetSetting.objects.create(category=catalog.categories["clothing"], attribute="size", label="Fit")
    PriceBucketing.objects.create(category=catalog.categories["clothing"], mode="fixed", step=25)
    SearchEvent.objects.create(query="tee", result_count=3)
    ClickEvent.objects.create(query="tee", product_id=catalog.products["crew"].pk, position=1)

    for model in [*RULE_MODELS, "searchevent", "clickevent"]:
        if model == "pinnedproduct":
            continue  # edited inline in its pin rule
        changelist = merchandiser_client.get(reverse(f"admin:search_{model}_changelist"))
        assert changelist.status_code == 200, model
        obj = changelist.context["cl"].result_list[0]
        change = merchandiser_client.get(reverse(f"admin:search_{model}_change", args=[obj.pk]))
        assert change.status_code == 200, model
        add = merchandiser_client.get(reverse(f"admin:search_{model}_add"))
        assert add.status_code == (403 if model in ("searchevent", "clickevent") else 200), model

    rules = merchandiser_client.get(reverse("admin:search_boostrule_changelist")).content.decode()
    assert "scheduled" in rules and reverse("admin:search_preview") in rules
    synonyms = merchandiser_client.get(reverse("admin:search_synonymset_changelist")).content.decode()
    assert "live" in synonyms
    home = merchandiser_client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:search_preview") in home and reverse("admin:search_report") in home
    assert merchandiser_client.get(reverse("admin:search_preview")).status_code == 200
    assert merchandiser_client.get(reverse("admin:search_report")).status_code == 200
    # the product picker of the pin inline answers the merchandiser
    autocomplete = merchandiser_client.get(reverse("admin:autocomplete"), {
        "term": "crew", "app_label": "search", "model_name": "pinnedproduct", "field_name": "product"})
    assert autocomplete.status_code == 200
    assert "Organic Cotton Crew Neck T-Shirt" in [r["text"] for r in autocomplete.json()["results"]]


def test_a_customer_or_vendor_cannot_open_the_search_tools(client):
    user = User.objects.create_user("vendor", password="unused-password")
    assign_role(user, "vendor")
    client.force_login(user)
    assert client.get(reverse("admin:search_preview")).status_code == 403
    assert client.get(reverse("admin:search_report")).status_code == 403
    assert client.get(reverse("admin:search_synonymset_changelist")).status_code == 403


# --- Rules saved through the admin change the results (both engines) ----------------------


def test_a_synonym_saved_through_the_admin_changes_the_results(catalog, merchandiser_client):
    shirts = {catalog.products[k].pk for k in ("crew", "graphic", "cafe")}
    assert not shirts & set(ids(search("tee")))
    response = merchandiser_client.post(reverse("admin:search_synonymset_add"),
                                        {"kind": "two_way", "terms": "tee ,  T-Shirt", **schedule()})
    assert response.status_code == 302, form_errors(response)
    assert SynonymSet.objects.get().terms == "tee, T-Shirt"
    assert shirts <= set(ids(search("tee")))


def test_a_pin_rule_saved_with_its_inline_pins_and_hides(catalog, merchandiser_client):
    anc, vneck = catalog.products["anc"], catalog.products["vneck"]
    response = merchandiser_client.post(reverse("admin:search_pinrule_add"), {
        "query": "  TEE ", **schedule(),
        **inline("entries", [{"position": "0", "product": anc.pk, "action": "pin"},
                             {"position": "1", "product": vneck.pk, "action": "hide"}]),
    })
    assert response.status_code == 302, form_errors(response)
    assert PinRule.objects.get().query == "tee"
    result = search("tee")
    assert ids(result)[0] == anc.pk and result.hits[0].pinned
    assert vneck.pk not in ids(result)


def test_a_boost_saved_through_the_admin_reorders(catalog, merchandiser_client):
    assert search("t-shirt").hits[0].brand == "Nordic Wear"
    response = merchandiser_client.post(reverse("admin:search_boostrule_add"), {
        "name": "Acme first", "target": "brand", "brand": catalog.brands["acme"].pk, "category": "",
        "new_within_days": "", "factor": "20", "query_term": "", **schedule(),
    })
    assert response.status_code == 302, form_errors(response)
    assert search("t-shirt").hits[0].brand == "Acme"


def test_a_boost_without_its_brand_is_refused_with_a_clear_message(merchandiser_client):
    response = merchandiser_client.post(reverse("admin:search_boostrule_add"), {
        "name": "Nothing", "target": "brand", "brand": "", "category": "", "new_within_days": "",
        "factor": "2", "query_term": "", **schedule(),
    })
    assert response.status_code == 200
    assert "Required for this kind of rule." in form_errors(response)


# --- Hostile or mistaken input ------------------------------------------------------------


@pytest.mark.parametrize(("terms", "message"), [
    ("tee, <script>alert(1)</script>", "HTML is not allowed"),
    ("tee, <b>shirt</b>", "HTML is not allowed"),
    ("tee, t-shirt\x00", "control character"),
    ("tee,\tt-shirt\n", "control character"),
    ("tee, , t-shirt", "Term 2 is empty"),
    ("tee, t-shirt,", "Term 3 is empty"),
    ("tee", "at least two different terms"),
    ("tee, TEE", "listed twice"),
    ("tee, !!!", "no letters or digits"),
    ("tee, " + "x" * 61, "at most 60"),
    ("", "Term 1 is empty"),
])
def test_hostile_synonym_terms_are_refused(terms, message):
    with pytest.raises(ValidationError) as caught:
        SynonymSet(terms=terms).full_clean()
    assert message in " ".join(caught.value.message_dict["terms"])


def test_a_sixty_character_term_is_fine_but_an_unmatchable_word_is_not():
    SynonymSet(terms="tee, " + "x" * 30 + " " + "y" * 29).full_clean()
    with pytest.raises(ValidationError) as caught:
        SynonymSet(terms="tee, " + "x" * 45).full_clean()
    assert "no word of at most 40 characters" in " ".join(caught.value.messages)


def test_hostile_terms_are_refused_in_the_admin_too(merchandiser_client):
    response = merchandiser_client.post(reverse("admin:search_synonymset_add"),
                                        {"kind": "two_way", "terms": "tee, <img src=x onerror=alert(1)>",
                                         **schedule()})
    assert response.status_code == 200
    assert "HTML is not allowed here" in form_errors(response)
    assert "<img src=x" not in response.content.decode()  # echoed escaped, never as markup
    assert not SynonymSet.objects.exists()


def test_a_circular_one_way_synonym_is_refused_with_advice(merchandiser_client):
    SynonymSet.objects.create(kind="one_way", terms="laptop, notebook")
    with pytest.raises(ValidationError) as caught:
        SynonymSet(kind="one_way", terms="Notebook, laptop").full_clean()
    message = " ".join(caught.value.messages)
    assert "Circular" in message and "two-way" in message
    response = merchandiser_client.post(reverse("admin:search_synonymset_add"),
                                        {"kind": "one_way", "terms": "notebook, laptop", **schedule()})
    assert "Use one two-way set" in form_errors(response)
    # not circular: a set that is off, or whose period does not overlap
    SynonymSet(kind="one_way", terms="notebook, laptop", is_active=False).full_clean()
    SynonymSet.objects.filter(kind="one_way").update(ends_at=timezone.now())
    later = timezone.now() + timedelta(hours=1)
    SynonymSet(kind="one_way", terms="notebook, laptop", starts_at=later).full_clean()
    # the same mapping as a two-way set is what the message recommends
    SynonymSet(kind="two_way", terms="notebook, laptop").full_clean()


@pytest.mark.parametrize(("url", "message"), [
    ("javascript:alert(1)", "“javascript:” addresses are not allowed"),
    ("JavaScript:alert(1)", "addresses are not allowed"),
    ("data:text/html,<script>alert(1)</script>", "“data:” addresses are not allowed"),
    (" /pages/returns/", "spaces"),
    ("/pages/\nreturns", "spaces"),
    ("//evil.example/", "another site"),
    ("/\\evil.example/", "backslash"),
    ("http://shop.example/", "Use https://"),
    ("https://user:secret@shop.example/", "user name or password"),
    ("https://", "not a valid https:// URL"),
    ("pages/returns", "Use a path on this site"),
    ("", "Enter a path"),
])
def test_hostile_redirect_targets_are_refused(url, message):
    with pytest.raises(ValidationError) as caught:
        Redirect(query="returns", url=url).full_clean()
    assert message in " ".join(caught.value.message_dict["url"])


@pytest.mark.parametrize("url", ["/pages/returns/", "/c/clothing/?sort=newest", "https://help.example.com/returns"])
def test_safe_redirect_targets_are_accepted(url):
    Redirect(query="returns", url=url).full_clean()


def test_rule_queries_are_normalised_and_refused_when_empty_or_hostile():
    Redirect.objects.create(query="returns", url="/pages/returns/")
    with pytest.raises(ValidationError) as caught:
        Redirect(query="  RETURNS ", url="/x/").full_clean()  # the same query, once normalised
    assert "query" in caught.value.message_dict
    with pytest.raises(ValidationError):
        PinRule(query="   ").full_clean()
    with pytest.raises(ValidationError):
        PinRule(query="tee\x07").full_clean()
    with pytest.raises(ValidationError) as caught:
        BoostRule(name="b", target="out_of_stock", factor=2, query_term="<tee>").full_clean()
    assert "HTML" in " ".join(caught.value.message_dict["query_term"])


def test_a_pinned_product_deleted_or_deactivated_breaks_nothing(catalog):
    anc, studio = catalog.products["anc"], catalog.products["studio"]
    rule = PinRule.objects.create(query="tee")
    PinnedProduct.objects.create(rule=rule, product=anc, position=0)
    PinnedProduct.objects.create(rule=rule, product=studio, position=1)
    assert ids(search("tee"))[:2] == [anc.pk, studio.pk]

    Product.objects.filter(pk=anc.pk).update(is_active=False)  # through the outbox, like the admin action
    sync_index()
    result = search("tee")
    assert anc.pk not in ids(result) and ids(result)[0] == studio.pk
    assert PinnedProduct.objects.filter(product=anc).exists()  # kept: shown again once reactivated

    studio.delete()  # the pin row cascades away
    sync_index()
    assert not PinnedProduct.objects.filter(product_id=studio.pk).exists()
    result = search("tee")
    assert studio.pk not in ids(result) and not any(h.pinned for h in result.hits)
    assert result.total == len(result.hits) > 0


# --- Facet curation (both engines, no reindex) ---------------------------------------------


def facets_of(result) -> dict:
    return {f.name: f for f in result.facets}


def test_facet_settings_order_rename_and_hide_attribute_facets(catalog):
    def attribute_facets(category):
        return [(f.name, f.label) for f in search_products(SearchRequest(category=category)).facets
                if f.name.startswith("attr_")]

    assert attribute_facets("clothing/tops") == [("attr_color", "Color"), ("attr_size", "Size")]
    FacetSetting.objects.create(category=catalog.categories["clothing"], attribute="size", label="Fit size",
                                position=0)
    FacetSetting.objects.create(category=catalog.categories["clothing"], attribute="color", position=1)
    forget_cached_rules()
    assert attribute_facets("clothing/tops") == [("attr_size", "Fit size"), ("attr_color", "Color")]
    # a subcategory with settings of its own decides for itself (and below)
    FacetSetting.objects.create(category=catalog.categories["clothing/tops/sweaters"], attribute="color",
                                visible=False)
    forget_cached_rules()
    assert attribute_facets("clothing/tops/sweaters") == [("attr_size", "Size")]
    assert attribute_facets("clothing/tops/t-shirts") == [("attr_size", "Fit size"), ("attr_color", "Color")]
    assert attribute_facets("electronics") == [("attr_color", "Color")]  # another tree: untouched


def test_facet_settings_curate_the_built_in_facets_too(catalog, client):
    def facets(category):
        return [(f.name, f.label) for f in search_products(SearchRequest(category=category)).facets]

    usual = facets("clothing/tops")
    assert [name for name, _ in usual] == ["category", "brand", "price", "rating", "availability",
                                           "attr_color", "attr_size"]
    before = client.get(reverse("search"), {"category": "clothing/tops"}).content.decode()
    assert ">Brand<" in before and ">Rating<" in before and ">Label<" not in before
    clothing = catalog.categories["clothing"]
    FacetSetting.objects.create(category=clothing, attribute="brand", label="Label")  # renamed, usual place
    FacetSetting.objects.create(category=clothing, attribute="rating", visible=False)
    FacetSetting.objects.create(category=clothing, attribute="size", position=0)
    FacetSetting.objects.create(category=clothing, attribute="price", position=1)
    forget_cached_rules()
    assert facets("clothing/tops") == [
        ("attr_size", "Size"), ("price", "Price"), ("category", "Category"), ("brand", "Label"),
        ("availability", "Availability"), ("attr_color", "Color"),
    ]
    assert ("rating", "Rating") in facets("electronics")  # another tree: untouched

    # The JSON API and the page show the same.
    data = client.get("/api/search", {"category": "clothing/tops"}).json()
    assert list(data["facets"]) == ["attr_size", "price", "category", "brand", "availability", "attr_color"]
    assert data["facet_info"]["brand"]["label"] == "Label"
    page = client.get(reverse("search"), {"category": "clothing/tops"}).content.decode()
    assert ">Label<" in page and ">Rating<" not in page
    # A hidden facet's filter still applies, and its chip still offers to remove it.
    rated = client.get("/api/search", {"category": "clothing/tops", "rating": "4"}).json()
    assert "rating" not in rated["facets"] and rated["total"] == search_products(
        SearchRequest(category="clothing/tops", selected={"rating": 4})).total < data["total"]
    rated_page = client.get(reverse("search"), {"category": "clothing/tops", "rating": "4"}).content.decode()
    assert ">Rating<" not in rated_page and "4★ &amp; up" in rated_page  # the chip that removes the filter


def test_a_facet_setting_for_an_unknown_attribute_is_refused():
    catalog = build_catalog()
    with pytest.raises(ValidationError) as caught:
        FacetSetting(category=catalog.categories["electronics"], attribute="size").full_clean()
    assert "No attribute “size”" in " ".join(caught.value.messages)
    with pytest.raises(ValidationError):
        FacetSetting(category=catalog.categories["clothing"], attribute="size",
                     label="<i>Size</i>").full_clean()
    FacetSetting(category=catalog.categories["clothing/tops"], attribute="size").full_clean()  # inherited
    for built_in in ("category", "brand", "price", "rating", "availability"):
        FacetSetting(category=catalog.categories["electronics"], attribute=built_in).full_clean()


def price_facet(category: str) -> list[tuple[str, int]]:
    forget_cached_rules()
    result = search_products(SearchRequest(category=category))
    return [(v.value, v.count) for v in facets_of(result)["price"].values]


def test_fixed_price_steps_per_category(catalog):
    auto = price_facet("clothing")
    electronics = price_facet("electronics")
    PriceBucketing.objects.create(category=catalog.categories["clothing"], mode="fixed", step=25)
    fixed = price_facet("clothing/tops")  # inherited from clothing
    assert fixed != auto
    for key, _count in fixed:
        low, _, high = key.partition("-")
        assert all(int(edge) % 25 == 0 for edge in (low, high) if edge)
    assert fixed[0][0] == "-25"  # 15.50, 19.99, 21.00 and 24.00 are under $25
    assert fixed[0][1] == 4
    assert sum(count for _, count in fixed) == 7  # every top falls in one range
    assert price_facet("electronics") == electronics  # other trees keep the adaptive ranges
    with pytest.raises(ValidationError):
        PriceBucketing(category=catalog.categories["electronics"], mode="fixed").full_clean()


def test_equal_count_price_ranges_hold_similar_numbers_of_products(catalog):
    PriceBucketing.objects.create(category=catalog.categories["clothing"], mode="equal_count", range_count=3)
    ranges = price_facet("clothing")  # nine products from 15.50 to 119.00
    counts = [count for _, count in ranges]
    assert sum(counts) == 9
    assert 2 <= len(ranges) <= 3
    assert max(counts) - min(counts) <= 2, ranges  # engines estimate percentiles slightly differently


# --- The preview explains each moved hit (both engines) ---------------------------------------


@pytest.fixture
def rules_for_tee(catalog):
    SynonymSet.objects.create(terms="tee, t-shirt")
    BoostRule.objects.create(name="Acme first", target="brand", brand=catalog.brands["acme"], factor=20)
    rule = PinRule.objects.create(query="tee")
    PinnedProduct.objects.create(rule=rule, product=catalog.products["anc"], position=0)
    PinnedProduct.objects.create(rule=rule, product=catalog.products["vneck"], action="hide")
    return catalog


def test_the_preview_explains_what_moved_each_hit(rules_for_tee):
    products = rules_for_tee.products
    preview = preview_search("tee")
    by_id = {entry.hit.id: entry for entry in preview.hits}
    baseline = [h.id for h in preview.baseline]
    assert set(baseline) == {products["vneck"].pk, products["pocket"].pk}  # without rules: only "tee" names

    first = preview.hits[0]
    assert first.hit.id == products["anc"].pk and first.reasons == ["pinned"] and first.movement == "new"
    crew = by_id[products["crew"].pk]  # an Acme t-shirt: found through the synonym, then boosted
    assert "boosted by rule “Acme first” ×20" in crew.reasons
    assert "matched through synonym “tee, t-shirt”" in crew.reasons
    assert crew.movement == "new"
    graphic = by_id[products["graphic"].pk]  # a Nordic t-shirt: the synonym only
    assert graphic.reasons == ["matched through synonym “tee, t-shirt”"]
    pocket = by_id[products["pocket"].pk]  # an Acme tee: matched anyway, boosted, moved by the pin
    assert pocket.reasons == ["boosted by rule “Acme first” ×20"]
    assert pocket.baseline_position == baseline.index(products["pocket"].pk) + 1
    assert pocket.movement.startswith(("↓", "↑", "="))
    assert [h.name for h in preview.hidden] == ["Slim V-Neck Tee"]
    assert products["vneck"].pk not in by_id
    assert preview.synonyms_applied == ("tee, t-shirt",)


def test_the_preview_page_shows_the_explanations(rules_for_tee, merchandiser_client):
    Redirect.objects.create(query="returns", url="/pages/returns/")
    page = merchandiser_client.get(reverse("admin:search_preview"), {"q": "tee"})
    assert page.status_code == 200
    html = page.content.decode()
    for text in ("pinned", "boosted by rule “Acme first” ×20", "matched through synonym “tee, t-shirt”",
                 "Hidden: Slim V-Neck Tee", "Wireless Noise Cancelling Headphones",
                 'id="preview-without-rules"'):
        assert text in html, text
    redirect = merchandiser_client.get(reverse("admin:search_preview"), {"q": "Returns"}).content.decode()
    assert "redirected to <code>/pages/returns/</code>" in redirect
    buried = BoostRule.objects.create(name="Sink sold out", target="out_of_stock", factor=Decimal("0.1"))
    html = merchandiser_client.get(reverse("admin:search_preview"), {"q": "tee"}).content.decode()
    assert f"buried by rule “{buried.name}” ×0.1" in html  # the Graphic t-shirt is out of stock


# --- Synonym files ----------------------------------------------------------------------------


SYNONYMS_FILE = """\
# Clothing
tee, t-shirt, tshirt

sneakers, trainers => trail running
laptop => notebook
"""


def test_import_export_round_trip(tmp_path: Path):
    source = tmp_path / "synonyms.txt"
    source.write_text(SYNONYMS_FILE)
    call_command("import_synonyms", str(source))
    sets = {(s.kind, tuple(s.term_list())) for s in SynonymSet.objects.all()}
    assert sets == {
        ("two_way", ("tee", "t-shirt", "tshirt")),
        ("one_way", ("sneakers", "trail running")),
        ("one_way", ("trainers", "trail running")),
        ("one_way", ("laptop", "notebook")),
    }
    exported = tmp_path / "exported.txt"
    call_command("export_synonyms", str(exported))
    text = exported.read_text()
    assert "laptop => laptop, notebook" in text and "tee, t-shirt, tshirt" in text

    SynonymSet.objects.all().delete()
    call_command("import_synonyms", str(exported))
    assert {(s.kind, tuple(s.term_list())) for s in SynonymSet.objects.all()} == sets
    call_command("import_synonyms", str(exported))  # again: nothing doubled
    assert SynonymSet.objects.count() == 4
    again = tmp_path / "again.txt"
    call_command("export_synonyms", str(again))
    assert again.read_text().splitlines()[2:] == text.splitlines()[2:]  # after the dated header


@pytest.mark.parametrize(("content", "expected"), [
    ("tee, t-shirt\n# fine\n\nshirt\n", "line 4: A synonym set needs at least two different terms"),
    ("tee, t-shirt\na => b => c\n", "line 2: More than one “=>”"),
    ("tee, t-shirt\n => b\n", "line 2: Nothing before “=>”"),
    ("tee, t-shirt\na, , b\n", "line 2: Term 2 is empty"),
    ("a, b\n\n\nx, <b>y</b>\n", "line 4: Term “<b>y</b>” contains “<” or “>”"),
    ("a\\, b, c\n", "line 1: Escaped characters"),
    ("laptop => notebook\nnotebook => laptop\n", "line 2: Circular one-way synonyms"),
])
def test_a_malformed_line_is_reported_with_its_number_and_nothing_is_saved(tmp_path: Path, content, expected):
    SynonymSet.objects.create(terms="keep, me")
    source = tmp_path / "synonyms.txt"
    source.write_text(content)
    with pytest.raises(CommandError) as caught:
        call_command("import_synonyms", str(source), "--replace")
    assert expected in str(caught.value)
    assert "Nothing was imported" in str(caught.value)
    assert [s.terms for s in SynonymSet.objects.all()] == ["keep, me"]  # not even the replace happened


def test_import_replace_swaps_the_sets(tmp_path: Path):
    SynonymSet.objects.create(terms="old, gone")
    source = tmp_path / "synonyms.txt"
    source.write_text("new, fresh\n")
    call_command("import_synonyms", str(source), "--replace")
    assert [s.terms for s in SynonymSet.objects.all()] == ["new, fresh"]
