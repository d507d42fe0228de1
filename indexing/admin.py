from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import OutboxEntry

LAST_ERROR_PREVIEW = 80


class FailingFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("failing", "Failing (retried at least once)"), ("fresh", "Not tried yet")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[OutboxEntry]) -> QuerySet[OutboxEntry]:
        if self.value() == "failing":
            return queryset.filter(attempts__gt=0)
        if self.value() == "fresh":
            return queryset.filter(attempts=0)
        return queryset


@admin.register(OutboxEntry)
class OutboxEntryAdmin(admin.ModelAdmin):
    """A window on the sync backlog. Read-only: rows are written by product changes and
    removed by the drain once the engine acknowledged them; an edit or a delete here
    would lose an index update."""

    list_display = ("id", "product_id", "created_at", "attempts", "last_error_preview", "available_at")
    list_filter = (FailingFilter,)
    ordering = ("id",)
    show_full_result_count = False  # the backlog can be large while the engine is down

    @admin.display(description="Last error")
    def last_error_preview(self, entry: OutboxEntry) -> str:
        error = entry.last_error
        return error if len(error) <= LAST_ERROR_PREVIEW else error[: LAST_ERROR_PREVIEW - 1] + "…"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: OutboxEntry | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: OutboxEntry | None = None) -> bool:
        return False
