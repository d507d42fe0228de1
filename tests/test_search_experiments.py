"""A/B tests of the search configuration: a stable split of the visitors, both variants
served (on both engines) and recorded, never sharing a cached page, the preview of either,
stop and promote; and the report recovering known rates from simulated shoppers."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from checkout.models import Order, OrderLine
from search.analytics.experiment_report import NOT_SIGNIFICANT, SIGNIFICANT, TOO_SMALL, experiment_report
from search.analytics.experiments import assigned_variant, variant_of
from search.analytics.models import SearchEvent
from search.analytics.recorder import session_hash
from search.analytics.tasks import record_events
from search.merchandising.experiments import Experiment, ExperimentVariant
from search.merchandising.models import BoostRule, FieldWeights, SemanticSettings, TypoSettings
from search.merchandising.rules import forget_cached_rules, resolve
from search.preview import preview_search
from store.roles import MERCHANDISER, assign_role
from tests.conftest import restore_roles
from tests.test_search_analytics import eager_tasks  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def running_experiment(**variant_b) -> Experiment:
    experiment = Experiment.objects.create(name="Sonix first")
    ExperimentVariant.objects.create(experiment=experiment, key="a")
    boosts = variant_b.pop("boosts", ())
    b = ExperimentVariant.objects.create(experiment=experiment, key="b", **variant_b)
    b.boosts.set(boosts)
    experiment.start()
    forget_cached_rules()
    return experiment


# --- Assignment ---------------------------------------------------------------------------


def test_assignment_is_stable_per_visitor_and_close_to_half_and_half():
    """10,000 visitors (each a CSRF cookie, as a first visit has): the split is within 2 points
    of 50/50 (about 4.5 standard deviations for a fair coin), each visitor always the same."""
    request = RequestFactory().get("/search")
    rng = random.Random(10)
    visitors = []
    for _ in range(10_000):
        request.COOKIES["csrftoken"] = uuid.UUID(int=rng.getrandbits(128)).hex
        visitors.append(session_hash(request))
    assert len(set(visitors)) == 10_000
    variants = [variant_of(7, 50, visitor) for visitor in visitors]
    assert abs(variants.count("b") / len(variants) - 0.5) < 0.02
    assert [variant_of(7, 50, visitor) for visitor in visitors] == variants
    other = [variant_of(8, 50, visitor) for visitor in visitors]  # another experiment: another split
    assert sum(a != b for a, b in zip(variants, other, strict=True)) > 4000
    assert abs([variant_of(7, 20, v) for v in visitors].count("b") / len(visitors) - 0.2) < 0.02


def test_a_visitor_keeps_the_variant_when_the_session_starts_and_at_login(eager_tasks, one_engine_catalog):  # noqa: F811
    experiment = running_experiment()
    shopper = Client()
    shopper.get("/search", {"q": "tee"})  # sets the CSRF cookie: the first visitor key
    api = shopper.get("/api/search", {"q": "headphones"}).json()
    shopper.get(api["hits"][0]["click_url"])  # the first session write: the visitor is pinned
    user = User.objects.create_user("lin", password="unused-password")
    shopper.force_login(user)  # a new session key, the same data
    shopper.get("/api/search", {"q": "headphones"})
    from search.analytics.recorder import flush_analytics

    assert flush_analytics(20)
    served = list(SearchEvent.objects.order_by("created_at").values_list("session_hash", "experiment", "variant"))
    assert len(served) == 3
    assert served[0][1:] == (0, "")  # the first page view had no cookie yet: the default
    assert served[1] == served[2] and served[1][1] == experiment.pk and served[1][2] in "ab"


# --- Serving ------------------------------------------------------------------------------


def visitor_in(variant: str) -> Client:
    """A browser whose visitor key falls in ``variant`` of the running experiment."""
    while True:
        client = Client()
        client.cookies["csrftoken"] = uuid.uuid4().hex  # a valid secret: never replaced by the middleware
        request = RequestFactory().get("/")
        request.COOKIES["csrftoken"] = client.cookies["csrftoken"].value
        if assigned_variant(request).endswith(variant):
            return client


def test_both_variants_are_served_and_recorded_and_never_share_a_cached_page(eager_tasks, catalog):  # noqa: F811
    products = catalog.products
    sonix = BoostRule.objects.create(name="Sonix first", target="brand", brand=catalog.brands["sonix"], factor=50,
                                     is_active=False)
    experiment = running_experiment(boosts=[sonix])
    a, b = visitor_in("a"), visitor_in("b")
    for _ in range(2):  # the second round comes from the results cache: still each its own
        first_a = a.get("/api/search", {"q": "headphones"}).json()["hits"][0]["id"]
        first_b = b.get("/api/search", {"q": "headphones"}).json()["hits"][0]["id"]
        assert first_a == products["studio"].pk and first_b == products["anc"].pk
    assert Client().get("/api/search", {"q": "headphones"}).json()["hits"][0]["id"] == products["studio"].pk
    from search.analytics.recorder import flush_analytics

    assert flush_analytics(20)
    served = set(SearchEvent.objects.values_list("experiment", "variant"))
    assert served == {(experiment.pk, "a"), (experiment.pk, "b"), (0, "")}

    # The merchandiser's preview shows either.
    assert preview_search("headphones", variant=f"{experiment.pk}:b").hits[0].hit.id == products["anc"].pk
    assert preview_search("headphones", variant=f"{experiment.pk}:a").hits[0].hit.id == products["studio"].pk
    # Stopped: everyone gets the default again.
    experiment.stop()
    assert b.get("/api/search", {"q": "headphones"}).json()["hits"][0]["id"] == products["studio"].pk


def test_promoting_a_variant_makes_it_the_default_in_one_action(catalog):
    sonix = BoostRule.objects.create(name="Sonix first", target="brand", brand=catalog.brands["sonix"], factor=50,
                                     is_active=False)
    experiment = running_experiment(boosts=[sonix], description_weight=Decimal("0.5"), min_word_size_for_1_typo=20,
                                    min_word_size_for_2_typos=25)
    assert resolve("headphnes", variant=f"{experiment.pk}:b").tuning.typos.min_word_size_for_1_typo == 20
    assert resolve("headphnes", variant=f"{experiment.pk}:a").tuning.typos == resolve("headphnes").tuning.typos
    SemanticSettings.objects.create(enabled=False)  # the live settings a variant does not change are the live ones
    forget_cached_rules()
    assert resolve("headphnes", variant=f"{experiment.pk}:b").tuning.semantic is False
    experiment.promote("b")
    forget_cached_rules()
    experiment.refresh_from_db()
    assert (experiment.status, experiment.promoted_variant) == (Experiment.Status.PROMOTED, "b")
    sonix.refresh_from_db()
    assert sonix.is_active and FieldWeights.live().get().description == Decimal("0.5")
    typos = TypoSettings.live().get()
    assert (typos.min_word_size_for_1_typo, typos.min_word_size_for_2_typos) == (20, 25)
    assert resolve("headphnes").tuning.typos.min_word_size_for_1_typo == 20
    assert Client().get("/api/search", {"q": "headphones"}).json()["hits"][0]["id"] == catalog.products["anc"].pk


def test_the_admin_starts_stops_and_promotes_with_one_button_and_refuses_a_second_running(client):
    restore_roles()
    merchandiser = User.objects.create_user("merch", password="unused-password")
    assign_role(merchandiser, MERCHANDISER)
    client.force_login(merchandiser)
    first = Experiment.objects.create(name="First")
    second = Experiment.objects.create(name="Second")
    change = reverse("admin:search_experiment_change", args=[first.pk])

    def act(name: str, experiment: Experiment, *args: str) -> str:
        return reverse(f"admin:search_experiment_{name}", args=[experiment.pk, *args])

    assert client.post(act("start", first)).status_code == 302
    first.refresh_from_db()
    assert first.status == Experiment.Status.RUNNING
    refused = client.post(act("start", second), follow=True)
    assert "is running: stop it first" in refused.content.decode()
    second.refresh_from_db()
    assert second.status == Experiment.Status.DRAFT
    page = client.get(change)
    assert page.status_code == 200 and "too small" in page.content.decode()  # no searches yet
    client.post(act("stop", first))
    first.refresh_from_db()
    assert first.status == Experiment.Status.STOPPED
    client.post(act("promote", first, "a"))
    first.refresh_from_db()
    assert (first.status, first.promoted_variant) == (Experiment.Status.PROMOTED, "a")
    assert client.get(act("promote", first, "b")).status_code == 405  # a change is a POST


# --- The report, from simulated shoppers ---------------------------------------------------

RATES = {  # per variant: click-through, add to cart, purchase (each a share of all searches)
    "a": {"click": 0.30, "cart": 0.12, "buy": 0.06},
    "b": {"click": 0.40, "cart": 0.12, "buy": 0.06},
}
PRICE = Decimal("40.00")


def simulate_shoppers(experiment: Experiment, searches_per_variant: int, seed: int) -> None:
    """Sessions that search once each, then click, add to cart and buy with the known rates:
    events through the analytics task, order lines carrying the search tokens."""
    rng = random.Random(seed)
    started = experiment.started_at + timedelta(minutes=1)
    searches, clicks, carts, tokens_bought = [], [], [], []
    for key, rates in RATES.items():
        for i in range(searches_per_variant):
            token = str(uuid.UUID(int=rng.getrandbits(128)))
            at = (started + timedelta(seconds=i)).isoformat()
            searches.append({"token": token, "query": rng.choice(["tee", "lamp", "headphones"]), "result_count": 5,
                             "session_hash": f"{key}{i}", "created_at": at, "variant": f"{experiment.pk}:{key}"})
            roll = rng.random()
            if roll < rates["click"]:
                clicks.append({"search_token": token, "product_id": 1, "position": rng.randint(1, 5), "created_at": at})
            if roll < rates["cart"]:
                carts.append({"search_token": token, "product_id": 1, "quantity": 1, "created_at": at})
            if roll < rates["buy"]:
                tokens_bought.append(token)
    record_events(searches, clicks, carts)
    order = Order.objects.create(
        email="sim@example.com", idempotency_key=uuid.uuid4(), currency="USD", subtotal=0, shipping_cost=0, tax=0,
        total=0, shipping_method="standard", shipping_method_label="Standard", full_name="Sim", address_line1="1 Road",
        city="Town", postal_code="1", country="US", status=Order.Status.PAID)
    OrderLine.objects.bulk_create([
        OrderLine(order=order, product_name="Simulated", sku="SIM", unit_price=PRICE, quantity=1, line_total=PRICE,
                  search_token=token) for token in tokens_bought])


def test_the_report_recovers_known_rates_and_tells_a_real_difference_from_none(transactional_db):
    experiment = Experiment.objects.create(name="Simulated")
    experiment.start()
    simulate_shoppers(experiment, searches_per_variant=1500, seed=20)
    report = experiment_report(experiment, now=timezone.now() + timedelta(hours=2))

    assert report.variants["a"].searches == report.variants["b"].searches == 1500
    for name, rate in [("click-through rate", "click"), ("add-to-cart rate", "cart"), ("conversion rate", "buy")]:
        comparison = report.comparison(name)
        for key in "ab":  # each true rate lies within its variant's 95 % interval
            estimate = getattr(comparison, key)
            assert estimate.low <= RATES[key][rate] <= estimate.high, (name, key, estimate)
    revenue = report.comparison("revenue per search")
    for key in "ab":
        true_mean = float(PRICE) * RATES[key]["buy"]
        estimate = getattr(revenue, key)
        assert estimate.low <= true_mean <= estimate.high, (key, estimate)
    assert report.comparison("click-through rate").verdict == SIGNIFICANT  # 30 % → 40 %
    assert report.comparison("click-through rate").difference.low > 0
    assert report.comparison("add-to-cart rate").verdict == NOT_SIGNIFICANT  # the same rate in both
    assert report.comparison("conversion rate").verdict == NOT_SIGNIFICANT
    assert revenue.verdict == NOT_SIGNIFICANT and revenue.money
    assert report.variants["b"].revenue == PRICE * report.variants["b"].converted  # Decimal money

    small = Experiment.objects.create(name="Just started")
    experiment.stop()
    small.start()
    simulate_shoppers(small, searches_per_variant=60, seed=21)
    early = experiment_report(small, now=timezone.now() + timedelta(hours=2))
    assert {c.verdict for c in early.comparisons} == {TOO_SMALL}
