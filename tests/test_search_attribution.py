"""Attribution: the search whose results a shopper opened a product from is carried through
the cart to the order line (search.analytics.attribution), and the figures of each query
(search.analytics.stats) count its clicks, adds to cart, sales and revenue; purging old events
leaves the orders as they were. Through the real pages: the search API, the click endpoint,
the cart and the checkout."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from checkout.models import Order, OrderLine
from checkout.orders import transition
from search.analytics.attribution import ATTRIBUTION_SECONDS, SESSION_KEY
from search.analytics.models import CartEvent, ClickEvent, SearchEvent, SearchStatsDay
from search.analytics.performance import query_performance
from search.analytics.recorder import flush_analytics
from search.analytics.stats import figures, sum_day, sum_days, sum_of, total
from tests.checkout_support import checkout_form, make_user
from tests.test_search_analytics import eager_tasks  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.checkout_fixtures"]


def written() -> None:
    assert flush_analytics(timeout=20), "the analytics thread did not write the events in time"


@pytest.fixture
def shopper(client, eager_tasks, one_engine_catalog, checkout_settings):  # noqa: F811 - the fixture
    user = make_user("grace", "grace@example.com")
    client.force_login(user)
    client.catalog = one_engine_catalog
    return client


def search_and_open(client, text: str, key: str | None) -> str:
    """Search ``text`` through the API; open the result ``key`` (a catalog product) through its
    link, as a shopper does. Returns the link's search token."""
    hits = client.get("/api/search", {"q": text}).json()["hits"]
    if key is None:
        return ""
    product = client.catalog.products[key]
    link = next(h["click_url"] for h in hits if h["id"] == product.pk)
    assert client.get(link).status_code == 302
    return dict(part.split("=") for part in link.split("?")[1].split("&"))["t"]


def add_to_cart(client, key: str, quantity: int = 1) -> None:
    response = client.post(reverse("cart_add"), {"product": client.catalog.products[key].pk, "quantity": quantity})
    assert response.status_code == 302


def place_order(client) -> Order:
    assert client.post(reverse("checkout"), checkout_form()).status_code == 302
    return Order.objects.latest("id")


def line_tokens(order: Order) -> dict[str, str | None]:
    return {line.product_name: (str(line.search_token) if line.search_token else None) for line in order.lines.all()}


def test_an_order_line_is_credited_to_the_search_that_led_to_it_not_to_a_later_one(shopper):
    products = shopper.catalog.products
    merino_search = search_and_open(shopper, "merino sweater", "merino")
    add_to_cart(shopper, "merino")
    # Later, unrelated searches: one opens another product, one opens nothing.
    shoes_search = search_and_open(shopper, "running shoes", "runner")
    search_and_open(shopper, "sweater", None)
    tee_search = search_and_open(shopper, "t-shirt", "crew")
    add_to_cart(shopper, "crew", 2)
    add_to_cart(shopper, "vneck")  # never opened from a search
    order = place_order(shopper)
    written()

    assert line_tokens(order) == {products["merino"].name: merino_search, products["crew"].name: tee_search,
                                  products["vneck"].name: None}
    assert shoes_search not in line_tokens(order).values()
    assert sorted((str(e.search_token), e.product_id, e.quantity) for e in CartEvent.objects.all()) == sorted(
        [(merino_search, products["merino"].pk, 1), (tee_search, products["crew"].pk, 2)])

    # Paid: the queries that led to the lines get the sale and its revenue, in Decimal.
    transition(order, Order.Status.PAID)
    now = timezone.now()
    rows = {r.query: r.figures for r in query_performance(now - timedelta(hours=1), now + timedelta(minutes=1))}
    merino, shoes, tee = rows["merino sweater"], rows["running shoes"], rows["t-shirt"]
    assert (merino.searches, merino.clicked, merino.carted, merino.converted) == (1, 1, 1, 1)
    assert merino.revenue == products["merino"].price and merino.revenue_per_search == Decimal("89.00")
    assert tee.revenue == products["crew"].price * 2 and isinstance(tee.revenue, Decimal)
    assert (shoes.clicked, shoes.carted, shoes.converted, shoes.revenue) == (1, 0, 0, 0)
    assert rows["sweater"].clicked == 0
    assert merino.average_position == ClickEvent.objects.get(product_id=products["merino"].pk).position


