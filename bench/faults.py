"""Benchmark: what the shop serves while a dependency fails, and how fast it heals.

    .venv/bin/python bench/faults.py [--database bench_faults]

Runs the fault tests (tests/test_fault_*.py and test_index_self_heal.py: each injects a real fault — a private Redis
killed, a TCP proxy in front of PostgreSQL cut, osmem-server restarted empty, a tiny
filesystem filled, a reindex killed — on private instances, never the shared services),
then prints what each measured (tests/faults.py reports under test-artifacts/faults/): the
status mix of the requests served during the fault, the seconds from the fault's end to
the first fully good answer, and the updates lost (target 0).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys

from harness import ROOT, figure, print_header

REPORTS = ROOT / "test-artifacts" / "faults"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="bench_faults", help="PostgreSQL database of the test run")
    args = parser.parse_args()
    print_header()
    shutil.rmtree(REPORTS, ignore_errors=True)
    tests = sorted(str(p.relative_to(ROOT)) for p in [*(ROOT / "tests").glob("test_fault_*.py"),
                                                        ROOT / "tests" / "test_index_self_heal.py"])
    env = {**os.environ, "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{args.database}"}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", *tests], cwd=ROOT, env=env,
                         text=True, capture_output=True)
    print(run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr[-2000:])
    reports = [json.loads(p.read_text()) for p in sorted(REPORTS.glob("*.json"))] if REPORTS.exists() else []
    print(f"\n{'fault':<52} {'engine':<14} {'during the fault (status: requests)':<38} {'recovery s':>10} "
          f"{'lost':>5}")
    for r in reports:
        during = ", ".join(f"{status}: {n}" for status, n in sorted(r["during"].items())) or "—"
        recovery = "—" if r["recovery_seconds"] is None else f"{r['recovery_seconds']:.2f}"
        lost = "—" if r["updates_lost"] is None else str(r["updates_lost"])
        print(f"{r['fault'][:52]:<52} {r['engine'] or '—':<14} {during:<38} {recovery:>10} {lost:>5}")
        if r.get("notes"):
            print(f"    {r['notes']}")
        name = f"{r['fault']}{' (' + r['engine'] + ')' if r['engine'] else ''}"
        if r["recovery_seconds"] is not None:
            figure(f"{name}: time to recover", r["recovery_seconds"], "s")
        if r["updates_lost"] is not None:
            figure(f"{name}: updates lost", r["updates_lost"], "updates", target="0", met=r["updates_lost"] == 0)
        server_errors = sum(n for status, n in r["during"].items() if status.startswith("5") and status != "503")
        figure(f"{name}: 5xx other than 503 during the fault", server_errors, "requests", target="0",
               met=server_errors == 0)
    return run.returncode


if __name__ == "__main__":
    sys.exit(main())
