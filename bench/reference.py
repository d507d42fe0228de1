"""The reference for every throughput figure: a bare Django view (/healthz: no database, no
template, no cache), measured exactly as the pages of bench/cache_throughput.py are.

    .venv/bin/python bench/reference.py [--seconds 15] [--workers 3]

gunicorn with deploy/gunicorn.conf.py (``harness.GUNICORN_WORKERS`` × ``GUNICORN_THREADS``),
the same load generator (wrk, else the Python client), connections, duration and rounds
(``harness.CONNECTIONS``, ``LOAD_SECONDS``, ``LOAD_ROUNDS``). The project runs embedded
(SQLite in a temporary directory, which /healthz never opens). bench/cache_throughput.py
measures the same view again beside the pages, in its own run.
"""

from __future__ import annotations

import argparse

from harness import (
    CONNECTIONS,
    GUNICORN_THREADS,
    GUNICORN_WORKERS,
    LOAD_ROUNDS,
    LOAD_SECONDS,
    THROUGHPUT_HEADER,
    bench_env,
    combine,
    figure,
    gunicorn,
    http_get,
    load,
    load_settings,
    print_header,
    round_seconds,
    throughput_row,
    throwaway_dir,
)

PATH = "/healthz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=LOAD_SECONDS, help="all rounds together")
    parser.add_argument("--workers", type=int, default=GUNICORN_WORKERS, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=GUNICORN_THREADS, help="threads per worker")
    parser.add_argument("--connections", type=int, default=CONNECTIONS)
    parser.add_argument("--rounds", type=int, default=LOAD_ROUNDS)
    args = parser.parse_args()

    print_header()
    per_run = round_seconds(args.seconds, args.rounds)
    with throwaway_dir("bench-reference-") as var_dir, \
            gunicorn(bench_env(None, var_dir), args.workers, args.threads) as port:
        for _ in range(20):  # warm, as the pages are
            assert http_get(port, PATH)[0] == 200
        result = combine(load(port, PATH, per_run, args.connections) for _ in range(args.rounds))
    print(f"\n{load_settings(args.workers, args.threads, args.connections, args.rounds, per_run)}\n")
    print(THROUGHPUT_HEADER)
    print(throughput_row("bare view", "—", result))
    print(f"bare view ({PATH}): {result['rps']:,.0f} requests/s, p50 {result['p50']:.1f} ms, "
          f"p99 {result['p99']:.1f} ms, errors {result['errors']}")
    figure("bare Django view /healthz (reference)", round(result["rps"], 1), "req/s",
           reference=round(result["rps"], 1))


if __name__ == "__main__":
    main()
