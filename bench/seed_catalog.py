"""Benchmark: ``seed_catalog`` for 50,000 products against a fresh PostgreSQL database.

    .venv/bin/python bench/seed_catalog.py [--products 50000] [--seed 1] [--keep]

Creates a throwaway database (``bench_seed``) on the server of ``--server``, migrates
it, runs the seed command in a subprocess with ``DATABASE_URL`` pointing at it, and
prints the elapsed time and products/s of the seeding alone (migrations excluded).
The database is dropped afterwards unless ``--keep`` is given.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent


def recreate_database(server_url: str, name: str, *, drop_only: bool = False) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if not drop_only:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def database_url(server_url: str, name: str) -> str:
    parts = urlsplit(server_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,  # the output is shown before failing
    )
    if result.returncode:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"manage.py {' '.join(args)} failed with exit code {result.returncode}")
    return result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default="bench_seed")
    parser.add_argument("--products", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards.")
    args = parser.parse_args()

    recreate_database(args.server, args.database)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-seed-") as var_dir:
            env = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "DATABASE_URL": database_url(args.server, args.database),
                # Keep the run away from the project's var/ (tantivy index, SQLite).
                "VAR_DIR": var_dir,
                "DEBUG": "false",
            }
            manage(env, "migrate", "--verbosity", "0")
            started = time.perf_counter()
            output = manage(env, "seed_catalog", "--products", str(args.products), "--seed", str(args.seed))
            wall = time.perf_counter() - started
    finally:
        if not args.keep:
            recreate_database(args.server, args.database, drop_only=True)

    print(output.rstrip())
    match = re.search(r"Seeded ([\d,]+) products in ([\d.]+) s \(([\d,]+) products/s\)", output)
    if match:
        print(f"seed_catalog: {match.group(1)} products in {match.group(2)} s = {match.group(3)} products/s")
    print(f"wall clock including Django start-up: {wall:.1f} s ({args.products / wall:,.0f} products/s)")


if __name__ == "__main__":
    main()
