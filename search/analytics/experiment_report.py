"""The A/B test report: click-through, add-to-cart, conversion and revenue per search of each
variant, with 95 % confidence intervals, and whether B differs from A.

- Rates (a share of searches): Wilson score intervals (statsmodels ``proportion_confint``); the
  difference B − A: Newcomb's interval and a two-sample test of proportions
  (statsmodels ``confint_proportions_2indep``, ``test_proportions_2indep``).
- Revenue per search (most searches sell nothing: a skewed mean): Student's t interval of the
  mean, and Welch's t-test for the difference (scipy ``ttest_ind_from_stats``), from each
  variant's sum and sum of squares of revenue per search (search.analytics.stats).
- A verdict per figure: **too small** while either variant has fewer than MIN_SEARCHES searches
  or fewer than MIN_EVENTS searches that did, or did not, do the thing measured (the intervals
  are not to be trusted yet, whatever the p-value says; for revenue: fewer than MIN_EVENTS
  searches that sold); else **significant** when the difference's p-value is below ALPHA (and
  its interval excludes 0), else **no significant difference**.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone
from scipy import stats as scipy_stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint, test_proportions_2indep

from search.analytics.stats import Figures, figures, local_day_bounds
from search.merchandising.experiments import VARIANT_KEYS, Experiment

ALPHA = 0.05
MIN_SEARCHES = 100
MIN_EVENTS = 10

TOO_SMALL = "too small"
SIGNIFICANT = "significant"
NOT_SIGNIFICANT = "no significant difference"


@dataclass
class Estimate:
    value: float
    low: float
    high: float

    @property
    def as_percent(self) -> str:
        return f"{self.value * 100:.1f} % ({self.low * 100:.1f} to {self.high * 100:.1f})"

    @property
    def as_money(self) -> str:
        return f"{self.value:.2f} ({self.low:.2f} to {self.high:.2f})"


@dataclass
class Comparison:
    """One figure in both variants, and B − A."""

    name: str
    a: Estimate
    b: Estimate
    difference: Estimate
    p_value: float | None
    verdict: str
    money: bool = False

    @property
    def significant(self) -> bool:
        return self.verdict == SIGNIFICANT


@dataclass
class ExperimentReport:
    experiment: Experiment
    start: datetime
    end: datetime
    variants: dict[str, Figures]
    comparisons: list[Comparison] = field(default_factory=list)

    def comparison(self, name: str) -> Comparison:
        return next(c for c in self.comparisons if c.name == name)


def rate_estimate(count: int, searches: int) -> Estimate:
    if not searches:
        return Estimate(0.0, 0.0, 1.0)
    low, high = proportion_confint(count, searches, alpha=ALPHA, method="wilson")
    return Estimate(count / searches, float(low), float(high))


def compare_rates(name: str, a_count: int, a_n: int, b_count: int, b_n: int) -> Comparison:
    a, b = rate_estimate(a_count, a_n), rate_estimate(b_count, b_n)
    small = (min(a_n, b_n) < MIN_SEARCHES
             or min(a_count, b_count, a_n - a_count, b_n - b_count) < MIN_EVENTS)
    if not a_n or not b_n:
        return Comparison(name, a, b, Estimate(b.value - a.value, -1.0, 1.0), None, TOO_SMALL)
    low, high = confint_proportions_2indep(b_count, b_n, a_count, a_n, method="newcomb", alpha=ALPHA)
    p_value = float(test_proportions_2indep(b_count, b_n, a_count, a_n).pvalue) if 0 < a_count + b_count < a_n + b_n \
        else 1.0
    difference = Estimate(b.value - a.value, float(low), float(high))
    return Comparison(name, a, b, difference, p_value, _verdict(small, p_value, difference))


def _verdict(small: bool, p_value: float | None, difference: Estimate) -> str:
    if small or p_value is None or math.isnan(p_value):
        return TOO_SMALL
    excludes_zero = difference.low > 0 or difference.high < 0
    return SIGNIFICANT if p_value < ALPHA and excludes_zero else NOT_SIGNIFICANT


def _mean_and_sd(f: Figures) -> tuple[float, float]:
    n = f.searches
    if n < 2:
        return float(f.revenue) / n if n else 0.0, 0.0
    mean = float(f.revenue) / n
    variance = max(0.0, (float(f.revenue_squares) - n * mean * mean) / (n - 1))
    return mean, math.sqrt(variance)


def mean_estimate(f: Figures) -> Estimate:
    mean, sd = _mean_and_sd(f)
    if f.searches < 2:
        return Estimate(mean, mean, mean)
    half = float(scipy_stats.t.ppf(1 - ALPHA / 2, f.searches - 1)) * sd / math.sqrt(f.searches)
    return Estimate(mean, mean - half, mean + half)


def compare_revenue(a: Figures, b: Figures) -> Comparison:
    ea, eb = mean_estimate(a), mean_estimate(b)
    (ma, sa), (mb, sb) = _mean_and_sd(a), _mean_and_sd(b)
    small = min(a.searches, b.searches) < MIN_SEARCHES or min(a.converted, b.converted) < MIN_EVENTS
    if min(a.searches, b.searches) < 2 or (sa == 0 and sb == 0):
        return Comparison("revenue per search", ea, eb, Estimate(mb - ma, mb - ma, mb - ma), None, TOO_SMALL,
                          money=True)
    test = scipy_stats.ttest_ind_from_stats(mb, sb, b.searches, ma, sa, a.searches, equal_var=False)
    va, vb = sa * sa / a.searches, sb * sb / b.searches
    df = (va + vb) ** 2 / ((va * va / (a.searches - 1)) + (vb * vb / (b.searches - 1)))
    half = float(scipy_stats.t.ppf(1 - ALPHA / 2, df)) * math.sqrt(va + vb)
    difference = Estimate(mb - ma, mb - ma - half, mb - ma + half)
    p_value = float(test.pvalue)
    return Comparison("revenue per search", ea, eb, difference, p_value, _verdict(small, p_value, difference),
                      money=True)


def experiment_report(experiment: Experiment, now: datetime | None = None) -> ExperimentReport:
    """The report of ``experiment`` over the time it ran (so far)."""
    start = experiment.started_at or experiment.updated_at
    end = experiment.ended_at or now or timezone.now()
    # Whole days (what the daily sums hold): only the experiment's searches carry its id anyway.
    first = local_day_bounds(timezone.localtime(start).date())[0]
    last = local_day_bounds(timezone.localtime(end).date())[1]
    found = figures(first, last, ("variant",), Q(experiment=experiment.pk))
    variants = {key: found.get((key,), Figures()) for key in VARIANT_KEYS}
    a, b = variants["a"], variants["b"]
    report = ExperimentReport(experiment, start, end, variants)
    report.comparisons = [
        compare_rates("click-through rate", a.clicked, a.searches, b.clicked, b.searches),
        compare_rates("add-to-cart rate", a.carted, a.searches, b.carted, b.searches),
        compare_rates("conversion rate", a.converted, a.searches, b.converted, b.searches),
        compare_revenue(a, b),
    ]
    return report


def money(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))
