"""Tax classes and rates in the back office (administrators; vendors only see the classes)."""

from typing import ClassVar

from django.contrib import admin

from .models import TaxClass, TaxRate


@admin.register(TaxClass)
class TaxClassAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    search_fields = ("name", "slug")
    prepopulated_fields: ClassVar[dict[str, tuple[str, ...]]] = {"slug": ("name",)}


@admin.register(TaxRate)
class TaxRateAdmin(admin.ModelAdmin):
    list_display = ("country", "tax_class", "rate", "percent", "updated_at")
    list_filter = ("tax_class", "country")
    list_select_related = ("tax_class",)
    search_fields = ("country",)
    ordering = ("country", "tax_class__name")

