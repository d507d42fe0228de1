"""Benchmark (``make bench-scale``): /api/search and /api/autocomplete at 10,000, 200,000 and
1,000,000 products, beside the bare view, optionally side by side with another tree.

    .venv/bin/python bench/scale.py [--sizes 10000,200000,1000000] [--database bench_scale]
                                    [--compare /path/to/other/tree] [--rounds 5] [--seconds 20]

The catalogs are kept between runs (a million products take about half an hour to seed on this
machine): PostgreSQL databases ``<database>_<size>``, seeded with ``seed_catalog --seed 1``
unless they already hold that many products, and their tantivy indices under
``var/bench-scale/<size>/``, rebuilt only when the database changed since they were built.
``--compare`` serves the same database with another checkout's code and an index it built
itself (``var/bench-scale/<size>-compared/``: its schema may differ), so that both trees are
measured in the same minutes of a busy machine.

Per size, one gunicorn per tree (deploy/gunicorn.conf.py, 3 workers × 2 threads), the results
cache and the autocomplete prefix cache off (the engine is measured), driven by wrk with 16
connections cycling through 300 paths built from the catalog (bench/api_throughput.py's: text +
5 facet filters + sort; 2–6 letter prefixes). Each round runs every tree's every case once
(bare view, search, autocomplete), in alternating order; per case the median round's
requests/s, p50 and p95, the worst round's p95, and the server's CPU time per request (every
round's CPU over every round's requests). The spread of the rounds is the machine's noise:
other engineers' tests run on the same two cores.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
import uuid
from pathlib import Path

from api_throughput import catalog_paths
from harness import (
    DEFAULT_SERVER,
    GUNICORN_THREADS,
    GUNICORN_WORKERS,
    ROOT,
    delete_redis_keys,
    figure,
    gunicorn,
    http_get,
    kept_catalog,
    load,
    load_average,
    print_header,
    server_cpu_seconds,
)

CONNECTIONS = 16
WRK_THREADS = 2
BARE, SEARCH, AUTOCOMPLETE = "bare view", "search", "autocomplete"
TARGETS = {SEARCH: ("p95 ≤ 150 ms, CPU ≤ 6 ms", 150.0, 6.0), AUTOCOMPLETE: ("p95 ≤ 50 ms", 50.0, None)}
ENGINE_ONLY = {"SEARCH_RESULTS_CACHE_SECONDS": "0", "LISTING_CACHE_SECONDS": "0", "AUTOCOMPLETE_CACHE_SECONDS": "0"}


def measure(args, size: int, trees: list[tuple[str, Path]]) -> dict:
    tag = uuid.uuid4().hex[:8]
    key_prefix = f"bench-scale-{tag}"
    envs = {}
    for label, tree in trees:  # one database; an index per tree (built by its own code: schemas differ)
        index_dir = ROOT / "var" / "bench-scale" / (str(size) if tree == ROOT else f"{size}-{label}")
        kept = kept_catalog(args.server, f"{args.database}_{size}", size, index_dir, root=tree,
                            REDIS_URL=args.redis, CELERY_BROKER_URL=args.redis, CACHE_KEY_PREFIX=key_prefix,
                            CELERY_QUEUE=key_prefix, **ENGINE_ONLY)
        if kept.seeded_seconds is not None:
            print(f"seeded {size:,} products in {kept.seeded_seconds:.0f} s", flush=True)
        envs[label] = kept.env
    searches, prefixes = catalog_paths(kept.env["DATABASE_URL"], args.paths, args.seed)
    paths = {BARE: ["/healthz"], SEARCH: searches, AUTOCOMPLETE: prefixes}
    runs: dict[tuple[str, str], list[dict]] = {(t, c): [] for t, _ in trees for c in paths}
    try:
        with contextlib.ExitStack() as stack:
            ports = {label: stack.enter_context(gunicorn(envs[label], args.workers, args.threads, root=tree))
                     for label, tree in trees}
            for port in ports.values():  # the workers open their readers; the paths answer
                for case_paths in paths.values():
                    for path in case_paths[: 4 * args.workers]:
                        status, body = http_get(port, path)
                        if status != 200:
                            raise SystemExit(f"{path} answered {status}: {body[:300]!r}")
            order = [(label, case) for label, _ in trees for case in paths]
            for round_number in range(args.rounds):
                for label, case in (order if round_number % 2 == 0 else order[::-1]):
                    port = ports[label]
                    cpu0 = server_cpu_seconds(port)
                    result = load(port, paths[case][0], args.seconds / args.rounds, CONNECTIONS,
                                  paths=paths[case] if len(paths[case]) > 1 else None, threads=WRK_THREADS)
                    result["cpu_seconds"] = server_cpu_seconds(port) - cpu0
                    runs[(label, case)].append(result)
    finally:
        delete_redis_keys(args.redis, pattern=f"{key_prefix}:*")
        delete_redis_keys(args.redis, key_prefix, f"_kombu.binding.{key_prefix}", pattern=f"*{key_prefix}*")
    return {key: summary(case_runs) for key, case_runs in runs.items()}


def summary(case_runs: list[dict]) -> dict:
    requests = sum(r["requests"] for r in case_runs)
    return {
        "rps": statistics.median(r["rps"] for r in case_runs),
        "p50": statistics.median(r["p50"] for r in case_runs),
        "p95": statistics.median(r["p95"] for r in case_runs),
        "p95_worst": max(r["p95"] for r in case_runs),
        "p95_best": min(r["p95"] for r in case_runs),
        "cpu_ms": 1000 * sum(r["cpu_seconds"] for r in case_runs) / requests if requests else float("nan"),
        "errors": sum(r["errors"] for r in case_runs),
        "rounds": [round(r["rps"]) for r in case_runs],
    }


HEADER = (f"{'catalog':>9}  {'tree':<9} {'case':<13}{'req/s':>8}{'% bare':>8}{'p50 ms':>8}{'p95 ms':>8}"
          f"{'worst p95':>10}{'best p95':>9}{'CPU ms':>8}{'errors':>7}  req/s per round")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", default=DEFAULT_SERVER)
    parser.add_argument("--database", default="bench_scale", help="prefix of the kept databases")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--sizes", default="10000,200000,1000000")
    parser.add_argument("--compare", help="another checkout of this project, measured beside this one")
    parser.add_argument("--paths", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=20, help="per case and tree, all rounds together")
    parser.add_argument("--workers", type=int, default=GUNICORN_WORKERS)
    parser.add_argument("--threads", type=int, default=GUNICORN_THREADS)
    args = parser.parse_args()
    trees = [("this", ROOT)] + ([("compared", Path(args.compare).resolve())] if args.compare else [])

    print_header()
    started = time.perf_counter()
    results = {}
    for size in (int(s) for s in args.sizes.split(",") if s.strip()):
        results[size] = measure(args, size, trees)
        print(f"{size:,} products measured; load average {load_average()}", flush=True)

    print(f"\ngunicorn {args.workers} workers × {args.threads} threads per tree, "
          f"wrk -c {CONNECTIONS} -t {WRK_THREADS}, "
          f"{args.rounds} alternating rounds of {args.seconds / args.rounds:.0f} s per case and tree; results and "
          f"autocomplete caches off; {time.perf_counter() - started:.0f} s in all\n")
    print(HEADER)
    for size, by_key in results.items():
        for label, _ in trees:
            bare = by_key[(label, BARE)]["rps"]
            for case in (BARE, SEARCH, AUTOCOMPLETE):
                r = by_key[(label, case)]
                share = f"{r['rps'] / bare:>8.0%}" if case != BARE else f"{'—':>8}"
                print(f"{size:>9,}  {label:<9} {case:<13}{r['rps']:>8.1f}{share}{r['p50']:>8.1f}{r['p95']:>8.1f}"
                      f"{r['p95_worst']:>10.1f}{r['p95_best']:>9.1f}{r['cpu_ms']:>8.2f}{r['errors']:>7}  {r['rounds']}")
    print("\nreq/s, p50, p95: the median round's; worst/best p95: over the rounds (their spread is the machine's "
          "noise); CPU ms: gunicorn's CPU time (master and workers) per request over all rounds.")
    for size, by_key in results.items():
        bare = by_key[("this", BARE)]["rps"]
        for case in (SEARCH, AUTOCOMPLETE):
            r = by_key[("this", case)]
            label, max_p95, max_cpu = TARGETS[case]
            met = r["p95"] <= max_p95 and (max_cpu is None or r["cpu_ms"] <= max_cpu) and not r["errors"]
            what = "/api/search (text + 5 facets + sort, cache off)" if case == SEARCH else \
                "/api/autocomplete (prefix cache off)"
            figure(f"{what} p95, median round (worst {r['p95_worst']:.0f} ms), {size:,} products", round(r["p95"], 1),
                   "ms", target=label if size == 1_000_000 else None, met=met if size == 1_000_000 else None,
                   catalog=size, reference=round(bare, 1))
            figure(f"{what} server CPU per request, {size:,} products", round(r["cpu_ms"], 2), "ms", catalog=size,
                   reference=round(bare, 1))
            figure(f"{what} throughput ÷ bare view's, {size:,} products", round(100 * r["rps"] / bare, 1), "%",
                   catalog=size, reference=round(bare, 1))


if __name__ == "__main__":
    main()
