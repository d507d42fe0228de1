"""Facet declarations and the engine-neutral facet logic.

Facets are disjunctive: each facet's counts are computed under every filter
except its own, so picking one brand never hides the other brands. Both
engines take the Elasticsearch aggregation syntax declared here; they differ
only in how the other facets' filters are applied (ES: a filter aggregation
per facet; tantivy: one aggregation run per distinct filter set).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from search.request import Facet, FacetValue, SearchRequest

RATING_STEPS = (4, 3, 2, 1)
MAX_FIXED_PRICE_RANGES = 20
MAX_TERMS = 200
MAX_ATTRIBUTE_TERMS = 1000


@dataclass(frozen=True)
class Filter:
    """One filter in engine-neutral form: ``kind`` is term, terms, not_terms,
    range (floats) or int_range."""

    group: str  # the facet that owns it: its own counts ignore it
    kind: str
    field: str
    values: tuple = ()
    gte: float | None = None
    lte: float | None = None


def request_filters(req: SearchRequest) -> list[Filter]:
    filters: list[Filter] = []
    if req.category:
        filters.append(Filter("category", "term", "category_paths", (req.category,)))
    if req.brands:
        filters.append(Filter("brand", "terms", "brand_slug", req.brands))
    if req.price_min is not None or req.price_max is not None:
        filters.append(
            Filter(
                "price", "range", "price",
                gte=float(req.price_min) if req.price_min is not None else None,
                lte=float(req.price_max) if req.price_max is not None else None,
            )
        )
    if req.rating_min:
        filters.append(Filter("rating", "range", "rating", gte=float(req.rating_min)))
    if req.in_stock:
        filters.append(Filter("availability", "term", "in_stock", (True,)))
    for code, values in req.attributes:
        filters.append(Filter(f"attr:{code}", "terms", "attrs", tuple(f"{code}={v}" for v in values)))
    # Rule filters (group "_rules") apply to every facet too.
    if req.only_ids:
        filters.append(Filter("_rules", "terms", "id", req.only_ids))
    excluded = getattr(req.tuning, "excluded_ids", ())
    if excluded:
        filters.append(Filter("_rules", "not_terms", "id", tuple(excluded)))
    return filters


def aggregation_plan(req: SearchRequest) -> list[tuple[str | None, dict]]:
    """(facet group, aggregations in ES syntax): each group's aggregations are
    computed under every filter except the group's own."""
    if req.autocomplete:
        return [(None, {"category": {"terms": {"field": "category_paths", "size": 8}},
                        "brand": {"terms": {"field": "brand_slug", "size": 4}}})]
    plan: list[tuple[str | None, dict]] = [
        (category_group(req), {"category": {"terms": {"field": "category_paths", "size": MAX_TERMS}}}),
        ("brand", {"brand": {"terms": {"field": "brand_slug", "size": MAX_TERMS}}}),
        ("price", {"price": {"stats": {"field": "price"}}, **price_percentiles_agg(req)}),
        # Disjoint bands (tantivy rejects overlapping ranges), summed into "n★ & up".
        ("rating", {"rating": {"range": {"field": "rating", "ranges": [
            {"key": str(n), "from": n, **({"to": n + 1} if n < max(RATING_STEPS) else {})} for n in RATING_STEPS
        ]}}}),
        # Only "in stock" is shown, which lies inside its own filter: counted under every filter.
        (None, {"availability": {"terms": {"field": "in_stock", "size": 2}}}),
        # Unselected attributes are counted under every filter...
        (None, {"attrs": {"terms": {"field": "attrs", "size": MAX_ATTRIBUTE_TERMS}}}),
    ]
    # ...and each selected attribute without its own filter.
    for code, _ in req.attributes:
        plan.append((f"attr:{code}", {f"attrs__{code}": {"terms": {"field": "attrs", "size": MAX_ATTRIBUTE_TERMS}}}))
    return plan


def category_group(req: SearchRequest) -> str | None:
    """The group whose filter the category counts ignore, or None: under every filter.

    The facet shows the selected category's ancestors, itself and its subcategories. The
    last two lie inside the category filter, so they count the same with it as without
    it: a top-level selection (no ancestors) needs no aggregation run of its own."""
    return "category" if req.category and "/" in req.category else None


