"""Benchmark: what semantic matching (search.semantic, issue 14) costs a search, and its vocabulary.

    .venv/bin/python bench/semantic_latency.py [--products 50000] [--rounds 5]

A throwaway PostgreSQL database seeded with ``seed_catalog --products N`` and indexed on tantivy
(``manage.py reindex``, which builds the semantic vocabulary). Then, in this process,
``search.services.search_products`` (what /api/search and the pages call, without the web tier)
on the same queries with semantic matching on and off, in alternating rounds, with the
query-results cache off (``SEARCH_RESULTS_CACHE_SECONDS=0``; a repeated query is cached anyway):

* shoppers' words the catalog never uses (bench/relevance.py's SHOPPER_WORDS): on with the query
  vectors' LRU emptied before the round (each word embedded: a query seen for the first time), on
  with the LRU warm, and off;
* product types the index knows (category names): on and off (semantic matching looks and
  stops: nothing to expand).

Printed: p50 (median of the rounds' p50) and p95 (worst round's) per case, the overhead (on − off),
and the vocabulary refresh at this size cold (embedding cache emptied) and warm.
"""

from __future__ import annotations

import argparse
import statistics
import time

from harness import DEFAULT_SERVER, figure, indexed_catalog, percentile, print_header, setup_django
from relevance import SHOPPER_WORDS


def timed(search, texts: list[str], **kwargs) -> list[float]:
    from search.query.request import SearchRequest

    out = []
    for text in texts:
        started = time.perf_counter()
        search(SearchRequest(text=text, page_size=24, **kwargs))
        out.append((time.perf_counter() - started) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", default=DEFAULT_SERVER)
    parser.add_argument("--database", default="bench_semantic")
    parser.add_argument("--products", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print_header()
    # The query-results cache off: the engine and semantic matching are measured, not a cache hit.
    with indexed_catalog(args.server, args.database, args.products, 1,
                         SEARCH_RESULTS_CACHE_SECONDS="0") as (env, _var_dir):
        setup_django(env)
        from search.semantic import embedder
        from search.semantic.models import Embedding
        from search.semantic.vocabulary import refresh_vocabulary
        from search.services import search_products
        from store.models import Category

        if not embedder.enabled():
            raise SystemExit(f"semantic matching is {embedder.status()}: nothing to measure")
        Embedding.objects.all().delete()
        cold = refresh_vocabulary()
        warm = refresh_vocabulary()
        print(f"vocabulary at {args.products:,} products: {cold.terms} terms; cold {cold.seconds:.1f}s "
              f"({cold.embedded} embedded, {cold.embedded / cold.seconds:,.0f} terms/s), warm {warm.seconds:.1f}s "
              f"({warm.embedded} embedded)")
        shoppers = [q for q, _c, _n in SHOPPER_WORDS]
        known = sorted({c.name.lower() for c in Category.objects.filter(depth=3)})[:40]
        for text in shoppers + known:  # warm-up: the model loaded, the engine's caches filled
            timed(search_products, [text])
        cases: dict[str, list[list[float]]] = {k: [] for k in (
            "shoppers' words, on, cold", "shoppers' words, on, warm", "shoppers' words, off",
            "known words, on", "known words, off")}
        for _ in range(args.rounds):
            embedder._queries.clear()  # a query seen for the first time  # noqa: SLF001
            cases["shoppers' words, on, cold"].append(timed(search_products, shoppers))
            cases["shoppers' words, on, warm"].append(timed(search_products, shoppers))
            cases["shoppers' words, off"].append(timed(search_products, shoppers, semantic=False))
            cases["known words, on"].append(timed(search_products, known))
            cases["known words, off"].append(timed(search_products, known, semantic=False))
        summary = {}
        for name, rounds in cases.items():
            p50 = statistics.median(percentile(r, 50) for r in rounds)
            p95s = [percentile(r, 95) for r in rounds]
            summary[name] = (p50, max(p95s), statistics.median(p95s))
            print(f"{name:<28} p50 {p50:6.1f} ms  p95 worst round {max(p95s):6.1f} ms  "
                  f"(median round {statistics.median(p95s):6.1f}, best {min(p95s):6.1f})")
        for label, on, off in (("shoppers' words, first time", "shoppers' words, on, cold", "shoppers' words, off"),
                               ("shoppers' words, repeated", "shoppers' words, on, warm", "shoppers' words, off"),
                               ("known words", "known words, on", "known words, off")):
            overhead = summary[on][2] - summary[off][2]
            figure(f"semantic matching p95 overhead, {label} ({args.products:,} products, median round)",
                   round(overhead, 1), "ms", target="≤ 15 ms", met=overhead <= 15)


if __name__ == "__main__":
    main()
