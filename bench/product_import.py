"""Benchmark: products imported from a CSV file per second, and how soon all of them are
searchable through the outbox and a real Celery worker.

    .venv/bin/python bench/product_import.py [--products 10000] [--rounds 3]

A throwaway PostgreSQL database (``bench_import``), the tantivy engine in a temporary
directory and a Celery worker (``-P solo``) on Redis (``--broker``, a queue of its own). Each
round imports ``--products`` new products from one CSV file (store.product_io: parsed, every
row validated, bulk-written in one transaction with its outbox rows, as the admin's import
and ``manage.py import_products`` do), then waits until the engine holds all of them.
Prints, per round and as medians: the import's products/s (file to commit), the indexing's
products/s (commit to all documents in the engine) and end to end. Each round adds to the
catalog (round 3 imports into a catalog of 2 × ``--products``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

from harness import (
    DEFAULT_REDIS,
    DEFAULT_SERVER,
    ROOT,
    bench_env,
    figure,
    load_average,
    manage,
    print_header,
    setup_django,
    stop,
    throwaway_database,
    throwaway_dir,
)
from sync_latency import forget_queue, start_worker

sys.path.insert(0, str(ROOT))  # tests.product_files: the rows the import test uses too


def one_round(count: int, prefix: str) -> tuple[float, float]:
    """(seconds to import, seconds from the commit to all indexed)."""
    from indexing.models import OutboxEntry
    from search.backends import get_backend
    from store.product_io import import_products, read_products_file, result_problems
    from tests.product_files import csv_file, product_rows

    backend = get_backend()
    before = backend.count()
    content = csv_file(product_rows(count, brand="Hearth", category="home", vendor="hearth-co", prefix=prefix))
    started = time.perf_counter()
    result = import_products(read_products_file(content, "products.csv"))
    committed = time.perf_counter()
    problems = result_problems(result)
    if problems:
        raise SystemExit("the import was refused:\n" + "\n".join(problems[:10]))
    deadline = committed + 600
    while backend.count() < before + count or OutboxEntry.objects.exists():
        if time.perf_counter() > deadline:
            raise SystemExit(f"only {backend.count() - before} of {count} products indexed after 600 s")
        time.sleep(0.05)
        backend.refresh()
    return committed - started, time.perf_counter() - committed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", default=DEFAULT_SERVER)
    parser.add_argument("--database", default="bench_import")
    parser.add_argument("--broker", default=DEFAULT_REDIS)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    print_header()
    queue = f"bench-import-{os.getpid()}"
    with throwaway_database(args.server, args.database) as db_url, throwaway_dir(f"{args.database}-") as var_dir:
        env = bench_env(db_url, var_dir, CELERY_BROKER_URL=args.broker, CELERY_QUEUE=queue)
        manage(env, "migrate", "--verbosity", "0")
        setup_django(env)
        from search.backends import get_backend
        from store.models import Brand, Category, Vendor

        Category.objects.add_root({"name": "Home", "slug": "home"})
        Brand.objects.create(name="Hearth", slug="hearth")
        Vendor.objects.create(name="Hearth & Co", slug="hearth-co")
        get_backend().ensure_index()
        worker = start_worker(env, var_dir / "worker.log")
        rounds = []
        try:
            for i in range(args.rounds):
                imported, indexed = one_round(args.products, f"R{i}")
                rounds.append((imported, indexed))
                print(f"round {i + 1}: import {args.products / imported:,.0f} products/s ({imported:.1f} s), "
                      f"indexing {args.products / indexed:,.0f} products/s ({indexed:.1f} s), end to end "
                      f"{args.products / (imported + indexed):,.0f} products/s", flush=True)
            from django.db import connections

            connections.close_all()
        finally:
            stop(worker, 15)
            forget_queue(args.broker, queue)
    print(f"load average after: {load_average()}")
    imports = [args.products / a for a, _ in rounds]
    indexing = [args.products / b for _, b in rounds]
    ends = [args.products / (a + b) for a, b in rounds]
    print(f"median over {len(rounds)} rounds of {args.products:,}: import {statistics.median(imports):,.0f} "
          f"products/s (worst {min(imports):,.0f}), indexing {statistics.median(indexing):,.0f} products/s "
          f"(worst {min(indexing):,.0f}), end to end {statistics.median(ends):,.0f} products/s "
          f"(worst {min(ends):,.0f})")
    figure("product import from CSV (validated, one transaction, with outbox rows)",
           round(statistics.median(imports)), "products/s", catalog=args.products)
    figure("imported products → searchable (outbox drained by a Celery worker into tantivy)",
           round(statistics.median(ends)), "products/s end to end", catalog=args.products)


if __name__ == "__main__":
    main()
