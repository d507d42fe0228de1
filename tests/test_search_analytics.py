"""Search analytics: searches and clicks recorded off the request path (buffered, then
published in batches by a thread: Celery eager here, a real worker in one test), the click
endpoint, the report's numbers, retention, and popular queries feeding autocomplete.

The events are written by that thread, on its own database connection, so the tests that
read them are transactional (``eager_tasks``) and call ``flush_analytics()`` first."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from decimal import Decimal
from importlib import import_module

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from search.analytics.models import ClickEvent, SearchEvent
from search.analytics.recorder import (
    click_url,
    flush_analytics,
    forget_popular_queries,
    popular_queries,
    record_click,
    record_search,
    session_hash,
)
from search.analytics.reports import search_report
from search.query.request import SearchRequest
from search.query.result import SearchResult
from search.services import autocomplete
from store.roles import MERCHANDISER, assign_role
from tests.catalog import build_catalog
from tests.conftest import restore_roles, sync_index

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager_tasks(transactional_db):
    """Run Celery tasks in-process, as the embedded run does (the test settings name a
    Redis broker that no worker of this test consumes). The analytics thread writes the
    events on its own connection, committed: hence a transactional test (its teardown
    empties the tables), and the flushes around it so that no other test's events are
    written into this one, nor this one's left for the next."""
    from config.celery import app

    assert flush_analytics()
    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    try:
        yield
        assert flush_analytics()
    finally:
        app.conf.task_always_eager, app.conf.task_eager_propagates = previous


def searches_and_clicks_written() -> None:
    """The events recorded so far are in the database (published and written by the thread)."""
    assert flush_analytics(timeout=20), "the analytics thread did not write the events in time"


@pytest.fixture(autouse=True)
def no_cached_popular_queries():
    forget_popular_queries()
    yield
    forget_popular_queries()


def shopper_request(session: bool = True):
    request = RequestFactory().get("/search", {"q": "x"}, REMOTE_ADDR="203.0.113.7")
    if session:
        request.session = import_module(django_settings.SESSION_ENGINE).SessionStore()
        request.session.create()
    return request


def searched(text: str, total: int, http_request=None, redirect: str | None = None, **kwargs) -> str:
    """Record one results page shown for ``text`` with ``total`` results."""
    search_request = SearchRequest(text=text, **kwargs)
    result = SearchResult(request=search_request, total=total, hits=[], redirect=redirect)
    return record_search(http_request or shopper_request(), search_request, result, latency_ms=12.4)


def test_a_search_is_recorded_normalised_without_personal_data(eager_tasks):
    http_request = shopper_request()
    token = searched("  Red   T-Shirt ", 7, http_request, selected={"brand": ("acme",), "price": (None, Decimal("30")),
                                                                "attributes": (("color", ("Red",)),)},
                     sort="price_asc", page=2)
    searches_and_clicks_written()
    event = SearchEvent.objects.get()
    assert str(event.token) == token
    assert (event.query, event.result_count, event.page, event.latency_ms) == ("red t-shirt", 7, 2, 12)
    assert event.filters == {"brands": ["acme"], "price_max": "30.00", "attributes": {"color": ["Red"]},
                             "sort": "price_asc"}
    key = http_request.session.session_key
    assert event.session_hash == session_hash(http_request) and key not in event.session_hash
    stored = " ".join(str(getattr(event, f.attname)) for f in SearchEvent._meta.fields)
    assert "203.0.113.7" not in stored
    assert not any("ip" in f.name.split("_") or "user" in f.name for f in SearchEvent._meta.fields)


def test_nothing_is_recorded_for_empty_text_or_autocomplete(eager_tasks):
    assert searched("   ", 3) == ""
    assert searched("tee", 3, autocomplete=True) == ""
    searches_and_clicks_written()
    assert not SearchEvent.objects.exists()
    assert searched("tee\x00shirt", 3)  # control characters never reach the database
    searches_and_clicks_written()
    assert SearchEvent.objects.get().query == "tee shirt"