def test_a_click_older_than_the_window_or_with_a_forged_token_credits_nothing(shopper):
    merino = shopper.catalog.products["merino"]
    shopper.get(reverse("search_click"), {"p": merino.pk, "t": "not-a-token"})
    assert SESSION_KEY not in shopper.session
    search_and_open(shopper, "merino sweater", "merino")
    session = shopper.session
    token, opened_at = session[SESSION_KEY][str(merino.pk)]
    session[SESSION_KEY] = {str(merino.pk): [token, opened_at - ATTRIBUTION_SECONDS - 1]}
    session.save()
    add_to_cart(shopper, "merino")
    order = place_order(shopper)
    written()
    assert line_tokens(order) == {merino.name: None}
    assert not CartEvent.objects.exists()


def test_purging_old_events_leaves_the_orders_intact(shopper, settings):
    token = search_and_open(shopper, "merino sweater", "merino")
    add_to_cart(shopper, "merino")
    order = transition(place_order(shopper), Order.Status.PAID)
    written()
    before = list(OrderLine.objects.values_list("pk", "search_token", "line_total", "product_name"))
    long_ago = timezone.now() - timedelta(days=settings.SEARCH_ANALYTICS_RETENTION_DAYS + 1)
    for model in (SearchEvent, ClickEvent, CartEvent):
        model.objects.update(created_at=long_ago)

    call_command("purge_search_analytics")
    assert not SearchEvent.objects.exists() and not ClickEvent.objects.exists() and not CartEvent.objects.exists()
    assert list(OrderLine.objects.values_list("pk", "search_token", "line_total", "product_name")) == before
    assert str(before[0][1]) == token
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.total > 0


def test_daily_sums_give_the_figures_the_events_give(shopper):
    """A settled day's figures, once summed, are read from SearchStatsDay: the same numbers."""
    search_and_open(shopper, "merino sweater", "merino")
    add_to_cart(shopper, "merino")
    transition(place_order(shopper), Order.Status.PAID)
    search_and_open(shopper, "t-shirt", "crew")
    search_and_open(shopper, "unicorn", None)
    written()
    days_ago = timezone.now() - timedelta(days=5)
    for model in (SearchEvent, ClickEvent, CartEvent):
        model.objects.update(created_at=days_ago)
    Order.objects.update(created_at=days_ago)
    start, end = days_ago - timedelta(days=2), timezone.now()
    from_events = figures(start, end, ("query",))
    assert sum_days() == 6 and SearchStatsDay.objects.count() == 3  # 5 days ago to today; 3 queries
    assert sum_days() == 3  # again: today, yesterday and the day before, not settled yet; the others are final
    SearchEvent.objects.all().delete()  # nothing left to compute from: the sums answer
    assert figures(start, end, ("query",)) == from_events
    assert total(start, end).revenue == shopper.catalog.products["merino"].price
    assert total(start, end) == sum_of(from_events.values()) and total(start, end).searches == 3  # every row summed
    assert sum_day(timezone.localtime(days_ago).date()) == 0  # re-summed from what is left


# --- The reports a merchandiser reads --------------------------------------------------------


def events_at(at, query: str, *, clicked: bool = False, sold: Decimal | None = None, zero: bool = False) -> None:
    """One search (its own session) at ``at``, maybe clicked, maybe sold, written by the analytics task."""
    from search.analytics.tasks import record_events

    token = str(uuid.uuid4())
    record_events([{"token": token, "query": query, "result_count": 0 if zero else 3, "session_hash": token[:8],
                    "created_at": at.isoformat()}],
                  [{"search_token": token, "product_id": 1, "position": 2, "created_at": at.isoformat()}] if clicked
                  else [])
    if sold is not None:
        order = Order.objects.create(
            email="r@example.com", idempotency_key=uuid.uuid4(), currency="USD", subtotal=sold, shipping_cost=0,
            tax=0, total=sold, shipping_method="standard", shipping_method_label="Standard", full_name="R",
            address_line1="1 Road", city="Town", postal_code="1", country="US", status=Order.Status.PAID)
        Order.objects.filter(pk=order.pk).update(created_at=at)
        OrderLine.objects.create(order=order, product_name="P", sku="P", unit_price=sold, quantity=1, line_total=sold,
                                 search_token=token)


