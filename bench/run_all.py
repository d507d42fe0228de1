"""`make bench`: run every benchmark script under bench/ and write docs/PERFORMANCE.md.

Each script prints its own figures; this runner records them with the machine
they ran on. The reference (a bare Django view under the same gunicorn, measured
by bench/reference.py in the same run) sits beside them."""

from __future__ import annotations

import datetime
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, machine  # noqa: E402

ORDER = ["reference.py"]  # first, so the page reads top-down from the baseline


def scripts() -> list[Path]:
    found = sorted(p for p in (ROOT / "bench").glob("*.py") if not p.name.startswith("_") and p.name != "run_all.py")
    return sorted(found, key=lambda p: (p.name not in ORDER, p.name))


def main() -> int:
    sections, failed = [], []
    for script in scripts():
        print(f"== {script.name}", flush=True)
        started = time.monotonic()
        proc = subprocess.run([sys.executable, str(script)], cwd=ROOT, text=True, capture_output=True)
        took = time.monotonic() - started
        print(proc.stdout, proc.stderr[-2000:] if proc.returncode else "", flush=True)
        status = "ok" if proc.returncode == 0 else f"FAILED (exit {proc.returncode})"
        if proc.returncode:
            failed.append(script.name)
        sections.append(f"## {script.stem}\n\n`bench/{script.name}` — {status}, {took:.0f} s\n\n"
                        f"```\n{proc.stdout.strip()}\n```\n")
    header = (
        "# Performance\n\n"
        f"Written by `make bench` on {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC.\n\n"
        f"Machine: {machine()}.\n\n"
        "Every figure below was measured in this one run, on this machine; search and indexing figures are on "
        "the embedded tantivy engine (never on osmem-server, the in-memory test stand-in for Elasticsearch).\n\n"
    )
    (ROOT / "docs").mkdir(exist_ok=True)
    (ROOT / "docs" / "PERFORMANCE.md").write_text(header + "\n".join(sections))
    print(f"wrote docs/PERFORMANCE.md ({len(sections)} benchmarks, {len(failed)} failed)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