def test_the_click_endpoint_records_and_redirects_only_to_the_product(eager_tasks, client):
    catalog = build_catalog()
    crew = catalog.products["crew"]
    token = searched("crew", 2)
    response = client.get(click_url(token, crew.pk, 1, "crew"))
    assert response.status_code == 302 and response["Location"] == crew.get_absolute_url()
    assert "no-cache" in response["Cache-Control"]
    searches_and_clicks_written()
    click = ClickEvent.objects.get()
    stored = (str(click.search_token), click.query, click.product_id, click.position)
    assert stored == (token, "crew", crew.pk, 1)

    assert client.post(reverse("search_click"), {"t": token, "p": crew.pk, "pos": "3"}).status_code == 204
    searches_and_clicks_written()
    assert ClickEvent.objects.count() == 2
    # a click whose search is unknown keeps the query it came with
    client.get(reverse("search_click"), {"p": crew.pk, "pos": "2", "q": "Crew  Neck"})
    searches_and_clicks_written()
    assert ClickEvent.objects.filter(search_token__isnull=True).get().query == "crew neck"
    # refused: no product, a bogus id, an inactive product; HEAD records nothing
    assert client.get(reverse("search_click"), {"t": token}).status_code == 400
    assert client.get(reverse("search_click"), {"p": "javascript:alert(1)"}).status_code == 400
    assert client.get(reverse("search_click"), {"p": catalog.products["hidden"].pk}).status_code == 404
    assert client.head(reverse("search_click"), {"p": crew.pk}).status_code == 302
    # a forged token or position is dropped, not stored
    client.get(reverse("search_click"), {"p": crew.pk, "t": "not-a-uuid", "pos": "999999999"})
    searches_and_clicks_written()
    assert ClickEvent.objects.count() == 4
    assert ClickEvent.objects.order_by("-id").values_list("search_token", "position").first() == (None, None)


def test_report_counts_match_the_searches_and_clicks_made(eager_tasks, client):
    catalog = build_catalog()
    crew, vneck = catalog.products["crew"], catalog.products["vneck"]
    tee_tokens = [searched("tee", 5) for _ in range(6)]
    for token in tee_tokens[:2]:  # two of the six searches got clicks: one of them two
        client.get(click_url(token, crew.pk, 1))
    client.get(click_url(tee_tokens[0], vneck.pk, 2))
    for _ in range(4):
        searched("sweater", 3)  # searched often, never clicked
    for _ in range(3):
        searched("unicorn", 0)
    searched("returns", 0, redirect="/pages/returns/")  # answered by a redirect: not a zero result
    searched("tee", 5, page=2)  # a later page: recorded, not a new search
    old = searched("tee", 5)
    searches_and_clicks_written()
    SearchEvent.objects.filter(token=old).update(created_at=timezone.now() - timedelta(days=40))

    now = timezone.now()
    report = search_report(now - timedelta(days=30), now + timedelta(minutes=1), min_searches=4, max_ctr=0.5)
    totals = (report.searches, report.clicked_searches, report.zero_result_searches, report.clicks)
    assert totals == (14, 2, 3, 3)
    rows = {r.query: r for r in report.top_queries}
    assert [r.query for r in report.top_queries] == ["tee", "sweater", "unicorn", "returns"]
    assert (rows["tee"].searches, rows["tee"].clicked_searches, rows["tee"].clicks) == (6, 2, 3)
    assert rows["tee"].ctr_percent == "33 %"
    assert [(p.name, p.clicks) for p in rows["tee"].products] == [(crew.name, 2), (vneck.name, 1)]
    assert [(r.query, r.zero_results) for r in report.zero_result_queries] == [("unicorn", 3)]
    # at least 4 searches and under 50 % clicked: tee (33 %) and sweater (0 %), lowest first
    assert [(r.query, r.searches) for r in report.low_ctr_queries] == [("sweater", 4), ("tee", 6)]
    assert sum(day.searches for day in report.days) == 14


def test_the_report_page_shows_the_numbers_to_a_merchandiser(eager_tasks, client):
    restore_roles()  # a transactional test: an earlier one's flush may have removed the groups
    catalog = build_catalog()
    for _ in range(3):
        token = searched("tee", 4)
    searched("unicorn <b>", 0)
    client.get(click_url(token, catalog.products["crew"].pk, 1))
    searches_and_clicks_written()
    merchandiser = User.objects.create_user("merch", password="unused-password")
    assign_role(merchandiser, MERCHANDISER)
    client.force_login(merchandiser)
    page = client.get(reverse("admin:search_report"), {"min_searches": "2", "max_ctr": "50"})
    assert page.status_code == 200
    html = page.content.decode()
    assert '<strong id="total-searches">4</strong>' in html
    assert '<strong id="total-zero">1</strong>' in html
    assert '<strong id="total-clicks">1</strong>' in html
    assert 'id="top-queries-chart"' in html and "<rect" in html  # the server-drawn chart
    assert "unicorn &lt;b&gt;" in html and "unicorn <b>" not in html  # queries are escaped
    assert 'data-query="tee"' in html and "33 %" in html
    reversed_period = client.get(reverse("admin:search_report"), {"start": "2030-01-02", "end": "2030-01-01"})
    assert reversed_period.status_code == 200
    assert "The first day is after the last day." in reversed_period.content.decode()


