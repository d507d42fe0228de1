"""Analytics record what each search did to its query (corrected, matched only with typos, words
ignored), and the report lists those queries as not found as typed, so that a typo's false
positive does not pass for demand met. Engine-independent: run on tantivy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from search.analytics.models import SearchEvent
from search.analytics.reports import search_report
from store.roles import MERCHANDISER, assign_role
from tests.catalog import build_catalog
from tests.conftest import restore_roles, sync_index
from tests.test_search_analytics import eager_tasks, searches_and_clicks_written  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db


def test_each_search_records_what_it_did_to_the_query_and_the_report_shows_it(eager_tasks, client,  # noqa: F811
                                                                               tantivy_backend):
    restore_roles()
    build_catalog()
    sync_index()
    client.get(reverse("search"), {"q": "sweter merino"})  # matched only with typos
    client.get(reverse("api-search"), {"q": "runnig"})  # the same, through the API
    client.get(reverse("api-search"), {"q": "zorblax headphones"})  # a word ignored
    client.get(reverse("search"), {"q": "merino sweater"})  # as typed
    searches_and_clicks_written()
    events = {e.query: e for e in SearchEvent.objects.all()}
    assert set(events) == {"sweter merino", "runnig", "zorblax headphones", "merino sweater"}
    assert (events["sweter merino"].corrected_query, events["sweter merino"].typo_only) == ("sweater merino", True)
    assert (events["runnig"].corrected_query, events["runnig"].typo_only) == ("running", True)
    assert events["zorblax headphones"].ignored_words == ["zorblax"]
    assert events["zorblax headphones"].corrected_query == "" and not events["zorblax headphones"].typo_only
    plain = events["merino sweater"]
    assert (plain.corrected_query, plain.typo_only, plain.ignored_words) == ("", False, [])

    now = timezone.now()
    report = search_report(now - timedelta(days=1), now + timedelta(minutes=1), min_searches=1)
    assert (report.searches, report.corrected_searches, report.relaxed_searches) == (4, 2, 1)
    rows = {r.query: r for r in report.rewritten_queries}
    assert set(rows) == {"sweter merino", "runnig", "zorblax headphones"}
    assert (rows["sweter merino"].corrected_to, rows["sweter merino"].typo_only) == ("sweater merino", 1)
    assert (rows["zorblax headphones"].ignored, rows["zorblax headphones"].relaxed) == ("zorblax", 1)

    merchandiser = User.objects.create_user("merch", password="unused-password")
    assign_role(merchandiser, MERCHANDISER)
    client.force_login(merchandiser)
    html = client.get(reverse("admin:search_report")).content.decode()
    assert '<strong id="total-corrected">2</strong>' in html and '<strong id="total-relaxed">1</strong>' in html
    table = html[html.index('id="rewritten-queries"'):]
    table = table[:table.index("</table>")]
    assert 'data-query="sweter merino"' in table and "“sweater merino” (typos)" in table
    assert 'data-query="zorblax headphones"' in table and "ignoring “zorblax”" in table
    assert 'data-query="merino sweater"' not in table
