"""Benchmark: what recording a search costs the request, this tree beside the base commit.

    .venv/bin/python bench/analytics_overhead.py [--base /tmp/i20-base] [--rounds 5] [--searches 4000]

The analytics work a results page does on the request thread, timed per search: the web
layer's request decoration (the engine preference, and in this tree the A/B variant:
``served_request``) and ``track_clicks`` (``record_search``: the event into the in-process
buffer, plus the 24 result links through the click recorder). The engine's search itself is
not in it (the same in both trees). Each search is a new visitor in three cases: ``first visit`` (a CSRF
cookie only: this tree sets the visitor cookie on the response), ``session`` (a session cookie
too, not loaded: neither tree reads the session) and ``visitor cookie`` (a returning visitor of
this tree); this tree also with an A/B test running (the variant assigned and recorded).

The base tree is the commit before issue 20 (``git archive 37d7c96`` into ``--base`` if it is
not there). Both run in child processes of their own, in alternating rounds (base, this, base,
this…), against the same PostgreSQL database (``h20_bench_overhead``, migrated by this tree) and
Redis (sessions on db 13; the events are published to a Celery queue of their own on db 0 that
no worker reads, emptied afterwards). Prints the p50 and p95 per round, the median of the
rounds' p50 and the worst round, and the difference; the target: ≤ 0.2 ms added at p50.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import DEFAULT_SERVER, ROOT, database_url, figure, load_average, percentile, print_header  # noqa: E402

BASE_COMMIT = "37d7c96"
DATABASE = "h20_bench_overhead"
REDIS = "redis://127.0.0.1:6379/13"
BROKER = "redis://127.0.0.1:6379/0"
QUEUE = "bench-i20-analytics-overhead"
CASES = ("first visit", "session", "visitor cookie")
TARGET_MS = 0.2


def child(tree: str, searches: int, experiment: bool) -> None:
    """In a child process: time the analytics path of ``searches`` searches per case; print JSON."""
    sys.path.insert(0, tree)
    os.chdir(tree)
    import django

    django.setup()
    import uuid
    from dataclasses import replace
    from decimal import Decimal
    from importlib import import_module

    from django.conf import settings
    from django.test import RequestFactory

    import search
    from search.facets import parse_request
    from search.query.result import SearchHit, SearchResult
    from search.web import listing

    assert Path(search.__file__).resolve().is_relative_to(Path(tree).resolve()), search.__file__
    if experiment:
        from search.merchandising.experiments import Experiment

        Experiment.objects.all().delete()
        running = Experiment.objects.create(name="bench")
        running.start()
    decorate = getattr(listing, "served_request", None)
    if decorate is None:  # the base tree: only the engine preference
        def decorate(search_request, http_request):
            return replace(search_request, preference=listing.search_preference(http_request))

    store = import_module(settings.SESSION_ENGINE).SessionStore  # never saved nor loaded here
    factory = RequestFactory()
    hits = [SearchHit(id=i, name=f"Product {i}", slug=f"p{i}", sku=f"SKU{i}", brand="Acme", price=Decimal("9.99"),
                      currency="USD", compare_at_price=None, in_stock=True, rating=4.0, rating_count=3, image_url="")
            for i in range(1, 25)]
    texts = ["merino sweater", "running shoes", "tee", "headphones", "lamp shade"]
    from django.http import HttpResponse

    from search.analytics import recorder

    keep = getattr(recorder, "keep_visitor", None)  # this tree: the visitor cookie on the response
    results: dict[str, list[float]] = {}
    for case in CASES:
        timings = []
        for i in range(searches + 200):  # the first 200: warm-up
            text = texts[i % len(texts)]
            http_request = factory.get("/search", {"q": text})
            http_request.COOKIES[settings.CSRF_COOKIE_NAME] = uuid.uuid4().hex
            # Not loaded: a search reads no session (the page's header may, for the cart).
            http_request.session = store(session_key=uuid.uuid4().hex if case == "session" else None)
            if case == "visitor cookie":
                http_request.COOKIES["search_visitor"] = uuid.uuid4().hex
            parsed = parse_request({"q": [text]})
            result = SearchResult(request=parsed, total=240, hits=[replace(h) for h in hits])
            response = HttpResponse()
            started = time.perf_counter()
            served = decorate(parsed, http_request)
            listing.track_clicks(http_request, served, result, 0.004)
            if keep is not None:
                keep(http_request, response)
            elapsed = time.perf_counter() - started
            if i >= 200:
                timings.append(elapsed * 1000)
        results[case] = timings
    from search.analytics.recorder import flush_analytics

    flush_analytics(10)
    print("RESULT " + json.dumps({case: [percentile(t, 50), percentile(t, 95)] for case, t in results.items()}))


def ensure_base(base: Path) -> None:
    if (base / "manage.py").exists():
        return
    base.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", BASE_COMMIT], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)


def run_child(tree: Path, env: dict, searches: int, experiment: bool) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", str(tree), "--searches", str(searches),
                           *(["--experiment"] if experiment else [])], env=env, text=True, capture_output=True)
    if proc.returncode:
        raise SystemExit(f"child failed ({tree}):\n{proc.stderr[-3000:]}")
    line = next(line for line in proc.stdout.splitlines() if line.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="/tmp/i20-base")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--searches", type=int, default=4000)
    parser.add_argument("--server", default=DEFAULT_SERVER)
    parser.add_argument("--child")
    parser.add_argument("--experiment", action="store_true")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.searches, args.experiment)
        return

    import psycopg
    import redis
    from psycopg import sql

    print_header()
    base = Path(args.base)
    ensure_base(base)
    with psycopg.connect(args.server, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DATABASE)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings",
           "DATABASE_URL": database_url(args.server, DATABASE), "REDIS_URL": REDIS, "CELERY_BROKER_URL": BROKER,
           "CELERY_QUEUE": QUEUE, "LOG_LEVEL": "WARNING",
           "CACHE_KEY_PREFIX": "bench-i20-overhead", "DEBUG": "false"}
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    trees = [("base", base, False), ("this tree", ROOT, False), ("this tree, A/B test running", ROOT, True)]
    rounds: dict[str, list[dict]] = {name: [] for name, _, _ in trees}
    try:
        for number in range(1, args.rounds + 1):
            for name, tree, experiment in trees:
                found = run_child(tree, env, args.searches, experiment)
                rounds[name].append(found)
                print(f"round {number} {name:28s} " + "  ".join(
                    f"{case}: p50 {p50:.4f} ms p95 {p95:.4f} ms" for case, (p50, p95) in found.items()), flush=True)
    finally:
        redis.Redis.from_url(BROKER).delete(QUEUE)
        with psycopg.connect(args.server, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DATABASE)))
    print(f"load average after: {load_average()}")
    print(f"\n{args.searches} searches per case and round, {args.rounds} rounds; "
          "median of the rounds' p50 (worst round)")
    summary: dict[str, dict[str, float]] = {}
    for name, _, _ in trees:
        summary[name] = {case: statistics.median(r[case][0] for r in rounds[name]) for case in CASES}
        worst = {case: max(r[case][0] for r in rounds[name]) for case in CASES}
        print(f"  {name:28s} " + "  ".join(f"{case}: {summary[name][case]:.4f} ms ({worst[case]:.4f})"
                                         for case in CASES))
    for name in ("this tree", "this tree, A/B test running"):
        for case in CASES:
            added = summary[name][case] - summary["base"][case]
            print(f"  added by issue 20, {name}, {case}: {added:+.4f} ms at p50")
            label = name.replace("this tree", "issue 20")
            figure(f"Search recording: added per search, {label}, {case}, p50", round(added, 4), "ms",
                   target=f"≤ {TARGET_MS}", met=added <= TARGET_MS)
    for case in CASES:
        figure(f"Search recording: whole analytics path per search ({case}), p50",
               round(summary["this tree, A/B test running"][case], 4), "ms")


if __name__ == "__main__":
    main()
