"""What searches led to: the figures every report is made of, from the events or from daily sums.

For a set of searches (search.analytics.reports' definition: first results pages, the last
page of each shopper action, non-empty query):

- ``searches``; ``zero_results`` (nothing found, no redirect);
- ``clicked``: searches with at least one click on a page of their action; ``clicks`` and the
  clicked results' positions (their sum and how many are known: the average position);
- ``carted``: searches after which a product opened from their results went into the cart;
- ``converted``: searches after which such a product was bought, and the ``revenue`` of those
  order lines (paid or fulfilled orders: not pending, cancelled or refunded ones), with the sum
  of each search's revenue squared (the variance of revenue per search, for the A/B report).
  Attribution (which search led to a cart or an order line) is search.analytics.attribution's.

**Daily sums (the rollup).** Each day's figures per (query, experiment, variant) are written to
SearchStatsDay by ``sum_days`` (a beat task, hourly), today's so far included. A day settles
SETTLE_DAYS after it ended, when its searches can no longer lead to a new order (24 h to order
after the click, 24 h to pay); until then its sums are written again at every run, so the
figures of today and the last days lag the events by up to an hour; then once more, and never
again. ``figures(start, end, by=…)``
reads the summed days of the period from SearchStatsDay and computes the rest (today, a day
not summed yet, partial days at the ends of the period) from the events: the same function
computes both, so a report reads the same before and after its days are summed. A report over
a million searches reads a few thousand summed rows, not a million events.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Min, Q, Sum
from django.utils import timezone

from checkout.models import Order, OrderLine
from search.analytics.attribution import ATTRIBUTION_SECONDS
from search.analytics.models import CartEvent, ClickEvent, SearchEvent, SearchStatsDay, StatsDayDone

logger = logging.getLogger(__name__)

SETTLE_DAYS = 2
CENTS = Decimal("0.01")
PAID_STATUSES = (Order.Status.PAID, Order.Status.FULFILLED)
# The pages of a search's action lie within seconds of it; its clicks, carts and orders within
# the attribution window (an order may be paid later: its status is read as it is now).
_PAGE_MARGIN = timedelta(hours=1)
_FOLLOW_UP = timedelta(seconds=ATTRIBUTION_SECONDS) + _PAGE_MARGIN
GROUPINGS = ("day", "query", "experiment", "variant")


@dataclass
class Figures:
    searches: int = 0
    zero_results: int = 0
    clicked: int = 0
    clicks: int = 0
    position_sum: int = 0
    positions: int = 0
    carted: int = 0
    converted: int = 0
    revenue: Decimal = Decimal(0)
    revenue_squares: Decimal = Decimal(0)

    def add(self, other: Figures) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def _rate(self, count: int) -> float:
        return count / self.searches if self.searches else 0.0

    @property
    def zero_result_rate(self) -> float:
        return self._rate(self.zero_results)

    @property
    def ctr(self) -> float:
        return self._rate(self.clicked)

    @property
    def add_to_cart_rate(self) -> float:
        return self._rate(self.carted)

    @property
    def conversion_rate(self) -> float:
        return self._rate(self.converted)

    @property
    def revenue_per_search(self) -> Decimal:
        return (Decimal(self.revenue) / self.searches).quantize(CENTS) if self.searches else Decimal("0.00")

    @property
    def average_position(self) -> float | None:
        return self.position_sum / self.positions if self.positions else None


SUMMED = [f.name for f in fields(Figures)]


def counted_searches(start: datetime, end: datetime):
    """Searches of non-empty queries in [start, end): first results pages, the last of each action."""
    return SearchEvent.objects.filter(created_at__gte=start, created_at__lt=end, page=1,
                                      superseded=False).exclude(query="")


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return datetime.combine(day, time.min, tzinfo=tz), datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)


def event_figures(start: datetime, end: datetime, by: tuple[str, ...], where: Q | None = None
                  ) -> dict[tuple, Figures]:
    """The figures of the searches in [start, end) from the events, by ``by`` (of GROUPINGS);
    ``where`` filters the searches on query, experiment or variant."""
    searches = counted_searches(start, end)
    if where is not None:
        searches = searches.filter(where)
    rows = list(searches.values_list("action", "query", "experiment", "variant", "created_at", "result_count",
                                     "redirected"))
    if not rows:
        return {}
    tz = timezone.get_current_timezone()
    # Every page of those actions, by token: clicks, carts and order lines name a page. Joined
    # in the database (semi-joins on the token index), so only what belongs to them comes back.
    pages = SearchEvent.objects.filter(created_at__gte=start - _PAGE_MARGIN, created_at__lt=end + _PAGE_MARGIN,
                                       page=1)
    if where is not None:
        pages = pages.filter(action__in=searches.values("action"))
    page_action = dict(pages.values_list("token", "action").iterator(chunk_size=20_000))
    tokens = pages.values("token")

    clicks: dict = defaultdict(lambda: [0, 0, 0])  # action → [clicks, position sum, positions]
    for token, position in ClickEvent.objects.filter(
            created_at__gte=start, created_at__lt=end + _FOLLOW_UP, search_token__in=tokens,
    ).values_list("search_token", "position").iterator(chunk_size=20_000):
        action = page_action.get(token) if token else None
        if action is not None:
            entry = clicks[action]
            entry[0] += 1
            if position:
                entry[1] += position
                entry[2] += 1
    carted = {page_action[token] for token in CartEvent.objects.filter(
        created_at__gte=start, created_at__lt=end + _FOLLOW_UP, search_token__in=tokens,
    ).values_list("search_token", flat=True) if token in page_action}
    revenue: dict = defaultdict(Decimal)
    for token, amount in OrderLine.objects.filter(
            search_token__in=tokens, order__status__in=PAID_STATUSES,
            order__created_at__gte=start, order__created_at__lt=end + _FOLLOW_UP,
    ).values_list("search_token", "line_total"):
        if token in page_action:
            revenue[page_action[token]] += amount

    found: dict[tuple, Figures] = defaultdict(Figures)
    for action, query, experiment, variant, created_at, result_count, redirected in rows:
        values = {"query": query, "experiment": experiment, "variant": variant,
                  "day": timezone.localtime(created_at, tz).date() if "day" in by else None}
        figures = found[tuple(values[name] for name in by)]
        figures.searches += 1
        figures.zero_results += result_count == 0 and not redirected
        click = clicks.get(action)
        if click:
            figures.clicked += 1
            figures.clicks += click[0]
            figures.position_sum += click[1]
            figures.positions += click[2]
        figures.carted += action in carted
        money = revenue.get(action)
        if money:
            figures.converted += 1
            figures.revenue += money
            figures.revenue_squares += money * money
    return dict(found)


def _summed_figures(days: list[date], by: tuple[str, ...], where: Q | None) -> dict[tuple, Figures]:
    rows = SearchStatsDay.objects.filter(day__in=days)
    if where is not None:
        rows = rows.filter(where)
    sums = {f"{name}_total": Sum(name) for name in SUMMED}
    # By nothing: one total (values() without fields would group by every column).
    grouped = list(rows.values(*by).annotate(**sums).order_by()) if by else [rows.aggregate(**sums)]
    found = {}
    for row in grouped:
        summed: dict = {name: row[f"{name}_total"] for name in SUMMED if row[f"{name}_total"] is not None}
        if summed.get("searches"):
            found[tuple(row[name] for name in by)] = Figures(**summed)
    return found


def figures(start: datetime, end: datetime, by: tuple[str, ...] = (), where: Q | None = None
            ) -> dict[tuple, Figures]:
    """The figures of the searches in [start, end), by ``by``: summed days from SearchStatsDay,
    the rest from the events (see the module's docstring)."""
    unknown = set(by) - set(GROUPINGS)
    if unknown:
        raise ValueError(f"cannot group by {sorted(unknown)}")
    first, last = timezone.localtime(start).date(), timezone.localtime(end).date()
    done = set(StatsDayDone.objects.filter(day__gte=first, day__lte=last).values_list("day", flat=True))
    summed = [day for day in sorted(done) if start <= local_day_bounds(day)[0] and local_day_bounds(day)[1] <= end]
    found = _summed_figures(summed, by, where) if summed else {}
    for segment_start, segment_end in _gaps(start, end, summed):
        for key, more in event_figures(segment_start, segment_end, by, where).items():
            found.setdefault(key, Figures()).add(more)
    return found


def _gaps(start: datetime, end: datetime, summed: list[date]) -> list[tuple[datetime, datetime]]:
    """[start, end) without the summed days, as intervals."""
    gaps, cursor = [], start
    for day in summed:
        day_start, day_end = local_day_bounds(day)
        if cursor < day_start:
            gaps.append((cursor, day_start))
        cursor = max(cursor, day_end)
    if cursor < end:
        gaps.append((cursor, end))
    return gaps


def sum_of(many: Iterable[Figures]) -> Figures:
    found = Figures()
    for f in many:
        found.add(f)
    return found


def total(start: datetime, end: datetime, where: Q | None = None) -> Figures:
    return figures(start, end, (), where).get((), Figures())


# --- Writing the daily sums ----------------------------------------------------------------


def sum_day(day: date, now: datetime | None = None) -> int:
    """(Re)write the daily sums of ``day``; returns how many rows."""
    start, end = local_day_bounds(day)
    found = event_figures(start, end, ("query", "experiment", "variant"))
    rows = [SearchStatsDay(day=day, query=query, experiment=experiment, variant=variant,
                           **{name: getattr(f, name) for name in SUMMED})
            for (query, experiment, variant), f in found.items()]
    with transaction.atomic():
        SearchStatsDay.objects.filter(day=day).delete()
        SearchStatsDay.objects.bulk_create(rows, batch_size=2000)
        StatsDayDone.objects.update_or_create(day=day, defaults={"summed_at": now or timezone.now()})
    return len(rows)


def settles_at(day: date) -> datetime:
    """When ``day``'s searches can no longer lead to an order (see the module's docstring)."""
    return local_day_bounds(day)[1] + timedelta(days=SETTLE_DAYS)


def sum_days(now: datetime | None = None) -> int:
    """Write the daily sums of every day up to today that has none, or whose sums were written
    before it settled (those are written again, each run, until they are final: today's, the
    last days'); returns how many days."""
    now = now or timezone.now()
    oldest = SearchEvent.objects.aggregate(first=Min("created_at"))["first"]
    if oldest is None:
        return 0
    day, today = timezone.localtime(oldest).date(), timezone.localtime(now).date()
    done = dict(StatsDayDone.objects.filter(day__gte=day, day__lte=today).values_list("day", "summed_at"))
    written = 0
    while day <= today:
        if day not in done or done[day] < settles_at(day):
            sum_day(day, now)
            written += 1
        day += timedelta(days=1)
    if written:
        logger.info("search analytics: daily figures written for %s days", written)
    return written
