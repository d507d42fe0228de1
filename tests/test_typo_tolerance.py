"""Typo tolerance a merchandiser (or an experiment) tunes, on both engines: the thresholds, words
and fields without typos, brands and numbers exact by default."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from search.merchandising.models import TypoSettings
from search.query.ranking import TypoTolerance
from search.query.request import SearchRequest
from search.services import search_products

pytestmark = pytest.mark.django_db


def names(text: str, **kwargs) -> set[str]:
    return {h.name for h in search_products(SearchRequest(text=text, page_size=50, **kwargs)).hits}


def eventually(check, seconds: float = 5.0) -> None:
    """``check()`` holds within ``seconds`` (a saved rule is live within seconds, every process)."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < seconds, f"not live within {seconds} s"
        time.sleep(0.1)


def test_the_typo_thresholds_are_a_rule_live_within_five_seconds(catalog):
    assert names("cqse") == {"Rugged Phone Case Edition"}  # four letters: one typo by default
    TypoSettings.objects.create(min_word_size_for_1_typo=5, min_word_size_for_2_typos=9)
    eventually(lambda: names("cqse") == set())
    # "headfones" (9 letters, two typos) still finds its products at the new two-typo length.
    assert {"Wireless Noise Cancelling Headphones", "Studio Monitor Headphones"} <= names("headfones")
    TypoSettings.objects.update(min_word_size_for_2_typos=10)
    TypoSettings.objects.first().save()  # a save bumps the rules version
    eventually(lambda: names("headfones") == set())


def test_words_listed_never_match_with_typos(catalog):
    assert {"Wireless Noise Cancelling Headphones"} <= names("headfones")
    TypoSettings.objects.create(disabled_words="Headfones, cqse")
    eventually(lambda: names("headfones") == set())
    assert names("cqse") == set()
    assert "Rugged Phone Case Edition" in names("caze")  # other words keep their typos


def test_brands_match_as_typed_unless_their_typos_are_switched_on(catalog):
    # "Sonix" typed "sonik": no Sonix product names anything close; only the brand could match.
    assert names("sonik") == set()
    TypoSettings.objects.create(typos_on_brands=True)
    eventually(lambda: names("sonik") == {"Wireless Noise Cancelling Headphones", "Sport Earbuds",
                                          "Smartphone 128GB"})


def test_words_with_digits_match_as_typed_unless_their_typos_are_switched_on(catalog):
    assert names("128gv") == set()
    TypoSettings.objects.create(typos_on_numbers=True)
    eventually(lambda: names("128gv") == {"Smartphone 128GB"})


def test_attribute_values_match_as_typed_unless_their_typos_are_switched_on(catalog):
    # Silver is a colour (a searchable attribute) of two products, named in neither name.
    assert names("silvar") == set()
    TypoSettings.objects.create(typos_on_attributes=True)
    eventually(lambda: names("silvar") == {"Studio Monitor Headphones", "Smartphone 128GB"})


def test_names_without_typos_leave_the_other_fields_theirs(catalog):
    TypoSettings.objects.create(typos_on_names=False)
    eventually(lambda: "Rugged Phone Case Edition" not in names("cqse"))
    # "shoez" still finds the products of the shoes category through its category words.
    assert {"Canvas Sneakers", "Trail Running Shoes"} <= names("shoez")


def test_an_experiment_sets_the_thresholds_per_request(catalog):
    strict = TypoTolerance(min_word_size_for_1_typo=5)
    assert names("cqse", typo_tolerance=strict) == set()
    assert names("cqse") == {"Rugged Phone Case Edition"}  # the next request has the rules' own
    assert names("cqse", typo_tolerance=TypoTolerance(min_word_size_for_1_typo=3)) == {"Rugged Phone Case Edition"}


@pytest.mark.parametrize(("fields", "error_field"), [
    ({"min_word_size_for_1_typo": 0}, "min_word_size_for_1_typo"),
    ({"min_word_size_for_1_typo": 41}, "min_word_size_for_1_typo"),
    ({"min_word_size_for_1_typo": 6, "min_word_size_for_2_typos": 5}, "min_word_size_for_2_typos"),
    ({"min_word_size_for_2_typos": ""}, "min_word_size_for_2_typos"),
    ({"disabled_words": "sofa, <script>"}, "disabled_words"),
    ({"disabled_words": " , ;"}, "disabled_words"),
])
def test_the_admin_refuses_bad_settings_with_a_form_error(admin_client, fields, error_field):
    data = {"min_word_size_for_1_typo": 4, "min_word_size_for_2_typos": 8, "disabled_words": "",
            "typos_on_names": "on", "typos_on_categories": "on", "is_active": "on", **fields}
    response = admin_client.post(reverse("admin:search_typosettings_add"), data)
    assert response.status_code == 200, "a bad value must not save"
    assert error_field in response.context["adminform"].form.errors
    assert not TypoSettings.objects.exists()


