"""Benchmark: the project's in-process cost of a search against raw tantivy doing the same work.

    .venv/bin/python bench/engine_floor.py [--size 1000000] [--database bench_scale] [--requests 400]

On a kept catalog of bench/scale.py (``<database>_<size>`` and ``var/bench-scale/<size>/``,
seeded and indexed there if missing), in this process: ``search.services.search_products``
(results cache off) answers bench/search_latency.py's mix of requests (text; text + facets;
category + 2 filters + sort; autocomplete) plus browse pages of a second- or third-level
category. While it does, every call it makes on the tantivy searcher (search, aggregate,
fast-field reads, stored documents) is recorded with its arguments; then the same calls are
replayed on the searcher with nothing around them: what tantivy itself costs for that
request, the floor. Printed per kind: p50/p95 of both and of their ratio (target: every kind
≤ 2× raw tantivy). Requests alternate (project, raw, project, raw…) so that both see the same
machine; the ratio is per request, then its median per kind.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections import defaultdict

from harness import DEFAULT_SERVER, ROOT, figure, kept_catalog, load_average, percentile, print_header, setup_django
from search_latency import KINDS, build_requests

BROWSE = "browse a subcategory"
TARGET = 2.0


class RecordingSearcher:
    """Forwards to a tantivy Searcher and records every call (method, args, kwargs)."""

    def __init__(self, searcher, calls: list) -> None:
        self._searcher, self._calls = searcher, calls

    def __getattr__(self, name):
        method = getattr(self._searcher, name)
        if not callable(method):
            return method

        def recorded(*args, **kwargs):
            self._calls.append((name, args, kwargs))
            return method(*args, **kwargs)

        return recorded


class RecordingIndex:
    def __init__(self, index, calls: list) -> None:
        self._index, self._calls = index, calls

    def searcher(self):
        return RecordingSearcher(self._index.searcher(), self._calls)

    def __getattr__(self, name):
        return getattr(self._index, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", default=DEFAULT_SERVER)
    parser.add_argument("--database", default="bench_scale")
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    print_header()
    kept = kept_catalog(args.server, f"{args.database}_{args.size}", args.size,
                        ROOT / "var" / "bench-scale" / str(args.size), SEARCH_RESULTS_CACHE_SECONDS="0",
                        LISTING_CACHE_SECONDS="0", AUTOCOMPLETE_CACHE_SECONDS="0")
    setup_django(kept.env)
    from search.backends import get_backend
    from search.query.request import SearchRequest
    from search.services import search_products
    from store.models import Category

    rng = random.Random(args.seed)
    requests = build_requests(args.requests, rng)
    deep = list(Category.objects.filter(depth__gte=2).values_list("slug_path", flat=True))
    requests += [(BROWSE, SearchRequest(category=rng.choice(deep))) for _ in range(args.requests // 4)]
    rng.shuffle(requests)

    backend = get_backend()
    opened = backend._open_index  # the backend's own reader, wrapped to record what it asks tantivy

    def recording(calls: list):
        def open_index(name=None):
            index, terms = opened(name)
            return RecordingIndex(index, calls), terms
        return open_index

    for _, request in requests[:40]:  # warm-up: readers, term dictionaries, page cache
        search_products(request)
    project: dict[str, list[float]] = defaultdict(list)
    raw: dict[str, list[float]] = defaultdict(list)
    ratios: dict[str, list[float]] = defaultdict(list)
    for kind, request in requests:
        calls: list = []
        backend._open_index = recording(calls)
        started = time.perf_counter()
        search_products(request)
        ours = time.perf_counter() - started
        backend._open_index = opened
        searcher = opened()[0].searcher()
        started = time.perf_counter()
        for name, call_args, call_kwargs in calls:
            getattr(searcher, name)(*call_args, **call_kwargs)
        theirs = time.perf_counter() - started
        project[kind].append(1000 * ours)
        raw[kind].append(1000 * theirs)
        ratios[kind].append(ours / theirs if theirs else float("inf"))

    print(f"load average after: {load_average()}")
    print(f"catalog: {backend.count():,} documents; {len(requests)} requests, each run by the project then "
          "replayed raw\n")
    print(f"{'kind':<30}{'n':>5}{'ours p50':>10}{'ours p95':>10}{'raw p50':>9}{'raw p95':>9}{'ratio p50':>11}"
          f"{'ratio p95':>11}")
    for kind in (*KINDS, BROWSE):
        if not project[kind]:
            continue
        ours, theirs, ratio = project[kind], raw[kind], ratios[kind]
        print(f"{kind:<30}{len(ours):>5}{percentile(ours, 50):>10.2f}{percentile(ours, 95):>10.2f}"
              f"{percentile(theirs, 50):>9.2f}{percentile(theirs, 95):>9.2f}{statistics.median(ratio):>10.2f}×"
              f"{percentile(ratio, 95):>10.2f}×")
        figure(f"in-process search ÷ raw tantivy on the same calls, {kind} (median)",
               round(statistics.median(ratio), 2), "×", target=f"≤ {TARGET:g}×",
               met=statistics.median(ratio) <= TARGET, catalog=args.size)
    print("\nours: search_products (rules, the compiler, the engine calls, the re-rank, the facets' assembly); "
          "raw: the same tantivy calls replayed with nothing around them.")


if __name__ == "__main__":
    main()
