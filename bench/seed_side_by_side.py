"""Benchmark: seed_catalog on two trees side by side, in alternating rounds (a busy machine
moves every figure; alternating spreads the noise over both).

    .venv/bin/python bench/seed_side_by_side.py --base /tmp/base-tree [--products 10000] [--rounds 2]

Each round seeds a fresh throwaway database (and a fresh media directory: the demo pictures
are drawn anew) from the base tree, then from this one; prints each round, the medians and
the worst rounds."""

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from harness import DEFAULT_SERVER, ROOT, bench_env, print_header, throwaway_database

SEEDED = re.compile(r"Seeded ([\d,]+) products in ([\d.]+) s")


def seed_once(tree: Path, server: str, database: str, products: int) -> float:
    with throwaway_database(server, database) as db_url, tempfile.TemporaryDirectory(prefix="bench-seed-") as var:
        env = bench_env(db_url, Path(var))
        manage = [sys.executable, str(tree / "manage.py")]
        subprocess.run([*manage, "migrate", "--verbosity", "0"], env=env, cwd=tree, check=True)
        run = subprocess.run([*manage, "seed_catalog", "--products", str(products), "--seed", "1"], env=env, cwd=tree,
                             check=True, capture_output=True, text=True)
        return float(SEEDED.search(run.stdout).group(2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", type=Path, required=True, help="A checkout of the commit to compare with.")
    parser.add_argument("--server", default=DEFAULT_SERVER)
    parser.add_argument("--database", default="bench_seed_sbs")
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print_header()
    times: dict[str, list[float]] = {"base": [], "this tree": []}
    for round_number in range(1, args.rounds + 1):
        for label, tree in (("base", args.base), ("this tree", ROOT)):
            seconds = seed_once(tree, args.server, args.database, args.products)
            times[label].append(seconds)
            print(f"round {round_number}: {label:9} {args.products:,} products in {seconds:6.1f} s", flush=True)
    for label, values in times.items():
        print(f"{label:9}: median {statistics.median(values):6.1f} s, worst {max(values):6.1f} s "
              f"over {len(values)} rounds")


if __name__ == "__main__":
    main()