def test_each_rule_shows_its_queries_before_and_after_it_went_live(transactional_db):
    from search.analytics.performance import rule_performance
    from search.merchandising.models import PinRule, SynonymSet

    now = timezone.now()
    live_at = now - timedelta(days=2)
    PinRule.objects.create(query="tee", starts_at=live_at)
    SynonymSet.objects.create(terms="tee, t-shirt", starts_at=live_at)
    for _ in range(4):
        events_at(live_at - timedelta(days=1), "tee")  # the day before: never clicked
    events_at(live_at - timedelta(days=1), "teeth whitening", clicked=True)  # holds "tee" only as a prefix
    events_at(live_at, "tee", clicked=True)  # the day it went live: left out
    for i in range(3):
        events_at(live_at + timedelta(days=1), "tee", clicked=True, sold=Decimal("30.00") if i == 0 else None)
    events_at(live_at + timedelta(days=1), "red t-shirt", clicked=True)
    measured = {m.kind: m for m in rule_performance(now)}
    pin, synonyms = measured["pin"], measured["synonyms"]
    assert (pin.before.searches, pin.before.clicked, pin.after.searches, pin.after.clicked) == (4, 0, 3, 3)
    assert (pin.after.converted, pin.after.revenue, pin.after.revenue_per_search) == (1, Decimal("30.00"),
                                                                                      Decimal("10.00"))
    assert (synonyms.before.searches, synonyms.after.searches, synonyms.after.clicked) == (4, 4, 4)
    assert pin.days == 2 and synonyms.affects == "queries with “tee”, “t-shirt”"


def test_the_report_page_charts_the_trend_exports_csv_and_refuses_bad_ranges(eager_tasks, client):  # noqa: F811
    from django.contrib.auth.models import User

    from store.roles import MERCHANDISER, assign_role
    from tests.conftest import restore_roles

    restore_roles()
    now = timezone.now()
    events_at(now - timedelta(days=2), "=HYPERLINK(\"http://evil\")", zero=True)
    events_at(now - timedelta(days=1), "lamp", clicked=True, sold=Decimal("12.50"))
    events_at(now - timedelta(days=1), "lamp")
    merchandiser = User.objects.create_user("merch", password="unused-password")
    assign_role(merchandiser, MERCHANDISER)
    client.force_login(merchandiser)

    page = client.get(reverse("admin:search_report"))
    html = page.content.decode()
    assert page.status_code == 200
    assert '<div class="report-chart" id="trend-chart"' in html and "<svg" in html and "<path" in html  # matplotlib
    assert "Zero-result rate" in html and "Revenue from search (USD)" in html
    assert '<strong id="total-revenue">12.50</strong>' in html and '<strong id="total-converted">1</strong>' in html
    assert '<tr data-query="lamp">' in html and '<td class="revenue-per-search">6.25</td>' in html

    export = client.get(reverse("admin:search_report_csv"))
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    lines = export.content.decode().splitlines()
    assert lines[0].startswith("query,searches,zero-result searches,click-through rate")
    assert "lamp,2,0,0.5000,0.0000,0.5000,12.50,6.25,2.0" in lines
    assert any(line.startswith("\"'=HYPERLINK(") for line in lines)  # never a formula in a spreadsheet

    for params, message in [({"start": "2030-01-02", "end": "2030-01-01"}, "The first day is after the last day."),
                            ({"start": "2020-01-01", "end": "2023-01-01"}, "Choose at most 400 days"),
                            ({"start": "not a date"}, "Enter a valid date.")]:
        refused = client.get(reverse("admin:search_report"), params)
        assert refused.status_code == 200 and message in refused.content.decode()
        assert 'id="query-performance"' not in refused.content.decode()
        bad_csv = client.get(reverse("admin:search_report_csv"), params)
        assert bad_csv.status_code == 400 and message in bad_csv.content.decode()
    assert client.get(reverse("admin:search_rule_report")).status_code == 200