def test_purge_removes_old_events_only(eager_tasks, settings):
    settings.SEARCH_ANALYTICS_RETENTION_DAYS = 30
    old, recent = searched("tee", 1), searched("tee", 1)
    record_click(None, 1, 1, old)
    record_click(None, 2, 1, recent)
    searches_and_clicks_written()
    long_ago = timezone.now() - timedelta(days=31)
    SearchEvent.objects.filter(token=old).update(created_at=long_ago)
    ClickEvent.objects.filter(search_token=old).update(created_at=long_ago)

    call_command("purge_search_analytics")
    assert [str(t) for t in SearchEvent.objects.values_list("token", flat=True)] == [recent]
    assert list(ClickEvent.objects.values_list("product_id", flat=True)) == [2]
    SearchEvent.objects.update(created_at=timezone.now() - timedelta(days=5))
    call_command("purge_search_analytics", "--days", "7")
    assert SearchEvent.objects.count() == 1
    call_command("purge_search_analytics", "--days", "3")
    assert not SearchEvent.objects.exists() and ClickEvent.objects.count() == 1  # the click is recent


def test_popular_queries_are_recent_successful_and_cached(eager_tasks):
    for text, total, times in [("tee shirt", 5, 4), ("tee", 9, 3), ("teeth whitening", 0, 9),
                               ("teapot", 2, 2), ("tea", 2, 1)]:
        for _ in range(times):
            searched(text, total)
    stale = [searched("teepee", 3) for _ in range(5)]
    searches_and_clicks_written()
    SearchEvent.objects.filter(token__in=stale).update(created_at=timezone.now() - timedelta(days=31))

    assert popular_queries("te", 5) == ["tee shirt", "tee", "teapot"]  # no zero-result, once-only or old ones
    assert popular_queries("TEE ", 5) == ["tee shirt"]  # the prefix itself is not suggested
    assert popular_queries("t", 5) == []  # too short to suggest
    for _ in range(9):
        searched("teal", 4)
    searches_and_clicks_written()
    assert "teal" not in popular_queries("te", 5)  # cached for a few minutes
    forget_popular_queries()
    assert popular_queries("te", 2) == ["teal", "tee shirt"]


def test_autocomplete_suggests_popular_queries(eager_tasks, search_backend):
    build_catalog()
    sync_index()
    for _ in range(3):
        searched("sneakers white", 2)
    searches_and_clicks_written()
    suggestions = autocomplete("sne")
    assert suggestions.queries == ["sneakers white"]
    assert suggestions.products  # products still come from the engine


@pytest.mark.parametrize("search_backend", ["tantivy"], indirect=True)
def test_recording_goes_through_a_real_celery_worker(celery_worker):
    """Not eager: the search only publishes; the worker process writes the row."""
    started = time.perf_counter()
    token = searched("tee", 3)
    assert token and time.perf_counter() - started < 0.5
    deadline = time.monotonic() + 20
    while not SearchEvent.objects.filter(token=token).exists():
        assert time.monotonic() < deadline, "the worker did not record the search"
        time.sleep(0.1)
    record_click(None, 42, 1, token)
    while not ClickEvent.objects.filter(search_token=token).exists():
        assert time.monotonic() < deadline, "the worker did not record the click"
        time.sleep(0.1)
    assert ClickEvent.objects.get(search_token=token).query == "tee"


