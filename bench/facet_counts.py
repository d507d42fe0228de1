"""Comparison: every facet count of this tree against another tree's, on the benchmarks' requests.

    .venv/bin/python bench/facet_counts.py --compare /path/to/other/tree [--size 200000]
                                           [--database bench_scale]

The aggregation passes were cut (a deep category's ancestors counted directly, no attribute
aggregation without a category, …): the counts must not move. On a kept catalog of
bench/scale.py (``<database>_<size>``, ``var/bench-scale/<size>/`` and ``<size>-compared/``),
each tree answers, in a child process running its own code on the same database and an index
its own code built, with the results cache off:
bench/api_throughput.py's 300 search paths (text + 5 facet filters + sort), every category's
browse page, each of them with ``in_stock=1`` and with a brand, a text search inside every
second-level category, and 100 autocomplete prefixes. Printed: on how many requests the totals
and every facet (name, values, counts, selection, price statistics) are identical, and the
first differences. Exit 1 on any difference.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import psycopg
from api_throughput import catalog_paths
from harness import DEFAULT_SERVER, ROOT, kept_catalog, print_header

ENGINE_ONLY = {"SEARCH_RESULTS_CACHE_SECONDS": "0", "LISTING_CACHE_SECONDS": "0", "AUTOCOMPLETE_CACHE_SECONDS": "0"}


def bench_requests(db_url: str, seed: int) -> list[str]:
    """Query strings of /api/search and (prefixed ``suggest:``) of /api/autocomplete."""
    searches, prefixes = catalog_paths(db_url, 300, seed)
    with psycopg.connect(db_url) as conn:
        categories = [row[0] for row in conn.execute("SELECT slug_path FROM store_category ORDER BY path")]
        brands = [row[0] for row in conn.execute("SELECT slug FROM store_brand ORDER BY slug")]
        depth2 = [row[0] for row in conn.execute("SELECT slug_path FROM store_category WHERE depth = 2 ORDER BY path")]
    found = [urlsplit(path).query for path in searches]
    for i, category in enumerate(categories):
        found += [urlencode({"category": category}), urlencode({"category": category, "in_stock": "1"}),
                  urlencode({"category": category, "brand": brands[i % len(brands)], "sort": "price_asc"})]
    for category in depth2:
        word = category.rsplit("/", 1)[-1].split("-")[0]
        found.append(urlencode({"q": word, "category": category, "rating": "2"}))
    found += ["suggest:" + urlsplit(path).query for path in prefixes[:100]]
    return found


def emit(requests_path: str, out_path: str) -> None:
    """In a child process, with this tree's code: every request's total and facets, as JSON."""
    import django

    django.setup()
    from django.http import QueryDict

    from search.facets import parse_request
    from search.services import autocomplete, search_products

    answers = []
    for query in json.loads(Path(requests_path).read_text()):
        if query.startswith("suggest:"):
            params = QueryDict(query.removeprefix("suggest:"))
            suggestions = autocomplete(params["q"])
            answers.append({"categories": [[v.value, v.count] for v in suggestions.categories],
                            "brands": [[v.value, v.count] for v in suggestions.brands],
                            "products": [h.id for h in suggestions.products]})
            continue
        result = search_products(parse_request(QueryDict(query)))
        answers.append({"total": result.total,
                        "facets": {f.name: {"values": [[v.value, v.count, v.selected] for v in f.values],
                                            "stats": dict(f.stats or {})} for f in result.facets}})
    Path(out_path).write_text(json.dumps(answers))


def run_tree(tree: Path, env: dict[str, str], requests_path: Path, out: Path) -> list:
    child_env = {**env, "PYTHONPATH": str(tree)}
    run = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--emit", str(requests_path), str(out)],
                         env=child_env, cwd=tree, text=True, capture_output=True)
    if run.returncode:
        raise SystemExit(f"{tree}: {run.stdout}{run.stderr[-3000:]}")
    return json.loads(out.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", default=DEFAULT_SERVER)
    parser.add_argument("--database", default="bench_scale")
    parser.add_argument("--size", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--compare", help="the other checkout (e.g. the last commit before a change)")
    parser.add_argument("--emit", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.emit:
        emit(*args.emit)
        return
    if not args.compare:
        parser.error("--compare TREE is required: the tree whose counts these must equal")

    print_header()
    other = Path(args.compare).resolve()
    kept = kept_catalog(args.server, f"{args.database}_{args.size}", args.size,
                        ROOT / "var" / "bench-scale" / str(args.size), **ENGINE_ONLY)
    # The other tree reads an index its own code built (its schema may differ), of the same database.
    theirs_kept = kept_catalog(args.server, f"{args.database}_{args.size}", args.size,
                               ROOT / "var" / "bench-scale" / f"{args.size}-compared", root=other, **ENGINE_ONLY)
    requests = bench_requests(kept.env["DATABASE_URL"], args.seed)
    with tempfile.TemporaryDirectory(prefix="facet-counts-") as tmp:
        requests_path = Path(tmp) / "requests.json"
        requests_path.write_text(json.dumps(requests))
        ours = run_tree(ROOT, kept.env, requests_path, Path(tmp) / "ours.json")
        theirs = run_tree(other, theirs_kept.env, requests_path, Path(tmp) / "theirs.json")
    differing = [(q, a, b) for q, a, b in zip(requests, ours, theirs, strict=True) if a != b]
    searches = sum(not q.startswith("suggest:") for q in requests)
    print(f"catalog: {args.size:,} products; {len(requests)} requests ({searches} searches and browse pages, "
          f"{len(requests) - searches} autocomplete)")
    print(f"totals and every facet count identical on {len(requests) - len(differing)} of {len(requests)} requests")
    for query, a, b in differing[:10]:
        names = sorted(set(a.get("facets", a)) | set(b.get("facets", b)))
        moved = [n for n in names if a.get("facets", a).get(n) != b.get("facets", b).get(n)]
        print(f"  differs: {query}: total {a.get('total')} vs {b.get('total')}; in {moved}")
    sys.exit(1 if differing else 0)


if __name__ == "__main__":
    main()
