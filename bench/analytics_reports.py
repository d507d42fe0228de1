"""Benchmark: each search report over 1,000,000 search events, on PostgreSQL.

    .venv/bin/python bench/analytics_reports.py [--events 1000000] [--rounds 5] [--keep]

A database of its own (``h20_bench``, migrated by this tree, dropped afterwards unless
``--keep``) filled in SQL with ``--events`` searches spread evenly over the last 30 days: 5,000
queries of a long-tail (log-uniform) popularity, 5 % without results, one in five searches in
a running A/B test (half A, half B), 30 % clicked, a tenth of the clicks put in the cart, half
of those bought (order lines in paid orders); then five live merchandising rules.

Then ``sum_days`` writes the daily sums (the rollup, search.analytics.stats) of every day,
timed: what the hourly beat task does once per day (and again for today and the days not
settled). Each report is timed over the 30 days, read from the sums: the figures per query,
the daily trend (and its matplotlib chart), the CSV of every query, each rule before and after
it went live, the A/B test report, and the report page's older tables (top, zero-result and
low-CTR queries: search.analytics.reports.search_report, which reads the events). Median and
worst of ``--rounds`` rounds; the target: ≤ 1 s each.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import (  # noqa: E402
    DEFAULT_SERVER,
    bench_env,
    figure,
    load_average,
    manage,
    print_header,
    setup_django,
    throwaway_database,
    throwaway_dir,
)

DATABASE = "h20_bench"
TARGET_SECONDS = 1.0

FILL = """
INSERT INTO search_searchevent (token, action, query, filters, result_count, redirected, latency_ms, page,
                                session_hash, created_at, superseded, experiment, variant, corrected_query,
                                typo_only, ignored_words, semantic_rescue)
SELECT t, t, 'query ' || floor(exp(random() * ln(5000)))::int, '{}'::jsonb,
       CASE WHEN random() < 0.05 THEN 0 ELSE 1 + floor(random() * 200)::int END, false, 20, 1,
       md5(i::text), now() - random() * interval '30 days', false,
       CASE WHEN i %% 5 = 0 THEN %(experiment)s ELSE 0 END,
       CASE WHEN i %% 5 <> 0 THEN '' WHEN i %% 10 = 0 THEN 'a' ELSE 'b' END, '', false, '[]'::jsonb, false
FROM (SELECT gen_random_uuid() AS t, i FROM generate_series(1, %(events)s) AS i) AS g;

INSERT INTO search_clickevent (search_token, query, product_id, position, created_at)
SELECT token, query, 1 + floor(random() * 5000)::int, 1 + floor(random() * 24)::int, created_at + interval '20 seconds'
FROM search_searchevent WHERE random() < 0.30;

INSERT INTO search_cartevent (search_token, product_id, quantity, created_at)
SELECT search_token, product_id, 1, created_at + interval '1 minute' FROM search_clickevent WHERE random() < 0.10;
"""

LINES = """
INSERT INTO checkout_orderline (order_id, product_name, sku, unit_price, quantity, line_total, search_token,
                                tax_rate, tax)
SELECT %(first_order)s + floor(random() * %(orders)s)::int, 'Product', 'SKU', price, 1, price, search_token, 0, 0
FROM (SELECT search_token, round((5 + random() * 95)::numeric, 2) AS price FROM search_cartevent
      WHERE random() < 0.5) AS bought;
