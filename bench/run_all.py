"""`make bench`: run every benchmark script under bench/ and write docs/PERFORMANCE.md.

Each script prints its own figures, and one ``FIGURE {json}`` line per figure
(bench/harness: ``figure()``). This runner puts those in a summary table at the top of
the page, with the machine they ran on, and each script's full output below it. The
reference (the bare Django view /healthz under the same gunicorn and load generator)
is measured by bench/reference.py and again beside the pages by bench/cache_throughput.py,
both in this one run."""

from __future__ import annotations

import datetime
import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import ROOT, machine  # noqa: E402

ORDER = ["reference.py"]  # first, so the page reads top-down from the baseline
# Scripts with a make target of their own, not run by `make bench`.
SEPARATE = {"prod_drill.py": "make prod-drill (starts the whole prod-local topology)",
            # on catalogs of up to a million products, kept between runs
            "scale.py": "make bench-scale", "engine_floor.py": "make bench-scale",
            "facet_counts.py": "make bench-scale",
            # a million search events, and the commit before issue 20 beside this tree
            "analytics_reports.py": "make bench-analytics", "analytics_overhead.py": "make bench-analytics"}
FIGURE_PREFIX = "FIGURE "


@dataclass
class Run:
    script: Path
    returncode: int
    seconds: float
    stdout: str
    figures: list[dict] = field(default_factory=list)


def scripts() -> list[Path]:
    found = sorted(p for p in (ROOT / "bench").glob("*.py") if not p.name.startswith("_") and p.name != "run_all.py"
             and p.name not in SEPARATE)
    return sorted(found, key=lambda p: (p.name not in ORDER, p.name))


def run(script: Path) -> Run:
    print(f"== {script.name}", flush=True)
    started = time.monotonic()
    proc = subprocess.run([sys.executable, str(script)], cwd=ROOT, text=True, capture_output=True)
    took = time.monotonic() - started
    print(proc.stdout, proc.stderr[-2000:] if proc.returncode else "", flush=True)
    figures = [json.loads(line[len(FIGURE_PREFIX):]) for line in proc.stdout.splitlines()
               if line.startswith(FIGURE_PREFIX)]
    return Run(script, proc.returncode, took, proc.stdout, figures)


def number(value: float) -> str:
    """As the script rounded it (3.3, 5.0, 13,853), with thousands separators."""
    return f"{value:,}"


def summary(runs: list[Run]) -> str:
    reference = next((f["value"] for r in runs if r.script.name == "reference.py" for f in r.figures), None)
    rows = [
        "| figure | value | target | catalog | reference: bare view req/s |",
        "| --- | ---: | --- | ---: | ---: |",
    ]
    for r in runs:
        if r.returncode:
            rows.append(f"| `bench/{r.script.name}` FAILED (exit {r.returncode}): see its output below | | | | |")
        for f in r.figures:
            target = f.get("target") or "—"
            if f.get("target") and f.get("met") is not None:
                target += " — met" if f["met"] else " — **missed**"
            own = f.get("reference")
            ref = number(own) if own is not None else (f"{number(reference)} ¹" if reference is not None else "—")
            catalog = f"{f['catalog']:,}" if f.get("catalog") else "—"
            rows.append(f"| {f['what']} (`{r.script.stem}`) | {number(f['value'])} {f['unit']} | {target} | "
                        f"{catalog} | {ref} |")
    return "\n".join(rows) + (
        "\n\nCatalog: products in the database (and the index) the figure was measured on. "
        "Reference: what gunicorn serves of the bare Django view /healthz (no database, no template, no cache) "
        "with the same configuration, load generator and duration as the page figures; on the page rows, "
        "measured beside the pages in the same `cache_throughput` run. ¹ Measured by `bench/reference.py` in "
        "this run: given on the rows that are not requests/s as a yardstick of this machine's speed.\n"
    )


def separate_sections(page: str) -> str:
    """The sections the SEPARATE scripts wrote into the page (between ``<!-- name -->`` and
    ``<!-- /name -->``): kept as they are, since this run did not measure them."""
    found = re.finditer(r"^<!-- ([a-z_]+) -->$.*?^<!-- /\1 -->$", page, re.M | re.S)
    return "".join("\n" + match.group(0) + "\n" for match in found if f"{match.group(1)}.py" in SEPARATE)


def main() -> int:
    runs = [run(script) for script in scripts()]
    failed = [r.script.name for r in runs if r.returncode]
    sections = [
        f"## {r.script.stem}\n\n`bench/{r.script.name}` — "
        f"{'ok' if r.returncode == 0 else f'FAILED (exit {r.returncode})'}, {r.seconds:.0f} s\n\n"
        f"```\n{r.stdout.strip()}\n```\n"
        for r in runs
    ]
    header = (
        "# Performance\n\n"
        f"Written by `make bench` on {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC.\n\n"
        f"Machine: {machine()}.\n\n"
        "Every figure below was measured in this one run, on this machine; search and indexing figures are on "
        "the embedded tantivy engine (never on osmem-server, the in-memory test stand-in for Elasticsearch).\n\n"
        "## Summary\n\n"
    )
    (ROOT / "docs").mkdir(exist_ok=True)
    page = ROOT / "docs" / "PERFORMANCE.md"
    kept = separate_sections(page.read_text()) if page.exists() else ""
    page.write_text(header + summary(runs) + "\n" + "\n".join(sections) + kept)
    print(f"wrote docs/PERFORMANCE.md ({len(runs)} benchmarks, {len(failed)} failed)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
