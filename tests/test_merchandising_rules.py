"""Each rule type changes results as specified, on both engines, without a reindex."""

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from search.merchandising.models import BoostRule, FieldWeights, PinnedProduct, PinRule, Redirect, SynonymSet
from search.merchandising.rules import forget_cached_rules
from search.query.request import SearchRequest
from search.services import search_products
from tests.conftest import sync_index

pytestmark = pytest.mark.django_db


def search(text: str, **kwargs):
    forget_cached_rules()
    return search_products(SearchRequest(text=text, page_size=50, **kwargs))


def ids(result) -> list[int]:
    return [h.id for h in result.hits]


def test_two_way_synonyms_find_each_other(catalog):
    tees = {catalog.products[k].pk for k in ("vneck", "pocket")}
    shirts = {catalog.products[k].pk for k in ("crew", "graphic", "cafe")}
    assert set(ids(search("tee"))) == tees
    SynonymSet.objects.create(terms="tee, t-shirt, tshirt")
    assert set(ids(search("tee"))) == tees | shirts
    assert set(ids(search("t-shirt"))) == tees | shirts
    assert set(ids(search("tshirt"))) == tees | shirts


def test_one_way_synonyms_expand_only_from_the_first_term(catalog):
    sneaker, runner = catalog.products["sneaker"].pk, catalog.products["runner"].pk
    assert runner not in ids(search("sneakers"))
    SynonymSet.objects.create(kind=SynonymSet.Kind.ONE_WAY, terms="sneakers, trail running")  # multi-word
    assert {sneaker, runner} <= set(ids(search("sneakers")))
    assert ids(search("trail running")) == [runner]  # one way only


def test_boost_and_bury(catalog):
    baseline = search("t-shirt")
    assert baseline.hits[0].brand == "Nordic Wear"
    rule = BoostRule.objects.create(name="Acme first", target="brand", brand=catalog.brands["acme"], factor=20)
    assert search("t-shirt").hits[0].brand == "Acme"
    rule.query_term = "sweater"  # only for queries about sweaters now
    rule.save()
    assert search("t-shirt").hits[0].brand == "Nordic Wear"
    BoostRule.objects.create(name="Sink sold out", target="out_of_stock", factor=Decimal("0.01"))
    result = search("t-shirt")
    stock = [h.in_stock for h in result.hits]
    assert stock == sorted(stock, reverse=True)  # every out-of-stock hit after every in-stock one


def test_new_arrivals_boost_for_a_period(catalog):
    from store.models import Product

    old = timezone.now() - timedelta(days=90)
    Product.objects.exclude(pk=catalog.products["graphic"].pk).update(created_at=old)
    sync_index()
    assert search("t-shirt").hits[0].id != catalog.products["graphic"].pk
    BoostRule.objects.create(name="New", target="new_arrivals", new_within_days=30, factor=50)
    assert search("t-shirt").hits[0].id == catalog.products["graphic"].pk
    rule = BoostRule.objects.get(name="New")
    rule.ends_at = timezone.now() - timedelta(minutes=1)
    rule.save()
    assert search("t-shirt").hits[0].id != catalog.products["graphic"].pk  # the period is over


def test_pins_come_first_in_order_and_hides_never_show(catalog):
    rule = PinRule.objects.create(query="Sweater")
    PinnedProduct.objects.create(rule=rule, product=catalog.products["runner"], position=0)
    PinnedProduct.objects.create(rule=rule, product=catalog.products["cardigan"], position=1)
    PinnedProduct.objects.create(rule=rule, product=catalog.products["merino"], action="hide")
    result = search("sweater")
    assert ids(result)[:2] == [catalog.products["runner"].pk, catalog.products["cardigan"].pk]
    assert result.hits[0].pinned and not result.hits[2:] or not any(h.pinned for h in result.hits[2:])
    assert catalog.products["merino"].pk not in ids(result)
    assert ids(result).count(catalog.products["cardigan"].pk) == 1
    assert result.total == len(result.hits)
    # a pin respects the shopper's filters
    filtered = search("sweater", category="clothing/tops")
    assert catalog.products["runner"].pk not in ids(filtered)


def test_pins_shift_the_following_pages(catalog):
    rule = PinRule.objects.create(query="t-shirt")
    PinnedProduct.objects.create(rule=rule, product=catalog.products["anc"], position=0)
    everything = search("t-shirt")
    page1 = search_products(SearchRequest(text="t-shirt", page=1, page_size=2))
    page2 = search_products(SearchRequest(text="t-shirt", page=2, page_size=2))
    assert ids(page1) + ids(page2) == ids(everything)[:4]
    assert page2.total == everything.total


def test_redirects_answer_before_searching(catalog):
    Redirect.objects.create(query="Returns", url="/pages/returns/")
    assert search("  returns ").redirect == "/pages/returns/"
    assert search("return policy").redirect is None


def test_field_weights_change_what_counts(catalog):
    assert search("fine").total == 14  # only in descriptions
    FieldWeights.objects.create(description=0)
    assert search("fine").total == 0


def test_a_saved_rule_is_live_within_five_seconds_without_reindex(catalog):
    search_products(SearchRequest(text="tee"))  # this process has the rules cached now
    SynonymSet.objects.create(terms="tee, t-shirt")
    started = time.monotonic()
    while len(search_products(SearchRequest(text="tee")).hits) < 5:
        assert time.monotonic() - started < 5, "the rule was not live within 5 s"
        time.sleep(0.1)
