"""Benchmark: the search results cache's hit ratio while orders flow (5 a second) beside searches.

    .venv/bin/python bench/cache_orders.py [--products 20000] [--orders-per-second 5] [--seconds 30]

A throwaway PostgreSQL database seeded with ``--products`` products, indexed on tantivy; a
Celery worker draining the outbox (``-P solo``, a queue of its own on ``--broker``); gunicorn
(deploy/gunicorn.conf.py) with the results cache on as shipped (first pages of queries 60 s,
browse listings 300 s) in Redis. wrk (16 connections) sends a realistic mix: 500 distinct
requests — bench/api_throughput.py's search paths (text + facets + sort) and every category's
browse page — drawn with Zipf's law (s = 1: the head queries repeat, the long tail is seen
once or twice), 5,000 draws that wrk cycles through. Meanwhile this process writes what an
order writes to a product (checkout.orders: stock down, units sold up, one queryset update in
its own transaction) at ``--orders-per-second``, to random products; the outbox drains them
through the worker into the index.

Two configurations, each with a cache, a worker and a server of its own, measured in
alternating rounds: SEARCH_CACHE_STALE_SECONDS=0 (every drained order makes every cached
listing stale: what the cache did before) and the shipped 30 s (an order's stock and sales
show within 30 s and invalidate nothing). Printed per configuration: the results cache's hit
ratio (search.result_cache's lookups: hits ÷ all, from /metrics), orders placed and drained,
requests/s. Target: ≥ 80 % with orders flowing.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import subprocess
import sys
import time
import uuid
from bisect import bisect
from itertools import accumulate
from pathlib import Path
from urllib.parse import urlencode

import psycopg
from api_throughput import catalog_paths
from harness import (
    DEFAULT_REDIS,
    DEFAULT_SERVER,
    ROOT,
    delete_redis_keys,
    figure,
    gunicorn,
    http_get,
    indexed_catalog,
    load,
    print_header,
    setup_django,
    stop,
)
from sync_latency import forget_queue, start_worker

TARGET = 0.80
CONFIGURATIONS = {"invalidate at once (STALE 0)": "0", "shipped (STALE 30 s)": "30"}


def zipf_mix(paths: list[str], draws: int, rng: random.Random) -> list[str]:
    weights = list(accumulate(1 / rank for rank in range(1, len(paths) + 1)))
    return [paths[bisect(weights, rng.uniform(0, weights[-1]))] for _ in range(draws)]


def results_cache(port: int) -> dict[str, float]:
    status, body = http_get(port, "/metrics")
    assert status == 200, status
    found = {"hit": 0.0, "miss": 0.0, "stale": 0.0}
    for line in body.decode().splitlines():
        match = re.match(r'catalog_results_cache_total\{kind="\w+",result="(\w+)"\} ([\d.e+]+)', line)
        if match:
            found[match.group(1)] += float(match.group(2))
    return found


def place_orders(rate: float, stop_at: float, ids: list[int], rng: random.Random) -> int:
    """What an order writes to its product, ``rate`` times a second until ``stop_at``."""
    from django.db import transaction
    from django.db.models import F
    from django.db.models.functions import Greatest

    from store.models import Product

    placed = 0
    next_at = time.monotonic()
    while next_at < stop_at:
        with transaction.atomic():  # as checkout.orders._adjust_stock, inside the order's transaction
            Product.objects.filter(pk=rng.choice(ids)).update(
                stock_quantity=Greatest(F("stock_quantity") - 1, 0), sales_count=F("sales_count") + 1)
        placed += 1
        next_at += 1 / rate
        time.sleep(max(0.0, next_at - time.monotonic()))
    return placed


def orders_child(rate: float, seconds: float, seed: int) -> None:
    setup_django(dict(os.environ))
    from store.models import Product

    ids = list(Product.objects.filter(is_active=True).values_list("pk", flat=True))
    print(place_orders(rate, time.monotonic() + seconds, ids, random.Random(seed)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--place-orders", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--server", default=DEFAULT_SERVER)
    parser.add_argument("--database", default="bench_cache_orders")
    parser.add_argument("--redis", default=DEFAULT_REDIS, help="the cache and the Celery broker")
    parser.add_argument("--products", type=int, default=20_000)
    parser.add_argument("--orders-per-second", type=float, default=5.0)
    parser.add_argument("--seconds", type=float, default=30, help="per configuration, all rounds together")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.place_orders:
        rate, seconds, seed = args.place_orders
        orders_child(float(rate), float(seconds), int(seed))
        return

    print_header()
    tag = uuid.uuid4().hex[:8]
    with indexed_catalog(args.server, args.database, args.products, args.seed) as (env, var_dir):
        rng = random.Random(args.seed)
        searches, _ = catalog_paths(env["DATABASE_URL"], 400, args.seed)
        with psycopg.connect(env["DATABASE_URL"]) as conn:
            categories = [r[0] for r in conn.execute("SELECT slug_path FROM store_category ORDER BY path")]
        distinct = searches + [f"/api/search?{urlencode({'category': c})}" for c in categories]
        distinct = distinct[:500]
        rng.shuffle(distinct)
        mix = zipf_mix(distinct, 5000, rng)
        print(f"{len(distinct)} distinct requests, {len(set(mix))} of them among the {len(mix)} Zipf draws; "
              f"the 10 most asked make {sum(mix.count(p) for p in distinct[:10]) / len(mix):.0%} of them", flush=True)
        configs = {}
        with contextlib.ExitStack() as stack:
            for n, (label, stale) in enumerate(CONFIGURATIONS.items()):
                queue = f"bench-orders-{tag}-{n}"
                config_env = {**env, "REDIS_URL": args.redis, "CELERY_BROKER_URL": args.redis,
                              "CACHE_KEY_PREFIX": queue, "CELERY_QUEUE": queue, "SEARCH_CACHE_STALE_SECONDS": stale,
                              "SEARCH_CACHE_REFRESH_GRACE_SECONDS": "0"}
                worker = start_worker(config_env, var_dir / f"worker-{n}.log")
                stack.callback(forget_queue, args.redis, queue)
                stack.callback(delete_redis_keys, args.redis, pattern=f"{queue}:*")
                stack.callback(stop, worker, 15)
                port = stack.enter_context(gunicorn(config_env))
                configs[label] = {"env": config_env, "port": port, "runs": []}
            per_round = args.seconds / args.rounds
            for round_number in range(args.rounds):
                order = list(configs.items())
                for _label, config in (order if round_number % 2 == 0 else order[::-1]):
                    before = results_cache(config["port"])
                    # The orders come from a child process on this configuration's queue and cache.
                    orders = subprocess.Popen(
                        [sys.executable, str(Path(__file__).resolve()), "--place-orders",
                         str(args.orders_per_second), str(per_round), str(args.seed + round_number)],
                        env=config["env"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
                    result = load(config["port"], mix[0], per_round, 16, paths=mix, threads=2)
                    placed = int((orders.communicate(timeout=120)[0] or "0").split()[-1])
                    after = results_cache(config["port"])
                    delta = {k: after[k] - before[k] for k in after}
                    config["runs"].append({**result, **delta, "orders": placed})
    print(f"\n{args.products:,} products; {args.orders_per_second:g} orders/s; wrk -c 16 over the Zipf mix; "
          f"{args.rounds} alternating rounds of {per_round:.0f} s per configuration\n")
    print(f"{'configuration':<30}{'hit ratio':>10}{'stale':>7}{'req/s':>9}{'orders':>8}  hit ratio per round")
    for label, config in configs.items():
        runs = config["runs"]
        lookups = sum(r["hit"] + r["miss"] + r["stale"] for r in runs)
        ratio = sum(r["hit"] for r in runs) / lookups if lookups else 0.0
        stale = sum(r["stale"] for r in runs) / lookups if lookups else 0.0
        per_round_ratio = [round(r["hit"] / max(1.0, r["hit"] + r["miss"] + r["stale"]), 3) for r in runs]
        rps = sum(r["requests"] for r in runs) / sum(r["seconds"] for r in runs)
        print(f"{label:<30}{ratio:>10.1%}{stale:>7.1%}{rps:>9.1f}{sum(r['orders'] for r in runs):>8}  "
              f"{per_round_ratio}")
        figure(f"results-cache hit ratio, {args.orders_per_second:g} orders/s beside searches, {label}",
               round(100 * ratio, 1), "%", target="≥ 80%" if label.startswith("shipped") else None,
               met=ratio >= TARGET if label.startswith("shipped") else None, catalog=args.products)


if __name__ == "__main__":
    main()
