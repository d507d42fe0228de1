"""Search analytics in the admin: the events (read-only) and the report
(``admin:search_report``), a custom admin view hung on the SearchEvent admin so that it
shares its permissions."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, TypedDict

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.safestring import mark_safe

from search.analytics.charts import trend_svg
from search.analytics.models import ClickEvent, SearchEvent
from search.analytics.performance import (
    RULE_WINDOW_DAYS,
    daily_trend,
    query_performance,
    rule_performance,
    write_query_csv,
)
from search.analytics.reports import column_bars, horizontal_bars, search_report
from search.analytics.stats import sum_of
from store.models import Product

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class _ProductName(TypedDict):
    product_name: str | None  # ClickEventAdmin.get_queryset's annotation (None: the product is gone)

# --- Analytics (read-only; purge_search_analytics deletes old rows) -----------------------------


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(SearchEvent)
class SearchEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "query", "result_count", "redirected", "page", "latency_ms")
    list_filter = ("redirected", "page")
    search_fields = ("query",)
    date_hierarchy = "created_at"
    show_full_result_count = False

    def get_urls(self):
        report = path("report/", self.admin_site.admin_view(self.report_view), name="search_report")
        export = path("report/queries.csv", self.admin_site.admin_view(self.csv_view), name="search_report_csv")
        rules = path("report/rules/", self.admin_site.admin_view(self.rules_view), name="search_rule_report")
        return [report, export, rules, *super().get_urls()]

    def csv_view(self, request: HttpRequest) -> HttpResponse:
        """Every query of the period with its figures, for a spreadsheet."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = ReportForm(request.GET or None)
        if request.GET and not form.is_valid():
            return HttpResponseBadRequest("; ".join(str(m) for errors in form.errors.values() for m in errors),
                                          content_type="text/plain; charset=utf-8")
        start, end = form.period(form.cleaned_data if request.GET else ReportForm.defaults())
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (f'attachment; filename="search-queries-{start:%Y-%m-%d}-'
                                           f'{end - timedelta(days=1):%Y-%m-%d}.csv"')
        write_query_csv(response, query_performance(start, end, limit=None))
        return response

    def rules_view(self, request: HttpRequest) -> TemplateResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "What the merchandising rules earn",
            "opts": self.model._meta,
            "rules": rule_performance(),
            "window_days": RULE_WINDOW_DAYS,
            "currency": settings.SHOP_CURRENCY,
        }
        return TemplateResponse(request, "admin/search/rule_report.html", context)

    def report_view(self, request: HttpRequest) -> TemplateResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = ReportForm(request.GET or None)
        report = chart = days_chart = performance = trend_chart = totals = None
        data = ReportForm.defaults()
        if form.is_valid() or not request.GET:
            data = form.cleaned_data if request.GET else data
            report = search_report(*form.period(data), min_searches=data["min_searches"],
                                   max_ctr=data["max_ctr"] / 100)
            chart = horizontal_bars([(r.query, r.searches, r.clicked_searches) for r in report.top_queries])
            days_chart = column_bars([(d.day.isoformat(), d.searches, d.zero_results) for d in report.days])
            period = form.period(data)
            performance = query_performance(*period, limit=50)
            trend = daily_trend(*period)
            totals = sum_of(d.figures for d in trend)
            # matplotlib's own SVG markup, of dates and numbers only (no shopper's text in it).
            trend_chart = mark_safe(trend_svg(trend, settings.SHOP_CURRENCY))
        context = {
            **self.admin_site.each_context(request),
            "title": "Search report",
            "opts": self.model._meta,
            "form": form,
            "report": report,
            "chart": chart,
            "days_chart": days_chart,
            "criteria": data,
            "performance": performance,
            "totals": totals,
            "trend_chart": trend_chart,
            "currency": settings.SHOP_CURRENCY,
            "csv_query": request.GET.urlencode(),
        }
        return TemplateResponse(request, "admin/search/report.html", context)


class ReportForm(forms.Form):
    DEFAULT_DAYS = 30
    MAX_DAYS = 400  # above the retention period: a longer range only holds summed days

    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}),
                            help_text="First day (default: 30 days ago).")
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}),
                          help_text="Last day, included (default: today).")
    min_searches = forms.IntegerField(label="Low CTR: at least this many searches", min_value=1,
                                      max_value=1_000_000, initial=10, required=False)
    max_ctr = forms.IntegerField(label="…and a click-through rate below (%)", min_value=0, max_value=100,
                                 initial=10, required=False)

    @classmethod
    def defaults(cls) -> dict:
        return {"start": None, "end": None, "min_searches": 10, "max_ctr": 10}

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data  # what forms.Form.clean() returns
        data["min_searches"] = data.get("min_searches") or 10
        data["max_ctr"] = 10 if data.get("max_ctr") is None else data["max_ctr"]
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError("The first day is after the last day.")
        if data.get("start") and not data.get("end") and data["start"] > timezone.localdate():
            raise forms.ValidationError("The first day is in the future: there is nothing to report yet.")
        if self.errors:
            return data
        start, end = self.period(data)
        if (end - start).days > self.MAX_DAYS:
            raise forms.ValidationError(f"Choose at most {self.MAX_DAYS} days (this period has {(end - start).days}).")
        return data

    def period(self, data: dict) -> tuple[datetime, datetime]:
        today = timezone.localdate()
        last = data.get("end") or today
        first = data.get("start") or last - timedelta(days=self.DEFAULT_DAYS - 1)
        tz = timezone.get_current_timezone()
        return (datetime.combine(first, time.min, tzinfo=tz),
                datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz))


@admin.register(ClickEvent)
class ClickEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "query", "product", "position")
    search_fields = ("query",)
    date_hierarchy = "created_at"
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[ClickEvent]:
        names = Product.objects.filter(pk=OuterRef("product_id")).values("name")[:1]
        return super().get_queryset(request).annotate(product_name=Subquery(names))

    @admin.display(description="Product")
    def product(self, click: WithAnnotations[ClickEvent, _ProductName]) -> str:
        return click.product_name or f"product {click.product_id} (deleted)"
