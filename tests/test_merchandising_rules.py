"""Each rule type changes results as specified, on both engines, without a reindex."""

import os
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from search.merchandising.models import BoostRule, FieldWeights, PinnedProduct, PinRule, Redirect, SynonymSet
from search.merchandising.rules import RULES_CHECK_SECONDS, forget_cached_rules
from search.query.request import SearchRequest
from search.services import search_products
from tests.conftest import ROOT, sync_index

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


def test_synonym_expansions_are_not_typo_expanded(catalog):
    """Only the words the shopper typed get a typo budget: an alternative a merchandiser
    wrote ("cover") is matched as written, never widened into its neighbours ("over")."""
    from store.models import Product

    studio = catalog.products["studio"]
    Product.objects.create(name="Over-Ear Headphones", slug="over-ear", sku="SNX-HP-4003", brand=studio.brand,
                           category=studio.category, price=Decimal("99.00"), stock_quantity=5)
    sync_index()
    SynonymSet.objects.create(terms="case, cover")
    assert ids(search("case")) == [catalog.products["rugged"].pk]
    assert ids(search("phone case")) == [catalog.products["rugged"].pk]


def test_a_word_in_several_synonym_sets_gets_all_of_them(catalog):
    sneaker, runner, cardigan = (catalog.products[k].pk for k in ("sneaker", "runner", "cardigan"))
    SynonymSet.objects.create(terms="kicks, sneakers")
    SynonymSet.objects.create(terms="kicks, trail running")
    SynonymSet.objects.create(kind=SynonymSet.Kind.ONE_WAY, terms="kicks, cardigan")
    assert set(ids(search("kicks"))) == {sneaker, runner, cardigan}
    assert set(search("kicks").request.tuning.synonyms_applied) == {
        "kicks, sneakers", "kicks, trail running", "kicks → cardigan"}
    assert set(ids(search("sneakers"))) == {sneaker}  # the other sets name kicks, not sneakers


def test_a_rule_saved_after_a_query_was_cached_changes_it_within_five_seconds(catalog, settings):
    """The cached first page of a query is keyed by the rules version its rules were read
    at: a save moves every process to a new key as soon as it reads the new rules."""
    settings.SEARCH_CACHE_REFRESH_GRACE_SECONDS = 0  # entries live their whole TTL (the index is settled)
    sneaker = catalog.products["sneaker"].pk
    assert search_products(SearchRequest(text="kicks")).total == 0  # cached now, rules read
    time.sleep(RULES_CHECK_SECONDS / 2)  # this process read the rules a moment ago
    SynonymSet.objects.create(terms="kicks, sneakers")
    started = time.monotonic()
    while sneaker not in ids(search_products(SearchRequest(text="kicks"))):
        assert time.monotonic() - started < 5, "the cached result outlived the rule change"
        time.sleep(0.1)


@pytest.mark.django_db(transaction=True)
def test_import_synonyms_in_another_process_is_live_within_five_seconds_without_a_shared_cache(
        one_engine_catalog, settings, tmp_path):
    """Embedded mode: no Redis, so each process has a cache of its own. The rules version
    lives in the database, which every process reads."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": f"rules-{tmp_path.name}"}}
    sneaker = one_engine_catalog.products["sneaker"].pk
    assert search_products(SearchRequest(text="kicks")).total == 0  # rules read and result cached
    source = tmp_path / "synonyms.txt"
    source.write_text("kicks, sneakers\n")
    db = django_settings.DATABASES["default"]
    env = {name: value for name, value in os.environ.items()
           if name not in ("REDIS_URL", "CELERY_BROKER_URL", "ELASTICSEARCH_URL", "CACHE_KEY_PREFIX")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", VAR_DIR=str(tmp_path / "other-var"),
               DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}")
    done = subprocess.run([sys.executable, "manage.py", "import_synonyms", str(source)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    started = time.monotonic()
    while sneaker not in ids(search_products(SearchRequest(text="kicks"))):
        assert time.monotonic() - started < 5, "the other process's import was not live within 5 s"
        time.sleep(0.1)


def test_synonym_sets_deleted_by_a_queryset_are_gone_within_five_seconds(catalog):
    """The admin's "delete selected" deletes a queryset, which never calls a model's delete()."""
    sneaker = catalog.products["sneaker"].pk
    SynonymSet.objects.create(terms="kicks, sneakers")
    assert sneaker in ids(search_products(SearchRequest(text="kicks")))
    SynonymSet.objects.filter(terms__startswith="kicks").delete()
    started = time.monotonic()
    while sneaker in ids(search_products(SearchRequest(text="kicks"))):
        assert time.monotonic() - started < 5, "the deleted set was still applied after 5 s"
        time.sleep(0.1)
