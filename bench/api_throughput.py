"""Benchmark: the JSON search API under load — p50/p95 latency and throughput of /api/search
(text + 5 facet filters + sort) and /api/autocomplete with 16 concurrent clients against
gunicorn, beside the bare Django view (/healthz) on the same server: the reference.

    .venv/bin/python bench/api_throughput.py [--sizes 10000,50000,200000] [--seconds 15]

For each catalog size: a throwaway PostgreSQL database (``bench_api_<size>``) seeded with
``seed_catalog --products <size>`` and indexed on tantivy in a temporary directory, with
Redis as in production (db 13 by default, keys under a prefix of their own): the cache,
and the Celery broker that search analytics publishes to (one message per batch of up to
200 searches, a Redis push onto a queue of its own; no worker consumes them). One gunicorn with
deploy/gunicorn.conf.py (``--workers`` × ``--threads``) serves it, driven by wrk
(``-c 16 -t 2``; without wrk, the slower Python client) cycling through a list of paths
— not one URL repeated: the engine, not a cache, is measured:

* /api/search: ``--paths`` requests built from the catalog itself (fixed seed): for a
  random visible product rated 1★ or more, q = a word of its name (4 letters or more,
  not a number), category = its top-level category, brand = its brand and one other,
  price_min/price_max around its price, rating = 1–3 (at most its own), in_stock=1 when
  it is in stock, sort = price_asc/price_desc/newest/rating/bestselling. Each matches at
  least that product (checked on every path during the warm-up).
* /api/autocomplete: ``--paths`` distinct 2–6 letter prefixes of the words of product
  names. The view caches the suggestions of prefixes of up to 12 characters for 60 s
  (AUTOCOMPLETE_CACHE_SECONDS: a product feature, kept): the warm-up fills that cache, so
  the figure is mostly cache hits, as it is in production for the prefixes shoppers type.
* /healthz: the bare view, the reference.
* At the main size, the same search paths once more on a second server with the
  query-results cache on (the default: first pages of a query cached 60 s, invalidated by
  the index generation and the rules version) — what repeated (head) queries cost. The
  engine figures above are measured with that cache off.

The cases alternate in ``--rounds`` rounds of ``--seconds``/``--rounds`` each. At
``--main-size`` (50,000) all three, with the issue's targets: search p95 ≤ 50 ms and
≥ 30 % of the bare view's requests/s; autocomplete p95 ≤ 20 ms and ≥ 50 %. At the other
sizes, the same kind of search (and the bare view beside it), to show how the cost grows
with the catalog. p50 is the mean of the rounds' p50, p95 and p99 the worst round's. Each case
also gives the server's CPU time per request (gunicorn's processes, from /proc): on a machine
whose cores are all busy, throughput is cores ÷ that, so it says where a share of the bare
view's comes from.

The load generator and gunicorn share the machine's cores: the figures are for this
machine only. The databases, directories and Redis keys (cache and queue) are removed
afterwards.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import time
import uuid
from decimal import Decimal
from urllib.parse import urlencode

import psycopg
from harness import (
    DEFAULT_REDIS,
    DEFAULT_SERVER,
    GUNICORN_THREADS,
    GUNICORN_WORKERS,
    LOAD_ROUNDS,
    LOAD_SECONDS,
    alternating,
    cache_reads,
    combine,
    delete_redis_keys,
    figure,
    gunicorn,
    http_get,
    indexed_catalog,
    load,
    load_settings,
    print_header,
    round_seconds,
    server_cpu_seconds,
)

CONNECTIONS = 16  # concurrent clients, as the issue asks
WRK_THREADS = 2
SORTS = ("price_asc", "price_desc", "newest", "rating", "bestselling")
BARE, SEARCH, AUTOCOMPLETE = "bare view", "search", "autocomplete"
# The same search paths on a second server with the query-results cache on (the shipped
# default, SEARCH_RESULTS_CACHE_SECONDS): what head queries cost once they are cached.
SEARCH_CACHED = "search cached"
TARGETS = {  # case: (p95 at most, ms; share of the bare view's requests/s at least)
    SEARCH: (50.0, 0.30),
    AUTOCOMPLETE: (20.0, 0.50),
}
_LETTERS = re.compile(r"[^\W\d_]+")

VISIBLE = """
    SELECT p.id FROM store_product p LEFT JOIN store_vendor v ON v.id = p.vendor_id
    WHERE p.is_active AND (v.id IS NULL OR v.is_active) AND p.rating_average >= 1
    ORDER BY p.id
