"""Benchmark: ``manage.py reindex`` on the tantivy engine, at 10,000 and 50,000 products.

    .venv/bin/python bench/reindex.py [--sizes 10000,50000] [--batch-size 2000] [--profile]

For each size: a throwaway PostgreSQL database (``bench_reindex``), migrated and seeded
with ``seed_catalog --products N --seed 1``, then ``manage.py reindex --no-input`` in a
child process. Prints the build rate as the command reports it (streaming read, documents,
tantivy load and commit), the whole command's wall time (Django start-up, switch, replay
and drop included) and the peak RSS of the reindex process alone. The peak RSS of
``manage.py check`` (Django and the project imported, nothing indexed) is the baseline:
a reindex that streams stays near it whatever the catalog size.

Target: at least 10,000 products/s. ``--profile`` reindexes the largest catalog once more
under cProfile and prints its top functions. The database and the temporary index are removed afterwards.
"""

from __future__ import annotations

import argparse
import os
import pstats
import re
import subprocess
import sys
from pathlib import Path

from harness import (
    DEFAULT_SERVER,
    ROOT,
    bench_env,
    figure,
    manage,
    print_header,
    seed,
    throwaway_database,
    throwaway_dir,
)

TARGET_RATE = 10_000
RESULT = re.compile(r"Indexed (\d+) products into (\S+) in ([\d.]+)s \(([\d,]+) products/s\)")


def measure(server: str, database: str, products: int, batch_size: int, profile: bool) -> dict:
    with throwaway_database(server, database) as db_url, throwaway_dir("bench-reindex-") as var_dir:
        env = bench_env(db_url, var_dir)
        seed(env, products)
        baseline = manage(env, "check")
        command = manage(env, "reindex", "--no-input", "--batch-size", str(batch_size))
        if profile:
            print_profile(env, var_dir / "reindex.prof", batch_size)
    match = RESULT.search(command.stdout)
    if not match:
        raise SystemExit(f"unexpected reindex output:\n{command.stdout}\n{command.stderr}")
    return {
        "products": int(match.group(1)),
        "build_seconds": float(match.group(3)),
        "rate": int(match.group(4).replace(",", "")),
        "wall_seconds": command.seconds,
        "cpu_seconds": command.cpu_seconds,
        "peak_rss_mb": command.peak_rss_mb,
        "baseline_rss_mb": baseline.peak_rss_mb,
    }


def print_profile(env: dict[str, str], path: Path, batch_size: int) -> None:
    """Reindex once more under cProfile (slower: not a measured run) and show where the time goes."""
    subprocess.run([sys.executable, "-m", "cProfile", "-o", str(path), str(ROOT / "manage.py"), "reindex",
                    "--no-input", "--batch-size", str(batch_size)], env=env, cwd=ROOT, check=True,
                   capture_output=True)
    pstats.Stats(str(path)).sort_stats("tottime").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", default=DEFAULT_SERVER)
    parser.add_argument("--database", default="bench_reindex")
    parser.add_argument("--sizes", default="10000,50000", help="Catalog sizes, comma-separated.")
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--profile", action="store_true", help="Also profile the largest run (cProfile).")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    print_header()
    print(f"engine: tantivy on a temporary directory; database: PostgreSQL ({args.server}); "
          f"batch size {args.batch_size}")
    results = []
    for size in sizes:
        print(f"seeding {size:,} products and reindexing…", flush=True)
        results.append(measure(args.server, args.database, size, args.batch_size,
                               args.profile and size == max(sizes)))
    print()
    print(f"{'catalog':>9} {'build s':>8} {'products/s':>11} {'command s':>10} {'CPU s':>7} {'peak RSS':>9} "
          f"{'baseline':>9}")
    for r in results:
        print(f"{r['products']:>9,} {r['build_seconds']:>8.1f} {r['rate']:>11,} {r['wall_seconds']:>10.1f} "
              f"{r['cpu_seconds']:>7.1f} {r['peak_rss_mb']:>7.0f}MB {r['baseline_rss_mb']:>7.0f}MB")
    print("(build: what the command reports; command: its whole run, Django start-up to drop of the old index;"
          " CPU: user + system time of the reindex process, every thread)")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    slowest = min(r["rate"] for r in results)
    growth = results[-1]["peak_rss_mb"] - results[0]["peak_rss_mb"]
    print(f"peak RSS grows {growth:+.0f} MB from {results[0]['products']:,} to {results[-1]['products']:,} products")
    verdict = "meets" if slowest >= TARGET_RATE else "MISSES"
    print(f"slowest build rate {slowest:,} products/s: {verdict} the target of {TARGET_RATE:,} products/s")
    for r in results:
        figure(f"reindex build rate, {r['products']:,} products", r["rate"], "products/s",
               target=f"≥ {TARGET_RATE:,} products/s", met=r["rate"] >= TARGET_RATE, catalog=r["products"])
    for r in results:
        figure(f"reindex peak RSS, {r['products']:,} products (manage.py check: {r['baseline_rss_mb']:.0f} MB)",
               round(r["peak_rss_mb"]), "MB", catalog=r["products"])
    figure(f"reindex peak RSS growth, {results[0]['products']:,} → {results[-1]['products']:,} products",
           round(growth), "MB", target="flat memory (≈ 0 MB)", catalog=results[-1]["products"])
    if slowest < TARGET_RATE:
        sys.exit(1)


if __name__ == "__main__":
    main()