def test_the_admin_saves_good_settings(admin_client):
    data = {"min_word_size_for_1_typo": 5, "min_word_size_for_2_typos": 9, "disabled_words": "Sofa, slides",
            "typos_on_names": "on", "typos_on_categories": "on", "is_active": "on"}
    response = admin_client.post(reverse("admin:search_typosettings_add"), data)
    assert response.status_code == 302
    tolerance = TypoSettings.objects.get().tolerance()
    assert tolerance == TypoTolerance(5, 9, frozenset({"sofa", "slides"}), frozenset({"brand", "attribute_text"}))


# --- typos counted on the words as written, fewer typos first ----------------------------------------


def test_typos_are_counted_on_the_word_as_written_not_on_its_stem(catalog):
    # "cawe" is one typo from "case"; its stem "caw" is two from the stem "case", as "cafe" is.
    result = search_products(SearchRequest(text="cawe", page_size=50))
    assert result.typo_words == ("cawe",) and not result.relaxed, "matched by the main query's typos"
    assert {h.name for h in result.hits} == {"Rugged Phone Case Edition", "Café Crème T-Shirt"}
    highlighted = {h.highlighted_name for h in result.hits}
    assert "Rugged Phone <mark>Case</mark> Edition" in highlighted and "<mark>Café</mark> Crème T-Shirt" in highlighted


def test_a_word_far_from_the_stem_matches_when_near_the_word_as_written(catalog):
    # "runnig" (6 letters, one typo) and "running": one edit; the index holds the stem "run",
    # three edits from "runnig": it is the written word that matches, and it highlights.
    result = search_products(SearchRequest(text="trail runnig", page_size=50))
    assert [h.highlighted_name for h in result.hits] == ["<mark>Trail</mark> <mark>Running</mark> Shoes"]
    assert result.typo_words == ("runnig",) and result.corrected_text == "trail running"


def test_fewer_typos_rank_first_then_relevance(catalog):
    from decimal import Decimal

    from store.models import Product
    from tests.conftest import sync_index

    # "cardigen": one typo from "cardigan" (out of stock, rarely sold), two from "carbigun", a short
    # name that repeats the word, in stock and selling: more relevant, but two typos away.
    Product.objects.create(
        name="Carbigun Carbigun", slug="carbigun", sku="TST-CARB", description="Carbigun.",
        brand=catalog.brands["zephyr"], category=catalog.categories["clothing/tops/sweaters"], price=Decimal("30"),
        stock_quantity=50, rating_average=Decimal("5"), rating_count=10, sales_count=900)
    Product.objects.create(
        name="Cardigan Cardigan Cardigan", slug="cardigan3", sku="TST-CARD", description="Cardigan.",
        brand=catalog.brands["zephyr"], category=catalog.categories["clothing/tops/sweaters"], price=Decimal("30"),
        stock_quantity=50, rating_average=Decimal("5"), rating_count=10, sales_count=900)
    sync_index()
    result = search_products(SearchRequest(text="cardigen", page_size=50))
    assert [h.name for h in result.hits] == [
        "Cardigan Cardigan Cardigan",  # one typo, the more relevant of the two
        "Chunky Knit Cardigan Sweater",  # one typo
        "Carbigun Carbigun",  # two typos, however relevant
    ]


def test_results_found_only_through_typos_say_so_on_the_page_and_in_the_api(client, catalog):
    result = search_products(SearchRequest(text="sweter merino", page_size=50))
    assert not result.relaxed and result.typo_words == ("sweter",)
    assert result.corrected_text == "sweater merino"
    assert result.hits[0].id == catalog.products["merino"].pk
    html = client.get(reverse("search"), {"q": "sweter merino"}).content.decode()
    assert "Showing results for “<strong>sweater merino</strong>”" in html
    assert 'href="/search?q=sweter+merino&amp;exact=1"' in html
    api = client.get(reverse("api-search"), {"q": "sweter merino"}).json()
    assert api["corrected_query"] == "sweater merino" and api["hits"][0]["name"] == "Merino Wool Sweater"
    # The text as typed: no typo matches it.
    exact = client.get(reverse("api-search"), {"q": "sweter merino", "exact": "1"}).json()
    assert exact["corrected_query"] is None
    assert all("Sweater" not in hit["name"] or "Merino" in hit["name"] for hit in exact["hits"])
    assert "<mark>Sweater</mark>" not in " ".join(hit["highlight"] for hit in exact["hits"])


def test_a_known_word_gives_no_typo_notice(catalog):
    result = search_products(SearchRequest(text="merino sweater", page_size=50))
    assert result.corrected_text is None and result.typo_words == ()
