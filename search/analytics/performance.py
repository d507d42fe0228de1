"""What queries and merchandising rules sell, and how the figures move day by day
(search.analytics.stats defines the figures).

- ``query_performance``: per query, its searches, click-through, add-to-cart and conversion
  rates, revenue and revenue per search, and the average position of the clicked results.
- ``rule_performance``: per merchandising rule (pin, boost, synonym set, redirect), the same
  figures for the queries it affects, over the same number of days before and after it went
  live (whole days: the day it went live is left out). The queries a rule affects: a pin's
  or a redirect's query; the queries holding a term of a synonym set, or a boost's query
  word, as a whole word; every query for a boost without a query word. When it went live:
  its start, or (none set) its last change — the rules keep no history, so a rule edited
  after it went live is measured from that edit.
- ``daily_trend``: the figures per day of a period, for the charts.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from search.analytics.stats import Figures, figures, local_day_bounds
from search.merchandising.models import BoostRule, PinRule, Redirect, ScheduledRule, SynonymSet

RULE_WINDOW_DAYS = 14


@dataclass
class QueryPerformance:
    query: str
    figures: Figures


def query_performance(start: datetime, end: datetime, *, limit: int | None = 50) -> list[QueryPerformance]:
    """The queries of [start, end), most searched first (then by revenue, then alphabetically)."""
    rows = [QueryPerformance(key[0], f) for key, f in figures(start, end, ("query",)).items()]
    rows.sort(key=lambda r: (-r.figures.searches, -r.figures.revenue, r.query))
    return rows[:limit] if limit else rows


@dataclass
class DayFigures:
    day: date
    figures: Figures


def daily_trend(start: datetime, end: datetime) -> list[DayFigures]:
    """One entry per day of [start, end), days without searches included (as zeros)."""
    found = figures(start, end, ("day",))
    days = []
    day, last = timezone.localtime(start).date(), timezone.localtime(end - timedelta(microseconds=1)).date()
    while day <= last:
        days.append(DayFigures(day, found.get((day,), Figures())))
        day += timedelta(days=1)
    return days


def _has_word(term: str) -> Q:
    """Queries holding ``term`` (one or more words) as whole words: queries are normalised
    (lower case, single spaces), so spaces delimit the words."""
    return (Q(query=term) | Q(query__startswith=f"{term} ") | Q(query__endswith=f" {term}")
            | Q(query__contains=f" {term} "))


@dataclass
class RulePerformance:
    kind: str
    rule: ScheduledRule
    affects: str  # what the merchandiser reads: "the query “tee”", "queries with “tee”, “t-shirt”"
    live_at: datetime
    before: Figures
    after: Figures
    days: int  # the length of each period compared

    @property
    def name(self) -> str:
        return str(self.rule)


def affected_queries(rule: ScheduledRule) -> tuple[Q | None, str]:
    """(the filter of the queries ``rule`` affects, None for every query; a description)."""
    if isinstance(rule, (PinRule, Redirect)):
        return Q(query=rule.query), f"the query “{rule.query}”"
    if isinstance(rule, SynonymSet):
        terms = rule.term_list()
        where = Q()
        for term in terms:
            where |= _has_word(term)
        return where, "queries with " + ", ".join(f"“{t}”" for t in terms)
    if isinstance(rule, BoostRule):
        if rule.query_term:
            return _has_word(rule.query_term), f"queries with “{rule.query_term}”"
        return None, "every query"
    raise TypeError(f"not a rule whose queries are known: {rule!r}")


def went_live(rule: ScheduledRule) -> datetime:
    return rule.starts_at or rule.updated_at


def measure_rule(kind: str, rule: ScheduledRule, now: datetime | None = None,
                 days: int = RULE_WINDOW_DAYS) -> RulePerformance:
    """The rule's queries' figures over up to ``days`` whole days after the day it went live
    (today included), beside as many whole days before that day. The day itself, half before
    and half after, is left out: whole days are what the daily sums hold."""
    now = now or timezone.now()
    live_at = went_live(rule)
    live_day, today = timezone.localtime(live_at).date(), timezone.localtime(now).date()
    span = max(0, min(days, (today - live_day).days))
    where, affects = affected_queries(rule)
    if not span:
        return RulePerformance(kind, rule, affects, live_at, Figures(), Figures(), 0)
    after_start = local_day_bounds(live_day + timedelta(days=1))[0]
    after_end = local_day_bounds(live_day + timedelta(days=span))[1]
    before_start, before_end = local_day_bounds(live_day - timedelta(days=span))[0], local_day_bounds(live_day)[0]
    before = figures(before_start, before_end, (), where).get((), Figures())
    after = figures(after_start, after_end, (), where).get((), Figures())
    return RulePerformance(kind, rule, affects, live_at, before, after, span)


def rule_performance(now: datetime | None = None, days: int = RULE_WINDOW_DAYS) -> list[RulePerformance]:
    """Every live rule (pin, boost, synonym set, redirect), the most searched after first."""
    now = now or timezone.now()
    rules: list[tuple[str, ScheduledRule]] = [
        *(("pin", r) for r in PinRule.live(now)), *(("boost", r) for r in BoostRule.live(now)),
        *(("synonyms", r) for r in SynonymSet.live(now)), *(("redirect", r) for r in Redirect.live(now))]
    measured = [measure_rule(kind, rule, now, days) for kind, rule in rules]
    measured.sort(key=lambda m: (-m.after.searches, m.kind, m.name))
    return measured


CSV_COLUMNS = ("query", "searches", "zero-result searches", "click-through rate", "add-to-cart rate",
               "conversion rate", "revenue", "revenue per search", "average clicked position")


def csv_cell(value: object) -> str:
    """A spreadsheet reads a cell starting with = + - @ (or a tab, a return) as a formula: a
    shopper's query is data, so such a cell gets a leading apostrophe (OWASP's advice)."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def write_query_csv(out, rows: list[QueryPerformance]) -> None:
    """The rows as CSV (rates as fractions with 4 decimals, money with 2, positions with 1)."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        f = row.figures
        writer.writerow([csv_cell(row.query), f.searches, f.zero_results, f"{f.ctr:.4f}", f"{f.add_to_cart_rate:.4f}",
                         f"{f.conversion_rate:.4f}", f"{f.revenue:.2f}", f"{f.revenue_per_search:.2f}",
                         "" if f.average_position is None else f"{f.average_position:.1f}"])