"""


def timed(work, rounds: int) -> tuple[float, float, object]:
    seconds, result = [], None
    for _ in range(rounds):
        started = time.perf_counter()
        result = work()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), max(seconds), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--server", default=DEFAULT_SERVER)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    print_header()
    with throwaway_database(args.server, DATABASE, keep=args.keep) as db_url, throwaway_dir("i20-bench-") as var:
        env = bench_env(db_url, var)
        manage(env, "migrate", "--noinput", "-v", "0")
        setup_django(env)
        run(args)


def run(args) -> None:
    import uuid
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from checkout.models import Order
    from search.analytics.charts import trend_svg
    from search.analytics.experiment_report import experiment_report
    from search.analytics.models import CartEvent, ClickEvent, SearchEvent, SearchStatsDay
    from search.analytics.performance import daily_trend, query_performance, rule_performance, write_query_csv
    from search.analytics.reports import search_report
    from search.analytics.stats import sum_days
    from search.merchandising.experiments import Experiment
    from search.merchandising.models import BoostRule, PinRule, Redirect, SynonymSet
    from store.models import Brand

    experiment = Experiment.objects.create(name="bench")
    experiment.start()
    Experiment.objects.filter(pk=experiment.pk).update(started_at=timezone.now() - timedelta(days=30))
    experiment.refresh_from_db()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(FILL, {"events": args.events, "experiment": experiment.pk})
    orders = [Order.objects.create(
        email="bench@example.com", idempotency_key=uuid.uuid4(), currency="USD", subtotal=0, shipping_cost=0, tax=0,
        total=0, shipping_method="standard", shipping_method_label="Standard", full_name="Bench",
        address_line1="1 Road", city="Town", postal_code="1", country="US", status=Order.Status.PAID)
        for _ in range(200)]
    with connection.cursor() as cursor:
        cursor.execute(LINES, {"first_order": orders[0].pk, "orders": len(orders)})
        cursor.execute("ANALYZE")
    print(f"filled in {time.perf_counter() - started:.1f} s: {SearchEvent.objects.count():,} searches, "
          f"{ClickEvent.objects.count():,} clicks, {CartEvent.objects.count():,} adds to cart, "
          f"{sum(o.lines.count() for o in orders):,} order lines")
    live_at = timezone.now() - timedelta(days=10)
    PinRule.objects.create(query="query 1", starts_at=live_at)
    Redirect.objects.create(query="query 2", url="/pages/returns/", starts_at=live_at)
    SynonymSet.objects.create(terms="query 3, query 30", starts_at=live_at)
    BoostRule.objects.create(name="word", target="brand", brand=Brand.objects.create(name="B", slug="b"),
                             query_term="query", starts_at=live_at)
    BoostRule.objects.create(name="every query", target="out_of_stock", factor="0.5", starts_at=live_at)

    started = time.perf_counter()
    days = sum_days()
    rollup_seconds = time.perf_counter() - started
    print(f"sum_days: {days} days summed in {rollup_seconds:.1f} s ({SearchStatsDay.objects.count():,} rows; "
          f"{rollup_seconds / max(1, days):.2f} s per day)")
    figure("Daily sums of 1M searches: one day (rollup task)", round(rollup_seconds / max(1, days), 2), "s")

    now = timezone.now()
    today = timezone.localtime(now).date()
    from search.analytics.stats import local_day_bounds

    start, end = local_day_bounds(today - timedelta(days=29))[0], local_day_bounds(today)[1]

    def csv_export() -> int:
        out = io.StringIO()
        write_query_csv(out, query_performance(start, end, limit=None))
        return len(out.getvalue())

    reports = [
        ("figures per query (top 50)", lambda: query_performance(start, end, limit=50)),
        ("daily trend and its chart", lambda: trend_svg(daily_trend(start, end), "USD")),
        ("CSV of every query", csv_export),
        ("each rule before and after", lambda: rule_performance(now)),
        ("A/B test report", lambda: experiment_report(experiment, now)),
        ("top, zero-result and low-CTR queries (events)", lambda: search_report(start, end)),
    ]
    print(f"\n30 days, {args.rounds} rounds; load average before: {load_average()}")
    for name, work in reports:
        # The older tables read a million events: one round (minutes, not a figure to repeat).
        median, worst, _ = timed(work, 1 if "(events)" in name else args.rounds)
        print(f"  {name:48s} median {median * 1000:8.1f} ms   worst {worst * 1000:8.1f} ms")
        figure(f"Report over 1M searches: {name}", round(median, 3), "s", target=f"≤ {TARGET_SECONDS}",
               met=median <= TARGET_SECONDS)
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
