"""Benchmark: search latency on the tantivy engine with 50,000 products.

    .venv/bin/python bench/search_latency.py [--products 50000] [--requests 500]

A throwaway PostgreSQL database (``bench_search``) seeded with ``seed_catalog --products N
--seed 1`` and indexed with ``manage.py reindex`` into a temporary directory. Then, in this
process, ``search.services.search_products`` answers a shuffled mix of requests, built
from the catalog's own words, categories and brands (fixed random seed), in four kinds:

- text: a one- or two-word query, facets counted (what the search page shows);
- text + facets: the same with one or two brands and a minimum rating selected;
- category + 2 filters + sort: a category page with a brand and a price range, sorted;
- autocomplete: the first 2–5 letters of a word, as-you-type (6 products, few facets).

Prints p50/p95/max per kind and overall, after a warm-up that is not counted.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections import defaultdict
from decimal import Decimal

from harness import DEFAULT_SERVER, figure, indexed_catalog, load_average, percentile, print_header, setup_django

WARM_UP = 40
KINDS = ("text", "text + facets", "category + 2 filters + sort", "autocomplete")


def build_requests(count: int, rng: random.Random) -> list[tuple[str, object]]:
    from search.query.request import SearchRequest
    from search.query.text import query_words
    from search.services import search_products
    from store.models import Category, Product

    names = list(Product.objects.visible().order_by("?").values_list("name", flat=True)[:500])
    words = sorted({w for name in names for w in query_words(name) if len(w) >= 4 and not w.isdigit()})
    categories = list(Category.objects.filter(depth__lte=2).values_list("slug_path", flat=True))
    sorts = ("price_asc", "price_desc", "newest", "rating", "bestselling")

    def text() -> str:
        return " ".join(rng.sample(words, rng.choice((1, 1, 2))))

    def facet_values(request: SearchRequest, facet: str) -> list[str]:
        result = search_products(request)
        return [v.value for f in result.facets if f.name == facet for v in f.values if v.count]

    requests: list[tuple[str, object]] = []
    for i in range(count):
        kind = KINDS[i % len(KINDS)]
        if kind == "text":
            request = SearchRequest(text=text())
        elif kind == "text + facets":
            query = rng.choice(names).split()[-1]  # a word that surely matches
            brands = facet_values(SearchRequest(text=query), "brand") or ["none"]
            picked = tuple(sorted(rng.sample(brands, min(len(brands), rng.choice((1, 2))))))
            request = SearchRequest(text=query, selected={"brand": picked, "rating": rng.choice((3, 4))})
        elif kind == "category + 2 filters + sort":
            category = rng.choice(categories)
            brands = facet_values(SearchRequest(category=category), "brand") or ["none"]
            low = Decimal(rng.choice((0, 10, 20, 50)))
            brand = rng.choice(brands)  # the random draws in the order they always were
            price = (low, low + Decimal(rng.choice((50, 100, 500))))
            request = SearchRequest(category=category, selected={"brand": (brand,), "price": price},
                                    sort=rng.choice(sorts))
        else:
            word = rng.choice(words)
            request = SearchRequest(text=word[: rng.randint(2, 5)], autocomplete=True, page_size=6)
        requests.append((kind, request))
    rng.shuffle(requests)
    return requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", default=DEFAULT_SERVER)
    parser.add_argument("--database", default="bench_search")
    parser.add_argument("--products", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    print_header()
    # The engine is measured: the result caches (search.result_cache) are off.
    no_caches = {"SEARCH_RESULTS_CACHE_SECONDS": "0", "LISTING_CACHE_SECONDS": "0", "AUTOCOMPLETE_CACHE_SECONDS": "0"}
    with indexed_catalog(args.server, args.database, args.products, args.seed, **no_caches) as (env, _):
        setup_django(env)
        from django.db import connections

        from search.backends import get_backend
        from search.services import search_products

        rng = random.Random(args.seed)
        warm_up, requests = build_requests(WARM_UP, rng), build_requests(args.requests, rng)
        indexed = get_backend().count()
        for _, request in warm_up:
            search_products(request)
        timings: dict[str, list[float]] = defaultdict(list)
        totals: dict[str, list[int]] = defaultdict(list)
        for kind, request in requests:
            started = time.perf_counter()
            result = search_products(request)
            timings[kind].append((time.perf_counter() - started) * 1000)
            totals[kind].append(result.total)
        connections.close_all()
    print(f"load average after: {load_average()}")
    print(f"catalog: {indexed:,} documents on tantivy; {sum(map(len, timings.values()))} requests "
          f"after {WARM_UP} warm-up requests")
    print(f"{'kind':<30} {'n':>4} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'mean hits':>10}")
    everything = []
    for kind in KINDS:
        ms = timings[kind]
        everything += ms
        print(f"{kind:<30} {len(ms):>4} {percentile(ms, 50):>7.1f} {percentile(ms, 95):>7.1f} {max(ms):>7.1f} "
              f"{statistics.fmean(totals[kind]):>10,.0f}")
    print(f"{'all':<30} {len(everything):>4} {percentile(everything, 50):>7.1f} {percentile(everything, 95):>7.1f} "
          f"{max(everything):>7.1f}")
    for name, p in (("p50", 50), ("p95", 95)):
        figure(f"search latency {name}, all kinds", round(percentile(everything, p), 1), "ms", catalog=indexed)
    for kind in KINDS:
        figure(f"search latency p95, {kind}", round(percentile(timings[kind], 95), 1), "ms", catalog=indexed)


if __name__ == "__main__":
    main()
