"""Optional words, corrected fallbacks and the notices that say so, on both engines."""

from __future__ import annotations

import pytest
from django.urls import reverse

from search.query.request import SearchRequest
from search.services import search_products
from tests.test_search_pages import _schema_validator, listing

pytestmark = pytest.mark.django_db


def search(**kwargs):
    return search_products(SearchRequest(page_size=50, **kwargs))


def names(result) -> list[str]:
    return [h.name for h in result.hits]


def test_stopwords_may_match_but_are_never_required(catalog):
    # No product holds "for" or "the": they must not exclude the studio headphones.
    result = search(text="headphones for the studio")
    assert result.hits and result.hits[0].id == catalog.products["studio"].pk, names(result)
    assert not result.relaxed and result.ignored_words == ()


def test_a_word_that_matches_nothing_is_dropped_with_a_notice(catalog):
    result = search(text="zorblax headphones")
    assert result.ignored_words == ("zorblax",) and result.relaxed
    assert set(names(result)) == {"Wireless Noise Cancelling Headphones", "Sport Earbuds", "Studio Monitor Headphones"}


def test_known_words_no_product_holds_together_drop_the_one_naming_no_type(catalog):
    # Both words are known; no merino headphones: "headphones" names the type asked for.
    result = search(text="merino headphones")
    assert result.ignored_words == ("merino",)
    assert result.total == 3 and all("Headphones" in n or "Earbuds" in n for n in names(result))


def test_an_unknown_product_type_gives_zero_results_with_help(catalog):
    result = search(text="merino wool toaster")
    assert result.total == 0 and result.hits == []
    assert result.not_carried == ("toaster",)


def test_a_misspelt_single_word_is_corrected(catalog):
    # "runnig" is no typo of the indexed stem "run": its correction comes from the names' words.
    result = search(text="runnig")
    assert result.corrected_text == "running"
    assert names(result) == ["Trail Running Shoes"]
    assert result.request.text == "runnig"


def test_exact_searches_the_text_as_typed(catalog):
    result = search(text="runnig", exact=True)
    assert result.total == 0 and result.corrected_text is None


def test_a_misspelt_word_beside_a_known_one_is_corrected_not_dropped(catalog):
    result = search(text="runnig shoes")
    assert result.corrected_text == "running shoes" and result.ignored_words == ()
    assert result.hits[0].id == catalog.products["runner"].pk


def test_an_exact_product_name_shows_the_product_first_and_more_after_it(catalog):
    result = search(text="Studio Monitor Headphones")
    assert result.hits[0].id == catalog.products["studio"].pk
    assert result.all_words_total == 1 and result.total == 3


def test_the_page_says_what_was_corrected_with_a_link_to_the_text_as_typed(client, catalog):
    response = client.get(reverse("search"), {"q": "runnig"})
    html = response.content.decode()
    assert "Showing results for “<strong>running</strong>”" in html
    assert listing(response).exact_href == "/search?q=runnig&exact=1"
    assert 'href="/search?q=runnig&amp;exact=1"' in html
    exact = client.get(listing(response).exact_href)
    assert listing(exact).result.total == 0


def test_the_page_says_which_words_were_ignored_and_what_is_not_carried(client, catalog):
    html = client.get(reverse("search"), {"q": "zorblax headphones"}).content.decode()
    assert "No product matches every word of “zorblax headphones”: ignoring “zorblax”." in html
    html = client.get(reverse("search"), {"q": "merino wool toaster"}).content.decode()
    assert "We don't carry “toaster”." in html and "Browse the categories" in html


def test_the_api_gives_the_notices_and_its_schema_describes_them(client, catalog):
    validator = _schema_validator(client, "SearchResponse")
    corrected = client.get(reverse("api-search"), {"q": "runnig"}).json()
    assert corrected["corrected_query"] == "running" and corrected["query"]["exact"] is False
    ignored = client.get(reverse("api-search"), {"q": "zorblax headphones"}).json()
    assert ignored["ignored_words"] == ["zorblax"] and ignored["relaxed"] is True
    missing = client.get(reverse("api-search"), {"q": "merino wool toaster"}).json()
    assert missing["not_carried"] == ["toaster"] and missing["total"] == 0
    more = client.get(reverse("api-search"), {"q": "studio monitor headphones"}).json()
    assert more["all_words_total"] == 1
    for data in (corrected, ignored, missing, more):
        validator.validate(data)
    assert client.get(reverse("api-search"), {"q": "runnig", "exact": "maybe"}).status_code == 400
