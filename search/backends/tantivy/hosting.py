"""Run the facets' "every filter" aggregations inside another facet group's run.

Each selected facet group is counted in a run of its own, under every filter but its own
(disjunctive facets), and what every filter narrows (unselected attributes, availability,
a top-level category...) in one more run. That last run's products are those of any
group's run that also pass the group's own filter: when that filter is a set of terms (a
brand, several brands, a category, one attribute value), a ``terms`` bucket restricted to
them (``include``) holds exactly those products, and the "every filter" aggregations
nested in it count the same as their own run would. One run fewer per search: measured
at 50,000 products, 0.31 → 0.20 ms for the two runs of a text + 2 brands + 3 filters search.

Several included terms give several buckets, added up here: each product has one brand
and one category path per level, so none is counted twice. A multi-valued field (an
attribute) hosts only with one value; equal-count price ranges (percentiles, which do not
add up) only in a single bucket.
"""

from __future__ import annotations

from search.facets import agg_buckets
from search.query.filters import Filter

HOSTED = "every_filter"  # the nested aggregation's name, never a facet's


def host_for(filters: list[Filter], aggs: dict, candidates: set[str]) -> Filter | None:
    """The filter whose group's run can carry ``aggs``, among the groups with a run of their own."""
    by_group = {f.group: f for f in filters}
    # Single-valued fields first (any number of their included terms may host), then by
    # name: a stable choice (brand before category) whatever order the filters came in.
    ordered = sorted((g for g in candidates if g in by_group), key=lambda g: (not by_group[g].single_valued, g))
    for group in ordered:
        f = by_group[group]
        if f.kind not in ("term", "terms") or not all(isinstance(v, str) for v in f.values):
            continue
        one_bucket = len(f.values) == 1
        if not one_bucket and (not f.single_valued or any("percentiles" in a for a in aggs.values())):
            continue
        return f
    return None


def hosted(host: Filter, aggs: dict) -> dict:
    """The aggregation to add to the host group's run."""
    return {HOSTED: {"terms": {"field": host.field, "size": len(host.values), "include": list(host.values)},
                     "aggs": aggs}}


def unhost(raw: dict) -> dict:
    """The hosted aggregations' results, added up over the included terms' buckets."""
    found = raw.pop(HOSTED, None)
    merged: dict = {}
    for bucket in agg_buckets(found):
        for name, result in bucket.items():
            if isinstance(result, dict):
                merged[name] = _add(merged[name], result) if name in merged else result
    return merged


def _add(a: dict, b: dict) -> dict:
    if "buckets" in a:  # terms or range: counts by key, in first-seen order
        counts: dict = {}
        order = []
        for bucket in [*agg_buckets(a), *agg_buckets(b)]:
            key = bucket["key"]
            if key not in counts:
                order.append(bucket)
                counts[key] = 0
            counts[key] += bucket["doc_count"]
        return {"buckets": [{**bucket, "doc_count": counts[bucket["key"]]} for bucket in order]}
    if "count" in a:  # stats
        count = a["count"] + b["count"]
        total = (a.get("sum") or 0) + (b.get("sum") or 0)
        lows = [v for v in (a.get("min"), b.get("min")) if v is not None]
        highs = [v for v in (a.get("max"), b.get("max")) if v is not None]
        return {"count": count, "sum": total, "min": min(lows) if lows else None,
                "max": max(highs) if highs else None, "avg": total / count if count else None}
    raise ValueError(f"cannot add aggregation results {sorted(a)}")

