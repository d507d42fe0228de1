"""Search analytics reports over a period (read side of search.analytics.recorder).

Definitions, shown on the report page too:

- a *search* is a first results page shown for a non-empty query (later pages of the
  same query are recorded, with their page number, but are not new searches), one per
  shopper action: the pages a session was shown while typing a query, reloading it or
  polling it (within 10 s of each other, same filters, each query repeating, extending or
  shortening the previous one) are one search, counted under its last query
  (search.analytics.tasks.COLLAPSE_SECONDS);
- a search is *clicked* when at least one result on it (on any page of its action) was
  clicked; the click-through rate (CTR) of a query is clicked searches / searches;
- a *zero-result* search found nothing and was not answered by a redirect;
- a *corrected* search showed results for another text than the one typed: a word the shop
  does not know was corrected, or matched only with typos ("sweter" shown as "sweater"); a
  *relaxed* one ignored words no product matched with the others. Neither is demand met as
  typed: "kettle" answered with "kettles"... of another kind is listed here, not hidden among
  the queries that found something;
- *clicks* count every recorded click in the period, from any page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Count, Exists, F, OuterRef, Q
from django.db.models.functions import TruncDate

from search.analytics.models import ClickEvent, SearchEvent
from store.models import Product

TOP_PRODUCTS_PER_QUERY = 5
MAX_COLUMN_WIDTH = 24


@dataclass
class ProductClicks:
    product_id: int
    name: str
    clicks: int


@dataclass
class QueryRow:
    query: str
    searches: int
    clicked_searches: int = 0
    zero_results: int = 0
    clicks: int = 0
    products: list[ProductClicks] = field(default_factory=list)  # most clicked (top queries only)
    corrected: int = 0  # searches answered for a corrected text (a correction, or typos only)
    typo_only: int = 0  # of which every result matched a word only with typos
    relaxed: int = 0  # searches that ignored words
    corrected_to: str = ""  # the text most often shown instead
    ignored: str = ""  # the words most often ignored

    @property
    def ctr(self) -> float:
        return self.clicked_searches / self.searches if self.searches else 0.0

    @property
    def ctr_percent(self) -> str:
        return f"{self.ctr * 100:.0f} %"


@dataclass
class DayRow:
    day: date
    searches: int
    zero_results: int


@dataclass
class Report:
    start: datetime
    end: datetime
    searches: int
    clicked_searches: int
    zero_result_searches: int
    clicks: int
    corrected_searches: int = 0
    relaxed_searches: int = 0
    top_queries: list[QueryRow] = field(default_factory=list)
    zero_result_queries: list[QueryRow] = field(default_factory=list)
    # the queries most often corrected or relaxed: what shoppers asked for and did not find as typed
    rewritten_queries: list[QueryRow] = field(default_factory=list)
    low_ctr_queries: list[QueryRow] = field(default_factory=list)
    top_products: dict[str, list[ProductClicks]] = field(default_factory=dict)
    days: list[DayRow] = field(default_factory=list)

    @property
    def ctr_percent(self) -> str:
        return f"{(self.clicked_searches / self.searches * 100) if self.searches else 0:.0f} %"


def searches_between(start: datetime, end: datetime):
    """Searches of non-empty queries in [start, end): first results pages, the last of each action."""
    return SearchEvent.objects.filter(created_at__gte=start, created_at__lt=end, page=1,
                                      superseded=False).exclude(query="")


def _clicked() -> Q:
    """The search got at least one click on its results, or on those of an earlier page of its action."""
    pages = SearchEvent.objects.filter(action=OuterRef(OuterRef("action"))).values("token")
    return Q(Exists(ClickEvent.objects.filter(search_token__in=pages)))


def _zero() -> Q:
    return Q(result_count=0, redirected=False)


def _corrected() -> Q:
    return ~Q(corrected_query="")


def _relaxed() -> Q:
    return ~Q(ignored_words=[])


def _most_frequent(searches, column: str, queries: list[str]) -> dict[str, object]:
    """Per query, the value of ``column`` its searches had most often (ties: the smallest)."""
    found: dict[str, object] = {}
    rows = (searches.filter(query__in=queries).values("query", column).annotate(n=Count("id"))
            .order_by("query", "-n", column))
    for r in rows:
        found.setdefault(r["query"], r[column])
    return found


def search_report(start: datetime, end: datetime, *, limit: int = 20, min_searches: int = 10,
                  max_ctr: float = 0.10) -> Report:
    """Top queries, zero-result queries, queries searched at least ``min_searches`` times
    whose CTR is below ``max_ctr`` (a fraction), and the most clicked products of the top
    queries, for searches in [start, end)."""
    searches = searches_between(start, end)
    clicks = ClickEvent.objects.filter(created_at__gte=start, created_at__lt=end)
    totals = searches.aggregate(n=Count("id"), clicked=Count("id", filter=_clicked()),
                                zero=Count("id", filter=_zero()), corrected=Count("id", filter=_corrected()),
                                relaxed=Count("id", filter=_relaxed()))
    per_query = searches.values("query").annotate(
        n=Count("id"), clicked_n=Count("id", filter=_clicked()), zero_n=Count("id", filter=_zero()),
        corrected_n=Count("id", filter=_corrected()), typo_n=Count("id", filter=Q(typo_only=True)),
        relaxed_n=Count("id", filter=_relaxed()),
    )
    clicks_by_query = dict(clicks.exclude(query="").values("query").annotate(n=Count("id"))
                           .values_list("query", "n"))

    def row(values: dict) -> QueryRow:
        return QueryRow(values["query"], values["n"], values["clicked_n"], values["zero_n"],
                        clicks_by_query.get(values["query"], 0), corrected=values["corrected_n"],
                        typo_only=values["typo_n"], relaxed=values["relaxed_n"])

    report = Report(start, end, totals["n"], totals["clicked"], totals["zero"], clicks.count(),
                    corrected_searches=totals["corrected"], relaxed_searches=totals["relaxed"])
    report.top_queries = [row(v) for v in per_query.order_by("-n", "query")[:limit]]
    zero_first = per_query.filter(zero_n__gt=0).order_by("-zero_n", "query")
    report.zero_result_queries = [row(v) for v in zero_first[:limit]]
    rewritten = (per_query.filter(Q(corrected_n__gt=0) | Q(relaxed_n__gt=0))
                 .order_by(-(F("corrected_n") + F("relaxed_n")), "query"))
    report.rewritten_queries = [row(v) for v in rewritten[:limit]]
    shown = [r.query for r in (*report.top_queries, *report.rewritten_queries) if r.corrected or r.relaxed]
    corrected_to = _most_frequent(searches.filter(_corrected()), "corrected_query", shown)
    ignored = _most_frequent(searches.filter(_relaxed()), "ignored_words", shown)
    for query_row in (*report.top_queries, *report.rewritten_queries):
        query_row.corrected_to = str(corrected_to.get(query_row.query, ""))
        query_row.ignored = " ".join(ignored.get(query_row.query) or [])  # type: ignore[arg-type]
    candidates = [row(v) for v in per_query.filter(n__gte=max(1, min_searches))]
    report.low_ctr_queries = sorted((r for r in candidates if r.ctr < max_ctr),
                                    key=lambda r: (r.ctr, -r.searches, r.query))[:limit]
    report.top_products = top_clicked_products(clicks, [r.query for r in report.top_queries])
    for query_row in report.top_queries:
        query_row.products = report.top_products.get(query_row.query, [])
    report.days = [DayRow(v["day"], v["n"], v["zero_n"]) for v in (
        searches.annotate(day=TruncDate("created_at")).values("day")
        .annotate(n=Count("id"), zero_n=Count("id", filter=_zero())).order_by("day")
    )]
    return report


def top_clicked_products(clicks, queries: list[str], per_query: int = TOP_PRODUCTS_PER_QUERY
                         ) -> dict[str, list[ProductClicks]]:
    rows = (clicks.filter(query__in=queries).values("query", "product_id").annotate(n=Count("id"))
            .order_by("query", "-n", "product_id"))
    found: dict[str, list[tuple[int, int]]] = {}
    for r in rows:
        if len(found.setdefault(r["query"], [])) < per_query:
            found[r["query"]].append((r["product_id"], r["n"]))
    ids = {pid for entries in found.values() for pid, _ in entries}
    names = dict(Product.objects.filter(pk__in=ids).values_list("pk", "name"))
    return {query: [ProductClicks(pid, names.get(pid, f"product {pid} (deleted)"), n) for pid, n in entries]
            for query, entries in found.items()}


# --- Charts (inline SVG, drawn by the template from these numbers) ------------------


@dataclass
class Bar:
    label: str
    value: int
    secondary: int
    x: int
    y: int
    width: int
    height: int
    secondary_width: int = 0
    secondary_height: int = 0
    secondary_y: int = 0


@dataclass
class Chart:
    width: int
    height: int
    bars: list[Bar]
    label_width: int = 0
    plot_width: int = 0
    plot_height: int = 0


def horizontal_bars(rows: list[tuple[str, int, int]], *, width: int = 640, label_width: int = 200,
                    bar_height: int = 18, gap: int = 6) -> Chart:
    """One bar per (label, value, secondary ≤ value) row, longest = the plot width."""
    plot = width - label_width - 50
    top = max([value for _, value, _ in rows] + [1])
    bars = []
    for i, (label, value, secondary) in enumerate(rows):
        y = i * (bar_height + gap)
        bars.append(Bar(label=label[:40], value=value, secondary=secondary, x=label_width, y=y,
                        width=max(1, round(plot * value / top)), height=bar_height,
                        secondary_width=round(plot * min(secondary, value) / top)))
    return Chart(width=width, height=max(1, len(rows) * (bar_height + gap)), bars=bars,
                 label_width=label_width, plot_width=plot)


def column_bars(rows: list[tuple[str, int, int]], *, width: int = 640, height: int = 160) -> Chart:
    """One column per (label, value, secondary ≤ value) row (e.g. per day)."""
    plot_height = height - 20
    top = max([value for _, value, _ in rows] + [1])
    step = width / max(1, len(rows))
    bars = []
    for i, (label, value, secondary) in enumerate(rows):
        h = round(plot_height * value / top)
        sh = round(plot_height * min(secondary, value) / top)
        bars.append(Bar(label=label, value=value, secondary=secondary, x=round(i * step), y=plot_height - h,
                        width=max(1, min(MAX_COLUMN_WIDTH, round(step * 0.8))), height=h, secondary_height=sh,
                        secondary_y=plot_height - sh))
    return Chart(width=width, height=height, bars=bars, plot_height=plot_height)
