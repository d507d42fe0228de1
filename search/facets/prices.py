"""Price ranges: round-number ranges that adapt to the results, fixed steps, or ranges
holding similar numbers of products (from the price percentiles)."""

from __future__ import annotations

from search.query.request import SearchRequest

from .base import agg_buckets

MAX_FIXED_PRICE_RANGES = 20


def price_percentiles_agg(req: SearchRequest) -> dict:
    """Equal-count price ranges need the price percentiles (ES syntax; tantivy takes it too)."""
    if not req.price_equal_ranges:
        return {}
    n = req.price_equal_ranges
    percents = [round(100 * i / n, 3) for i in range(1, n)]
    return {"price_percentiles": {"percentiles": {"field": "price", "percents": percents}}}


def price_ranges(low: float, high: float, step: float | None = None,
                 steps: int = 5) -> list[tuple[float | None, float | None]]:
    """Price ranges spanning the results: every ``step`` when the category asks for
    fixed steps, else round-number ranges that adapt to what was found."""
    if high <= low:
        return [(None, None)]
    if step:
        step = max(1, int(step))
        edges: list[float] = []
        edge: float = (int(low) // step + 1) * step
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
        r: dict = {"key": range_key(lo, hi)}
        if lo is not None:
            r["from"] = lo
        if hi is not None:
            r["to"] = hi
        ranges.append(r)
    return {"price_ranges": {"range": {"field": "price", "ranges": ranges}}}


def range_key(lo: float | None, hi: float | None) -> str:
    return f"{'' if lo is None else int(lo)}-{'' if hi is None else int(hi)}"


def price_values(raw: dict) -> list[tuple[str, int]]:
    """(range key, count) of the non-empty ranges counted."""
    return [(b["key"], b["doc_count"]) for b in agg_buckets(raw.get("price_ranges")) if b["doc_count"]]


def range_label(key: str) -> str:
    lo, _, hi = key.partition("-")
    if lo and hi:
        return f"${lo} – ${hi}"
    if hi:
        return f"Under ${hi}"
    return f"${lo} & above"
