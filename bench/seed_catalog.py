"""Benchmark: ``seed_catalog`` for 50,000 products against a fresh PostgreSQL database.

    .venv/bin/python bench/seed_catalog.py [--products 50000] [--seed 1] [--keep]

Creates a throwaway database (``bench_seed``) on the server of ``--server``, migrates
it, runs the seed command in a subprocess with ``DATABASE_URL`` pointing at it, and
prints the elapsed time and products/s of the seeding alone (migrations excluded).
Target: 50,000 products in under 60 s. The database is dropped afterwards unless
``--keep`` is given; the temporary var directory always is.
"""

import argparse
import re

from harness import DEFAULT_SERVER, bench_env, figure, manage, print_header, throwaway_database, throwaway_dir

TARGET_SECONDS = 60
RESULT = re.compile(r"Seeded ([\d,]+) products in ([\d.]+) s \(([\d,]+) products/s\)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--server", default=DEFAULT_SERVER)
    parser.add_argument("--database", default="bench_seed")
    parser.add_argument("--products", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards.")
    args = parser.parse_args()

    print_header()
    # Keep the run away from the project's var/ (tantivy index, SQLite).
    with (throwaway_database(args.server, args.database, keep=args.keep) as db_url,
          throwaway_dir("bench-seed-") as var_dir):
        env = bench_env(db_url, var_dir)
        manage(env, "migrate", "--verbosity", "0")
        run = manage(env, "seed_catalog", "--products", str(args.products), "--seed", str(args.seed))

    print(run.stdout.rstrip())
    match = RESULT.search(run.stdout)
    if match:
        print(f"seed_catalog: {match.group(1)} products in {match.group(2)} s = {match.group(3)} products/s")
    wall = run.seconds
    print(f"wall clock including Django start-up: {wall:.1f} s ({args.products / wall:,.0f} products/s)")
    met = wall < TARGET_SECONDS
    print(f"{wall:.1f} s: {'meets' if met else 'MISSES'} the target of under {TARGET_SECONDS} s "
          f"for {args.products:,} products")
    figure(f"seed_catalog --products {args.products}, wall clock incl. Django start-up", round(wall, 1), "s",
           target=f"< {TARGET_SECONDS} s (50k)", met=met, catalog=args.products)
    if match:
        figure("seed_catalog rate (the command's own report)", int(match.group(3).replace(",", "")),
               "products/s", catalog=int(match.group(1).replace(",", "")))


if __name__ == "__main__":
    main()