def price_percentiles_agg(req: SearchRequest) -> dict:
    """Equal-count price ranges need the price percentiles (ES syntax; tantivy takes it too)."""
    if not req.price_equal_ranges:
        return {}
    n = req.price_equal_ranges
    percents = [round(100 * i / n, 3) for i in range(1, n)]
    return {"price_percentiles": {"percentiles": {"field": "price", "percents": percents}}}


def filters_without(filters: list[Filter], group: str | None) -> list[Filter]:
    return [f for f in filters if f.group != group]


def price_ranges(low: float, high: float, step: float | None = None,
                 steps: int = 5) -> list[tuple[float | None, float | None]]:
    """Price ranges spanning the results: every ``step`` when the category asks for
    fixed steps, else round-number ranges that adapt to what was found."""
    if high <= low:
        return [(None, None)]
    if step:
        step = max(1, int(step))
        edges = []
        edge = (int(low) // step + 1) * step
        while edge < high and len(edges) < MAX_FIXED_PRICE_RANGES - 1:
            edges.append(edge)
            edge += step
        return _bounds(edges)
    raw_step = (high - low) / steps
    magnitude = 10 ** max(0, len(str(int(raw_step))) - 1)
    step = max(1, round(raw_step / magnitude)) * magnitude
    edges = []
    edge = (int(low) // step + 1) * step
    while edge < high and len(edges) < steps - 1:
        edges.append(edge)
        edge += step
    return _bounds(edges)


def equal_count_price_ranges(low: float, high: float,
                             percentiles: dict) -> list[tuple[float | None, float | None]]:
    """Ranges holding similar numbers of products: edges at the price percentiles
    (both engines answer ``percentiles``; their estimates differ slightly, and the edges
    are rounded to two significant digits), each counted exactly afterwards."""
    values = sorted(
        (float(k), v) for k, v in (percentiles.get("values") or {}).items() if isinstance(v, (int, float))
    )
    edges = sorted({_round_edge(v) for _, v in values})
    return _bounds([e for e in edges if low < e < high]) if high > low else [(None, None)]


def _round_edge(value: float) -> int:
    """The next round number above a percentile (two significant digits): ranges include
    their lower bound, so the percentile's own products stay in the range below."""
    magnitude = 10 ** max(0, len(str(int(value))) - 2)
    return (int(value) // magnitude + 1) * magnitude


def _bounds(edges: list) -> list[tuple[float | None, float | None]]:
    bounds: list[tuple[float | None, float | None]] = []
    previous = None
    for edge in edges:
        bounds.append((previous, float(edge)))
        previous = float(edge)
    bounds.append((previous, None))
    return bounds


def price_bounds(req: SearchRequest, raw: dict) -> list[tuple[float | None, float | None]]:
    """The price ranges to count for this request, from its first aggregations
    (``price`` stats, and ``price_percentiles`` when asked for equal-count ranges)."""
    stats = raw.get("price") or {}
    if req.price_equal_ranges and raw.get("price_percentiles"):
        return equal_count_price_ranges(stats["min"], stats["max"], raw["price_percentiles"])
    return price_ranges(stats["min"], stats["max"], req.price_step)


def price_range_agg(bounds: list[tuple[float | None, float | None]]) -> dict:
    ranges = []
    for lo, hi in bounds:
        r: dict = {"key": _range_key(lo, hi)}
        if lo is not None:
            r["from"] = lo
        if hi is not None:
            r["to"] = hi
        ranges.append(r)
    return {"price_ranges": {"range": {"field": "price", "ranges": ranges}}}


def _range_key(lo: float | None, hi: float | None) -> str:
    return f"{'' if lo is None else int(lo)}-{'' if hi is None else int(hi)}"


def build_facets(req: SearchRequest, raw: dict, category_labels: dict[str, str],
                 attribute_labels: dict[str, str]) -> list[Facet]:
    """Turn engine aggregation results (ES response shape) into display facets."""
    facets: list[Facet] = []

    # Category: the selected path's ancestors, then its children (or the top level).
    counts = {b["key"]: b["doc_count"] for b in agg_buckets(raw.get("category"))}
    selected = req.category or ""
    depth = selected.count("/") + 1 if selected else 0
    values = []
    if selected:
        parts = selected.split("/")
        for i in range(1, len(parts) + 1):
            path = "/".join(parts[:i])
            values.append(FacetValue(path, category_labels.get(path, parts[i - 1]), counts.get(path, 0), True, i - 1))
    if req.autocomplete:
        # Suggest the most specific categories that hold the matches.
        ranked = sorted(counts.items(), key=lambda item: (-item[1], -item[0].count("/"), item[0]))
        values = [FacetValue(path, category_labels.get(path, path), n, False, path.count("/")) for path, n in ranked]
    for path, n in sorted(counts.items()):
        if req.autocomplete:
            break
        if path.count("/") == depth and (not selected or path.startswith(selected + "/")):
            values.append(FacetValue(path, category_labels.get(path, path.rsplit("/", 1)[-1]), n, False, depth))
    facets.append(Facet("category", "Category", values, kind="tree"))

    brands = set(req.brands)
    brand_values = [FacetValue(b["key"], category_labels.get("brand:" + b["key"], b["key"]), b["doc_count"],
                               b["key"] in brands) for b in agg_buckets(raw.get("brand"))]
    # A selected brand stays visible (count 0) so it can be unticked.
    for slug in brands - {v.value for v in brand_values}:
        brand_values.append(FacetValue(slug, category_labels.get("brand:" + slug, slug), 0, True))
    brand_values.sort(key=lambda v: (-v.count, v.label.lower()))
    facets.append(Facet("brand", "Brand", brand_values))

    price_values = []
    keyed = {r["key"] for r in (raw.get("_price_keys") or [])}
    for b in agg_buckets(raw.get("price_ranges")):
        if b["doc_count"] and (not keyed or b["key"] in keyed):
            price_values.append(FacetValue(b["key"], _price_label(b["key"]), b["doc_count"]))
    stats = raw.get("price") or {}
    facet = Facet("price", "Price", price_values, kind="range")
    facet.stats = {"min": stats.get("min"), "max": stats.get("max")}  # type: ignore[attr-defined]
    facets.append(facet)

    # Only our keyed bands: tantivy also reports the uncovered range ("*-1").
    bands = {int(b["key"]): b["doc_count"] for b in agg_buckets(raw.get("rating")) if str(b["key"]).isdigit()}
    rating_counts = {str(n): sum(c for band, c in bands.items() if band >= n) for n in RATING_STEPS}
    facets.append(Facet("rating", "Rating", [
        FacetValue(str(n), f"{n}★ & up", rating_counts.get(str(n), 0), req.rating_min == n)
        for n in RATING_STEPS if rating_counts.get(str(n), 0) or req.rating_min == n
    ]))

    stock = {str(b.get("key_as_string", b["key"])).lower(): b["doc_count"]
             for b in agg_buckets(raw.get("availability"))}
    in_stock = stock.get("true", 0) + stock.get("1", 0)
    facets.append(Facet("availability", "Availability", [FacetValue("1", "In stock", in_stock, req.in_stock)]))

    selected_attrs = req.attribute_filters()
    by_code: dict[str, list[FacetValue]] = {}
    for key, buckets in raw.items():
        if not key.startswith("attrs"):
            continue
        only = key.split("__", 1)[1] if "__" in key else None
        for b in agg_buckets(buckets):
            code, _, value = b["key"].partition("=")
            if only is not None and code != only:
                continue
            if only is None and code in selected_attrs:
                continue  # counted in its own group
            if code not in attribute_labels:
                continue  # only the current category's attributes are facets
            by_code.setdefault(code, []).append(
                FacetValue(value, value, b["doc_count"], value in selected_attrs.get(code, ()))
            )
    for code, label in attribute_labels.items():
        values = by_code.get(code, [])
        for v in set(selected_attrs.get(code, ())) - {x.value for x in values}:
            values.append(FacetValue(v, v, 0, True))
        if values:
            values.sort(key=lambda v: (-v.count, v.label.lower()))
            facets.append(Facet(f"attr_{code}", label, values))
    return facets


def agg_buckets(agg) -> list[dict]:
    """An aggregation's buckets as a list (keyed buckets come as a dict), [] when absent."""
    if not agg:
        return []
    buckets = agg.get("buckets", [])
    if isinstance(buckets, dict):
        return [{"key": k, **v} for k, v in buckets.items()]
    return buckets


def _price_label(key: str) -> str:
    lo, _, hi = key.partition("-")
    if lo and hi:
        return f"${lo} – ${hi}"
    if hi:
        return f"Under ${hi}"
    return f"${lo} & above"


def parse_price_key(key: str) -> tuple[Decimal | None, Decimal | None]:
    lo, _, hi = key.partition("-")
    return (Decimal(lo) if lo else None, Decimal(hi) if hi else None)
