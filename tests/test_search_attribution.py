"""Attribution: the search whose results a shopper opened a product from is carried through
the cart to the order line (search.analytics.attribution), and the figures of each query
(search.analytics.stats) count its clicks, adds to cart, sales and revenue; purging old events
leaves the orders as they were. Through the real pages: the search API, the click endpoint,
the cart and the checkout."""

from __future__ import annotations

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
from search.analytics.stats import figures, sum_day, sum_settled_days, total
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
    assert sum_settled_days() == 3 and SearchStatsDay.objects.count() == 3  # 5, 4 and 3 days ago
    SearchEvent.objects.all().delete()  # nothing left to compute from: the sums answer
    assert figures(start, end, ("query",)) == from_events
    assert total(start, end).revenue == shopper.catalog.products["merino"].price
    assert sum_settled_days() == 0  # each day once
    assert sum_day(timezone.localtime(days_ago).date()) == 0  # re-summed from what is left