def test_the_search_page_and_api_record_searches_and_route_clicks(eager_tasks, client, search_backend):
    """End to end through the views: each results page is one event, each result link
    records its click and lands on the product."""
    from search.analytics.models import ClickEvent, SearchEvent
    from tests.catalog import build_catalog
    from tests.conftest import sync_index

    catalog = build_catalog()
    sync_index()
    page = client.get("/search", {"q": "Merino  SWEATER"})
    assert page.status_code == 200
    api = client.get("/api/search", {"q": "merino sweater"}).json()
    searches_and_clicks_written()
    assert SearchEvent.objects.filter(query="merino sweater").count() == 2
    link = api["hits"][0]["click_url"]
    assert link.startswith("/search/click?")
    assert 'data-click-url="/search/click?' in page.content.decode()  # the page's beacon target
    landing = client.get(link)  # what a client without beacons follows
    assert landing.status_code == 302 and landing.url == catalog.products["merino"].get_absolute_url()
    searches_and_clicks_written()
    click = ClickEvent.objects.get()
    assert (click.product_id, click.position) == (catalog.products["merino"].pk, 1)


def report_now():
    now = timezone.now()
    return search_report(now - timedelta(days=1), now + timedelta(minutes=1), min_searches=1, max_ctr=1.0)


def test_a_burst_of_as_you_type_searches_from_one_session_is_one_search(eager_tasks):
    """The reactive page searches at every pause in the typing: one shopper action, counted
    once, as its last query; a click on any of its pages counts for it."""
    catalog = build_catalog()
    shopper = shopper_request()
    tokens = [searched(text, total, shopper) for text, total in
              [("hea", 30), ("headph", 4), ("headphone", 3), ("headphones", 3)]]
    client_token = searched("headphones", 3, shopper_request())  # another shopper, same query
    record_click(None, catalog.products["anc"].pk, 1, tokens[2])  # clicked before the last keystroke landed
    searches_and_clicks_written()
    report = report_now()
    assert (report.searches, report.clicked_searches) == (2, 1)
    assert [(r.query, r.searches, r.clicked_searches, r.clicks) for r in report.top_queries] == [
        ("headphones", 2, 1, 1)]
    assert ClickEvent.objects.get().query == "headphones"  # the click finds its search's action
    assert SearchEvent.objects.count() == 5 and client_token  # every page shown is still recorded


def test_the_same_query_from_two_sessions_is_two_searches(eager_tasks):
    searched("merino sweater", 1, shopper_request())
    searched("merino sweater", 1, shopper_request())
    searches_and_clicks_written()
    assert report_now().searches == 2


@pytest.mark.parametrize("search_backend", ["tantivy"], indirect=True)
def test_a_repeated_api_poll_is_one_search(eager_tasks, client, search_backend):
    """A monitor polling the API (no cookies at all) is one search, not one per request;
    the same query from another address is another search."""
    build_catalog()
    sync_index()
    for _ in range(5):
        assert client.get("/api/search", {"q": "merino sweater"}).status_code == 200
        client.cookies.clear()
    client.get("/api/search", {"q": "merino sweater"}, REMOTE_ADDR="198.51.100.9")
    searches_and_clicks_written()
    assert SearchEvent.objects.count() == 6
    assert [(r.query, r.searches) for r in report_now().top_queries] == [("merino sweater", 2)]


def test_only_repeats_within_the_window_and_with_the_same_filters_collapse(eager_tasks):
    """Each search within COLLAPSE_SECONDS of the session's previous one, with the same
    filters and a query that extends, shortens or repeats it, replaces it."""
    from search.analytics.recorder import session_hash as hash_of
    from search.analytics.tasks import COLLAPSE_SECONDS, record_events

    session = hash_of(shopper_request())
    start = timezone.now()

    def event(query: str, seconds: float, **filters) -> dict:
        return {"token": str(uuid.uuid4()), "query": query, "filters": filters, "result_count": 1,
                "session_hash": session, "created_at": (start + timedelta(seconds=seconds)).isoformat()}

    gap = COLLAPSE_SECONDS
    record_events([event("tee", 0), event("tee", gap - 1), event("tee", 2 * gap + 1),  # 2: the last came late
                   event("tee", 2 * gap + 2, brands=["acme"]),  # filtered: another search
                   event("lamp", 2 * gap + 3), event("lamp shade", 2 * gap + 4)])  # another query, then extended
    # arriving out of order (another process's batch): it still joins its neighbours
    record_events([event("lamp sh", 2 * gap + 3.5)])
    report = search_report(start - timedelta(minutes=1), start + timedelta(minutes=5), min_searches=1)
    assert sorted((r.query, r.searches) for r in report.top_queries) == [("lamp shade", 1), ("tee", 3)]
