"""Benchmark: home and category page throughput with the Redis cache on and off, in one run,
beside the bare Django view (/healthz) measured the same way: the reference.

    .venv/bin/python bench/cache_throughput.py [--products 5000] [--seconds 15] [--workers 3]

Creates a throwaway PostgreSQL database (``bench_cache``), migrates it, seeds the demo
catalog and indexes it with tantivy under a temporary directory. Then starts two
gunicorns with deploy/gunicorn.conf.py on loopback (``--workers`` processes ×
``--threads`` threads each, Prometheus multiprocess mode) against that database and
Redis, one per mode, and drives each page with wrk (``apt-get install wrk``; without it,
a slower Python client) for ``--seconds`` per case, split into ``--rounds`` that
alternate the cases (so that other load on the machine weighs on all alike):

* cache on: the settings as deployed (Redis cache: category menu, best sellers,
  category landing listings with their facet counts, sessions);
* cache off: ``CACHE_DISABLED=1`` (Django's DummyCache: every read misses);
* bare view: /healthz on the cache-on server (no database, no template, no cache): what
  Django and gunicorn alone serve on this machine, the reference for the pages.

Prints requests/s and latency per page and mode, and the cache hit ratio measured
during each cache-on run (from the app's own /metrics, summed over the workers).
The load generator and gunicorn share the machine's cores: the figures are for this
machine only. The database, the directory and the Redis keys (a prefix of their own)
are removed afterwards.
"""

from __future__ import annotations

import argparse
import time
import uuid

import psycopg
from harness import (
    CONNECTIONS,
    DEFAULT_REDIS,
    DEFAULT_SERVER,
    GUNICORN_THREADS,
    GUNICORN_WORKERS,
    LOAD_ROUNDS,
    LOAD_SECONDS,
    THROUGHPUT_HEADER,
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
    throughput_row,
)

BARE_VIEW = "bare view"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", default=DEFAULT_SERVER)
    parser.add_argument("--database", default="bench_cache")
    parser.add_argument("--redis", default=DEFAULT_REDIS)
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--seconds", type=int, default=LOAD_SECONDS, help="per case, all rounds together")
    parser.add_argument("--workers", type=int, default=GUNICORN_WORKERS, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=GUNICORN_THREADS, help="threads per worker")
    parser.add_argument("--connections", type=int, default=CONNECTIONS)
    parser.add_argument("--rounds", type=int, default=LOAD_ROUNDS,
                        help="alternating rounds; each case runs seconds/rounds in each")
    args = parser.parse_args()

    print_header()
    key_prefix = f"bench-{uuid.uuid4().hex[:8]}"
    started = time.perf_counter()
    with indexed_catalog(args.server, args.database, args.products, args.seed,
                         REDIS_URL=args.redis, CACHE_KEY_PREFIX=key_prefix) as (base_env, _):
        try:
            print(f"prepared {args.products} products (migrate, seed, reindex on tantivy) in "
                  f"{time.perf_counter() - started:.0f} s", flush=True)
            with psycopg.connect(base_env["DATABASE_URL"]) as conn:
                top = conn.execute(
                    "SELECT c.slug_path FROM store_category c "
                    "JOIN store_category leaf ON leaf.path LIKE c.path || '%' "
                    "JOIN store_product p ON p.category_id = leaf.id WHERE c.depth = 1 "
                    "GROUP BY c.slug_path ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
            pages = {"home": "/", "category": f"/c/{top}/"}
            # Both servers run side by side and the cases alternate (…, off, off, …) in rounds, so
            # that other load on the machine weighs on every case alike.
            envs = {"on": base_env, "off": {**base_env, "CACHE_DISABLED": "1"}}
            cases = [(BARE_VIEW, "on")] + [(name, mode) for name in pages for mode in envs]
            paths = {BARE_VIEW: "/healthz", **pages}
            runs: dict[tuple[str, str], list[dict]] = {case: [] for case in cases}
            per_run = round_seconds(args.seconds, args.rounds)
            with (gunicorn(envs["on"], args.workers, args.threads) as port_on,
                  gunicorn(envs["off"], args.workers, args.threads) as port_off):
                ports = {"on": port_on, "off": port_off}
                for port in ports.values():
                    for path in paths.values():
                        for _ in range(20):  # warm: connections, templates, the cache (when on)
                            status, _ = http_get(port, path)
                            assert status == 200, (path, status)
                for name, mode in alternating(cases, args.rounds):
                    port = ports[mode]
                    hits0, misses0 = cache_reads(port)
                    result = load(port, paths[name], per_run, args.connections)
                    hits1, misses1 = cache_reads(port)
                    result["hits"], result["reads"] = hits1 - hits0, (hits1 - hits0) + (misses1 - misses0)
                    runs[(name, mode)].append(result)
        finally:
            delete_redis_keys(args.redis, pattern=f"{key_prefix}:*")

    results = {}
    for case, case_runs in runs.items():
        reads = sum(r["reads"] for r in case_runs)
        results[case] = {**combine(case_runs),
                         "hit_ratio": sum(r["hits"] for r in case_runs) / reads if reads else None}
    bare = results[(BARE_VIEW, "on")]["rps"]

    print(f"\n{load_settings(args.workers, args.threads, args.connections, args.rounds, per_run)}, "
          f"{args.products} products, category page /c/{top}/, bare view /healthz\n")
    print(THROUGHPUT_HEADER)
    for (name, mode), r in results.items():
        hit_ratio = None if name == BARE_VIEW else r["hit_ratio"] or 0.0
        print(throughput_row(name, "—" if name == BARE_VIEW else mode, r, hit_ratio))
    figure("bare Django view /healthz, beside the pages", round(bare, 1), "req/s", catalog=args.products,
           reference=round(bare, 1))
    for name in pages:
        on, off = results[(name, "on")], results[(name, "off")]
        print(f"{name}: cache on is {on['rps'] / off['rps']:.2f}× the throughput of cache off; "
              f"{on['rps'] / bare:.0%} (on) and {off['rps'] / bare:.0%} (off) of the bare view's")
        for mode, r in (("on", on), ("off", off)):
            figure(f"{name} page, cache {mode}", round(r["rps"], 1), "req/s", catalog=args.products,
                   reference=round(bare, 1))
        figure(f"{name} page, cache on ÷ cache off", round(on["rps"] / off["rps"], 2), "×",
               catalog=args.products, reference=round(bare, 1))
        figure(f"{name} page, cache hit ratio (cache on)", round(100 * (on["hit_ratio"] or 0.0), 1), "%",
               catalog=args.products, reference=round(bare, 1))


if __name__ == "__main__":
    main()