"""
DETAILS = """
    SELECT p.id, p.name, top.slug_path, b.slug, p.price, p.rating_average, p.stock_quantity
    FROM store_product p
    JOIN store_brand b ON b.id = p.brand_id
    JOIN store_category leaf ON leaf.id = p.category_id
    JOIN store_category top ON top.depth = 1 AND leaf.path LIKE top.path || '%%'
    WHERE p.id = ANY(%s)
    ORDER BY p.id
"""


def words(name: str, shortest: int) -> list[str]:
    return [w.lower() for w in _LETTERS.findall(name) if len(w) >= shortest]


def catalog_paths(db_url: str, count: int, seed_value: int) -> tuple[list[str], list[str]]:
    """(/api/search paths, /api/autocomplete paths), built from this catalog with a fixed seed."""
    rng = random.Random(seed_value)
    with psycopg.connect(db_url) as conn:
        ids = [row[0] for row in conn.execute(VISIBLE)]
        brands = [row[0] for row in conn.execute("SELECT slug FROM store_brand ORDER BY slug")]
        sample = rng.sample(ids, min(len(ids), 4 * count))
        rows = conn.execute(DETAILS, (sample,)).fetchall()
    by_id = {row[0]: row for row in rows}
    searches: list[str] = []
    for product_id in sample:  # in the sampled (random) order
        if len(searches) == count:
            break
        _, name, category, brand, price, rating, stock = by_id[product_id]
        candidates = words(name, 4)
        if not candidates:
            continue
        other = rng.choice([b for b in brands if b != brand] or [brand])
        params = [
            ("q", rng.choice(candidates)),
            ("category", category),
            ("brand", brand),
            ("brand", other),
            ("price_min", str(math.floor(price * Decimal("0.8")))),
            ("price_max", str(math.ceil(price * Decimal("1.2")))),
            ("rating", str(rng.randint(1, max(1, min(3, int(rating)))))),
        ]
        if stock > 0:
            params.append(("in_stock", "1"))
        params.append(("sort", rng.choice(SORTS)))
        searches.append("/api/search?" + urlencode(params))
    vocabulary = sorted({w for row in rows for w in words(row[1], 2)})
    prefixes: list[str] = []
    seen: set[str] = set()
    for _ in range(50 * count):
        if len(prefixes) == count:
            break
        word = rng.choice(vocabulary)
        prefix = word[: rng.randint(2, min(6, len(word)))]
        if prefix not in seen:
            seen.add(prefix)
            prefixes.append("/api/autocomplete?" + urlencode({"q": prefix}))
    return searches, prefixes


def warm_and_check(port: int, paths: dict[str, list[str]]) -> str:
    """Every path once (index readers opened in every worker, the autocomplete cache filled):
    each must answer 200, and the searches must find something. Returns what was found."""
    assert http_get(port, "/healthz")[0] == 200
    found = []
    for case, case_paths in paths.items():
        if case == BARE:
            continue
        totals = []
        for path in case_paths:
            status, body = http_get(port, path)
            if status != 200:
                raise SystemExit(f"{path} answered {status}: {body[:300]!r}")
            data = json.loads(body)
            totals.append(data["total"] if case in (SEARCH, SEARCH_CACHED) else len(data["products"]))
        matched = sum(t >= 1 for t in totals)
        if case in (SEARCH, SEARCH_CACHED) and matched < 0.9 * len(totals):
            raise SystemExit(f"only {matched} of {len(totals)} searches found a product: the paths are wrong")
        totals.sort()
        found.append(f"{case}: {matched} of {len(totals)} paths find ≥ 1 product "
                     f"(median {totals[len(totals) // 2]:,}, max {totals[-1]:,} "
                     f"{'matching products' if case == SEARCH else 'suggested products'})")
    return "; ".join(found)


def measure(args: argparse.Namespace, size: int, with_autocomplete: bool) -> dict:
    """One catalog size: seed, index, serve, drive. Returns the combined results by case."""
    tag = uuid.uuid4().hex[:8]
    key_prefix, queue = f"bench-api-{tag}", f"bench-api-{tag}"
    started = time.perf_counter()
    with indexed_catalog(args.server, f"{args.database}_{size}", size, args.seed, REDIS_URL=args.redis,
                         CELERY_BROKER_URL=args.redis, CACHE_KEY_PREFIX=key_prefix,
                         CELERY_QUEUE=queue) as (env, _):
        try:
            print(f"prepared {size:,} products (migrate, seed, reindex on tantivy) in "
                  f"{time.perf_counter() - started:.0f} s", flush=True)
            searches, prefixes = catalog_paths(env["DATABASE_URL"], args.paths, args.seed)
            paths = {BARE: ["/healthz"], SEARCH: searches}
            if with_autocomplete:
                paths[AUTOCOMPLETE] = prefixes
                paths[SEARCH_CACHED] = searches
            print(f"e.g. {searches[0]}" + (f" and {prefixes[0]}" if with_autocomplete else ""), flush=True)
            runs: dict[str, list[dict]] = {case: [] for case in paths}
            per_run = round_seconds(args.seconds, args.rounds)
            # The engine is measured with the query-results cache off; the cached server
            # only runs (and is only warmed) when the cached case is measured.
            engine_env = {**env, "SEARCH_RESULTS_CACHE_SECONDS": "0"}
            with (gunicorn(engine_env, args.workers, args.threads) as engine_port,
                  gunicorn(env, args.workers, args.threads) as cached_port):
                ports = {case: cached_port if case == SEARCH_CACHED else engine_port for case in paths}
                print(warm_and_check(engine_port, {c: p for c, p in paths.items() if c != SEARCH_CACHED}),
                      flush=True)
                if SEARCH_CACHED in paths:
                    warm_and_check(cached_port, {SEARCH_CACHED: paths[SEARCH_CACHED]})
                for case in alternating(list(paths), args.rounds):
                    port = ports[case]
                    hits0, misses0 = cache_reads(port)
                    case_paths = paths[case]
                    cpu0 = server_cpu_seconds(port)
                    result = load(port, case_paths[0], per_run, args.connections,
                                  paths=case_paths if len(case_paths) > 1 else None, threads=WRK_THREADS)
                    result["cpu_seconds"] = server_cpu_seconds(port) - cpu0
                    hits1, misses1 = cache_reads(port)
                    result["hits"], result["reads"] = hits1 - hits0, (hits1 - hits0) + (misses1 - misses0)
                    runs[case].append(result)
        finally:
            delete_redis_keys(args.redis, pattern=f"{key_prefix}:*")
            delete_redis_keys(args.redis, queue, f"_kombu.binding.{queue}", pattern=f"*{queue}*")
    results = {}
    for case, case_runs in runs.items():
        reads = sum(r["reads"] for r in case_runs)
        results[case] = {**combine(case_runs), "hit_ratio": sum(r["hits"] for r in case_runs) / reads
                         if reads else None, "paths": len(paths[case])}
    return results


HEADER = (f"{'catalog':>9}  {'case':<13}{'paths':>6}{'req/s':>9}{'% bare':>8}{'p50 ms':>8}{'p95 ms':>8}"
          f"{'p99 ms':>8}{'CPU ms':>8}{'cache hits':>11}{'errors':>8}  req/s per round")


def row(size: int, case: str, r: dict, bare: float) -> str:
    hits = f"{r['hit_ratio']:>11.0%}" if r["hit_ratio"] is not None and case != BARE else f"{'—':>11}"
    share = f"{r['rps'] / bare:>8.0%}" if case != BARE else f"{'—':>8}"
    cpu = f"{r['cpu_ms']:>8.2f}" if r.get("cpu_ms") is not None else f"{'—':>8}"
    return (f"{size:>9,}  {case:<13}{r['paths']:>6}{r['rps']:>9.1f}{share}{r['p50']:>8.1f}{r['p95']:>8.1f}"
            f"{r['p99']:>8.1f}{cpu}{hits}{r['errors']:>8}  {r['rounds']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", default=DEFAULT_SERVER)
    parser.add_argument("--database", default="bench_api")
    parser.add_argument("--redis", default=DEFAULT_REDIS)
    parser.add_argument("--sizes", default="10000,50000,200000", help="catalog sizes, comma-separated")
    parser.add_argument("--main-size", type=int, default=50_000,
                        help="the size measured with autocomplete and against the targets")
    parser.add_argument("--paths", type=int, default=300, help="distinct paths per endpoint")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seconds", type=int, default=LOAD_SECONDS, help="per case, all rounds together")
    parser.add_argument("--workers", type=int, default=GUNICORN_WORKERS, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=GUNICORN_THREADS, help="threads per worker")
    parser.add_argument("--connections", type=int, default=CONNECTIONS)
    parser.add_argument("--rounds", type=int, default=LOAD_ROUNDS,
                        help="alternating rounds; each case runs seconds/rounds in each")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]

    print_header()
    results = {size: measure(args, size, size == args.main_size) for size in sizes}

    per_run = round_seconds(args.seconds, args.rounds)
    print(f"\n{load_settings(args.workers, args.threads, args.connections, args.rounds, per_run)} "
          f"({WRK_THREADS} wrk threads); Redis cache and Celery broker; each endpoint cycles through its "
          f"{args.paths} paths\n")
    print(HEADER)
    for size, by_case in results.items():
        bare = by_case[BARE]["rps"]
        for case, r in by_case.items():
            print(row(size, case, r, bare))
    print("\n% bare: requests/s as a share of the bare view's (/healthz) on the same server in the same run. "
          "p50: mean of the rounds'; p95, p99: the worst round's. CPU ms: the server's CPU time (gunicorn master "
          "and workers, user + system) per request. cache hits: reads of the default cache (version keys "
          "included) that hit, during that case's runs.")

    if args.main_size in results:
        by_case = results[args.main_size]
        bare = by_case[BARE]["rps"]
        print()
        figure("bare Django view /healthz, beside /api/search and /api/autocomplete", round(bare, 1), "req/s",
               catalog=args.main_size, reference=round(bare, 1))
        for case in (SEARCH, AUTOCOMPLETE, SEARCH_CACHED):
            r = by_case[case]
            max_p95, min_share = TARGETS[SEARCH if case == SEARCH_CACHED else case]
            share = r["rps"] / bare
            what = {SEARCH: "/api/search (text + 5 facets + sort), engine (result cache off)",
                    SEARCH_CACHED: "/api/search (text + 5 facets + sort), query-result cache on",
                    AUTOCOMPLETE: "/api/autocomplete (prefixes ≤ 12 chars cached 60 s)"}[case]
            met_p95, met_share = r["p95"] <= max_p95 and not r["errors"], share >= min_share and not r["errors"]
            print(f"{case}: p95 {r['p95']:.1f} ms (target ≤ {max_p95:.0f} ms: {'met' if met_p95 else 'MISSED'}), "
                  f"{r['rps']:.1f} req/s = {share:.0%} of the bare view's (target ≥ {min_share:.0%}: "
                  f"{'met' if met_share else 'MISSED'}), errors {r['errors']}")
            clients = f", {args.connections} clients"
            figure(f"{what} p50{clients}", round(r["p50"], 1), "ms", catalog=args.main_size,
                   reference=round(bare, 1))
            figure(f"{what} p95{clients}", round(r["p95"], 1), "ms", target=f"≤ {max_p95:.0f} ms",
                   met=met_p95, catalog=args.main_size, reference=round(bare, 1))
            figure(f"{what} throughput{clients}", round(r["rps"], 1), "req/s", catalog=args.main_size,
                   reference=round(bare, 1))
            if r.get("cpu_ms") is not None:
                figure(f"{what} server CPU per request (bare view: {by_case[BARE]['cpu_ms']:.2f} ms)",
                       round(r["cpu_ms"], 2), "ms", catalog=args.main_size, reference=round(bare, 1))
            figure(f"{what} throughput ÷ bare view's", round(100 * share, 1), "%",
                   target=f"≥ {min_share:.0%} of the bare view's", met=met_share, catalog=args.main_size,
                   reference=round(bare, 1))

    others = [size for size in results if size != args.main_size]
    if others:
        print()
    for size in others:
        r, bare = results[size][SEARCH], results[size][BARE]["rps"]
        what = f"/api/search (text + 5 facets + sort), {args.connections} clients, {size:,} products"
        figure(f"{what}: p50", round(r["p50"], 1), "ms", catalog=size, reference=round(bare, 1))
        figure(f"{what}: p95", round(r["p95"], 1), "ms", catalog=size, reference=round(bare, 1))
        figure(f"{what}: throughput", round(r["rps"], 1), "req/s", catalog=size, reference=round(bare, 1))
    if len(results) > 1:
        smallest, largest = min(results), max(results)
        a, b = results[smallest][SEARCH], results[largest][SEARCH]
        print(f"\n/api/search from {smallest:,} to {largest:,} products ({largest / smallest:.0f}× the catalog): "
              f"p50 {a['p50']:.1f} → {b['p50']:.1f} ms ({b['p50'] / a['p50']:.2f}×), "
              f"p95 {a['p95']:.1f} → {b['p95']:.1f} ms ({b['p95'] / a['p95']:.2f}×), "
              f"{a['rps']:.1f} → {b['rps']:.1f} req/s ({b['rps'] / a['rps']:.2f}×)")


if __name__ == "__main__":
    main()
