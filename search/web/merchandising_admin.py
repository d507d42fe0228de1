"""The merchandiser's back office for search: rules (synonyms, boosts, pins and hides,
redirects, field weights), facet curation and the search preview.

Every rule takes effect within seconds of saving, without a reindex. The preview
(``admin:search_preview``) is a custom admin view hung on the SynonymSet admin, so
it shares its permissions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, TypedDict

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html

from search.backends import SearchUnavailable
from search.facets import FACETS, curated_names
from search.merchandising.experiments import Experiment, ExperimentVariant
from search.merchandising.models import (
    BoostRule,
    FacetSetting,
    FieldWeights,
    PinnedProduct,
    PinRule,
    PriceBucketing,
    Redirect,
    ScheduledRule,
    SemanticSettings,
    SynonymSet,
    TypoSettings,
)
from search.preview import preview_search
from search.query.request import MAX_TEXT_LENGTH, InvalidSearchRequest
from store.models import Category

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldOpts
    from django_stubs_ext import WithAnnotations

RULE_CHANGE_LIST = "admin/search/rule_change_list.html"
STATE_COLOURS = {"live": "#2e7d32", "scheduled": "#1565c0", "ended": "#757575", "off": "#757575"}
SCHEDULE_HELP = "Rules apply within seconds of saving, on every search, without a reindex."


class StateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("live", "Live now"), ("scheduled", "Scheduled (starts later)"), ("ended", "Ended"),
                ("off", "Switched off")]

    def queryset(self, request, queryset):
        now = timezone.now()
        value = self.value()
        if value == "live":
            return queryset.filter(is_active=True).exclude(starts_at__gt=now).exclude(ends_at__lte=now)
        if value == "scheduled":
            return queryset.filter(is_active=True, starts_at__gt=now).exclude(ends_at__lte=now)
        if value == "ended":
            return queryset.filter(is_active=True, ends_at__lte=now)
        if value == "off":
            return queryset.filter(is_active=False)
        return queryset


class ScheduledRuleAdmin(admin.ModelAdmin):
    """List state (live / scheduled / ended / off) and the schedule fields, last."""

    change_list_template = RULE_CHANGE_LIST
    schedule_fieldset: ClassVar[tuple[str, _FieldOpts]] = ("Schedule", {
        "fields": ("is_active", "starts_at", "ends_at"),
        "description": "Switch a rule off, or give it a period (a sale weekend). " + SCHEDULE_HELP,
    })

    @admin.display(description="State")
    def state(self, rule: ScheduledRule):
        state = rule.state()
        detail = ""
        if state == "scheduled":
            detail = f" from {timezone.localtime(rule.starts_at):%Y-%m-%d %H:%M}"
        elif state == "live" and rule.ends_at:
            detail = f" until {timezone.localtime(rule.ends_at):%Y-%m-%d %H:%M}"
        return format_html('<strong style="color: {}">{}</strong>{}', STATE_COLOURS[state], state, detail)


# --- Synonyms -------------------------------------------------------------------


class SynonymSetForm(forms.ModelForm):
    class Meta:
        model = SynonymSet
        fields = ("kind", "terms", "is_active", "starts_at", "ends_at")
        widgets = {"terms": forms.TextInput(attrs={"size": 80})}


@admin.register(SynonymSet)
class SynonymSetAdmin(ScheduledRuleAdmin):
    form = SynonymSetForm
    list_display = ("__str__", "kind", "state", "starts_at", "ends_at", "updated_at")
    list_filter = ("kind", StateFilter)
    search_fields = ("terms",)
    fieldsets = (
        (None, {
            "fields": ("kind", "terms"),
            "description": "Two-way: every term finds what the others find (“tee, t-shirt”). One-way: the "
                           "first term also finds the others, not the reverse (“sneakers, trail running”). "
                           "For many sets at once use manage.py import_synonyms (Solr/Elasticsearch format).",
        }),
        ScheduledRuleAdmin.schedule_fieldset,
    )

    def get_urls(self):
        preview = path("preview/", self.admin_site.admin_view(self.preview_view), name="search_preview")
        return [preview, *super().get_urls()]

    def preview_view(self, request: HttpRequest) -> TemplateResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = PreviewForm(request.GET or None)
        preview, error = None, None
        if form.is_valid():
            try:
                preview = preview_search(form.cleaned_data["q"], form.cleaned_data["category"] or None,
                                         variant=form.cleaned_data["variant"])
            except InvalidSearchRequest as exc:
                error = str(exc)
            except SearchUnavailable:
                error = "The search engine is unavailable; try again in a moment."
        context = {
            **self.admin_site.each_context(request),
            "title": "Search preview",
            "opts": self.model._meta,
            "form": form,
            "preview": preview,
            "error": error,
        }
        return TemplateResponse(request, "admin/search/preview.html", context)


class PreviewForm(forms.Form):
    q = forms.CharField(label="Query", max_length=MAX_TEXT_LENGTH, strip=True,
                        widget=forms.TextInput(attrs={"size": 40, "autofocus": True}))
    category = forms.ChoiceField(label="Category", required=False)
    variant = forms.ChoiceField(label="Configuration", required=False,
                                help_text="The live rules, or a variant of a draft or running A/B test.")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        paths = Category.objects.order_by("slug_path").values_list("slug_path", flat=True)
        category = self.fields["category"]
        assert isinstance(category, forms.ChoiceField)  # declared above
        category.choices = [("", "All categories"), *((p, p) for p in paths)]
        variant = self.fields["variant"]
        assert isinstance(variant, forms.ChoiceField)  # declared above
        served = ExperimentVariant.objects.filter(
            experiment__status__in=[Experiment.Status.DRAFT, Experiment.Status.RUNNING]).select_related("experiment")
        variant.choices = [("", "Live rules"), *((v.serving_key, f"A/B test “{v.experiment}”, variant {v.key.upper()}")
                                                 for v in served)]


# --- Boosts ---------------------------------------------------------------------------


@admin.register(BoostRule)
class BoostRuleAdmin(ScheduledRuleAdmin):
    list_display = ("name", "target", "applies_to", "factor", "query_term", "state")
    list_filter = ("target", StateFilter)
    search_fields = ("name", "query_term", "brand__name", "category__slug_path")
    list_select_related = ("brand", "category")
    autocomplete_fields = ("brand", "category")
    fieldsets = (
        (None, {
            "fields": ("name", "target", "brand", "category", "new_within_days", "factor", "query_term"),
            "description": "A boost multiplies the relevance of the products it targets: 2 doubles it, "
                           "0.1 sinks them. Fill in the brand, the category or the number of days that the "
                           "kind of rule needs.",
        }),
        ScheduledRuleAdmin.schedule_fieldset,
    )

    @admin.display(description="Applies to")
    def applies_to(self, rule: BoostRule) -> str:
        if rule.target == BoostRule.Target.BRAND:
            return str(rule.brand or "–")
        if rule.target == BoostRule.Target.CATEGORY:
            return str(rule.category or "–")
        if rule.target == BoostRule.Target.NEW_ARRIVALS:
            return f"created within {rule.new_within_days} days"
        return "out of stock"


# --- Pins and hides ---------------------------------------------------------------------


class _EntryCounts(TypedDict):
    pin_count: int  # PinRuleAdmin.get_queryset's annotations
    hide_count: int


class PinnedProductInline(admin.TabularInline):
    model = PinnedProduct
    verbose_name = "product"
    verbose_name_plural = "Products to show first or never to show"
    fields = ("position", "product", "action", "shown")
    readonly_fields = ("shown",)
    autocomplete_fields = ("product",)
    ordering = ("position", "id")
    extra = 1

    @admin.display(description="Shown to shoppers")
    def shown(self, entry: PinnedProduct) -> str:
        if not entry.pk:
            return ""
        if not entry.product.is_active:
            return "no: the product is inactive"
        return "yes" if entry.action == PinnedProduct.Action.PIN else "never (hidden)"


@admin.register(PinRule)
class PinRuleAdmin(ScheduledRuleAdmin):
    list_display = ("query", "pinned", "hidden", "state", "starts_at", "ends_at")
    list_filter = (StateFilter,)
    search_fields = ("query", "entries__product__name", "entries__product__sku")
    inlines = (PinnedProductInline,)
    fieldsets = (
        (None, {
            "fields": ("query",),
            "description": "For one query: products to show first (in position order, if they pass the "
                           "shopper's filters) and products never to show.",
        }),
        ScheduledRuleAdmin.schedule_fieldset,
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[PinRule]:
        return super().get_queryset(request).annotate(
            pin_count=Count("entries", filter=Q(entries__action=PinnedProduct.Action.PIN)),
            hide_count=Count("entries", filter=Q(entries__action=PinnedProduct.Action.HIDE)),
        )

    @admin.display(description="Pinned", ordering="pin_count")
    def pinned(self, rule: WithAnnotations[PinRule, _EntryCounts]) -> int:
        return rule.pin_count

    @admin.display(description="Hidden", ordering="hide_count")
    def hidden(self, rule: WithAnnotations[PinRule, _EntryCounts]) -> int:
        return rule.hide_count


# --- Redirects and field weights ------------------------------------------------------------


@admin.register(Redirect)
class RedirectAdmin(ScheduledRuleAdmin):
    list_display = ("query", "url", "state", "starts_at", "ends_at")
    list_filter = (StateFilter,)
    search_fields = ("query", "url")
    fieldsets = (
        (None, {
            "fields": ("query", "url"),
            "description": "Shoppers searching exactly this query go to the page instead of the results "
                           "(“returns” → /pages/returns/).",
        }),
        ScheduledRuleAdmin.schedule_fieldset,
    )


@admin.register(FieldWeights)
class FieldWeightsAdmin(ScheduledRuleAdmin):
    list_display = ("__str__", "state", "starts_at", "ends_at", "updated_at")
    list_filter = (StateFilter,)
    fieldsets = (
        (None, {
            "fields": ("name", "brand", "category", "attributes", "description"),
            "description": "How much a match in each field counts (0 to 50; 0: the field is not searched). "
                           "The most recently saved live row wins.",
        }),
        ScheduledRuleAdmin.schedule_fieldset,
    )


@admin.register(TypoSettings)
class TypoSettingsAdmin(ScheduledRuleAdmin):
    list_display = ("__str__", "state", "starts_at", "ends_at", "updated_at")
    list_filter = (StateFilter,)
    fieldsets = (
        (None, {
            "fields": ("min_word_size_for_1_typo", "min_word_size_for_2_typos", "disabled_words"),
            "description": "How many typos a shopper's word may have: none for short words, one from the first "
                           "length, two from the second; typos never change a word's first letter, and a word "
                           "the shop uses is never read as a typo of another. The most recently saved live "
                           "row wins.",
        }),
        ("Where typos are allowed", {
            "fields": ("typos_on_names", "typos_on_categories", "typos_on_brands", "typos_on_attributes",
                       "typos_on_numbers"),
        }),
        ScheduledRuleAdmin.schedule_fieldset,
    )


@admin.register(SemanticSettings)
class SemanticSettingsAdmin(ScheduledRuleAdmin):
    list_display = ("__str__", "state", "starts_at", "ends_at", "updated_at")
    list_filter = (StateFilter,)
    fieldsets = (
        (None, {
            "fields": ("enabled", "weight"),
            "description": "Semantic matching finds what shoppers call by words the catalog never uses "
                           "(“sweatpants” → joggers) by adding the shop's nearest terms at a lower weight. "
                           "Off: searches are lexical only. The most recently saved live row wins; without "
                           "one it is on at weight 0.5. The search preview shows what it added.",
        }),
        ScheduledRuleAdmin.schedule_fieldset,
    )


# --- Facet curation --------------------------------------------------------------------------


@admin.register(FacetSetting)
class FacetSettingAdmin(admin.ModelAdmin):
    list_display = ("category", "attribute", "label", "position", "visible")
    list_editable = ("label", "position", "visible")
    list_filter = ("visible",)
    search_fields = ("category__slug_path", "attribute", "label")
    list_select_related = ("category",)
    autocomplete_fields = ("category",)
    fieldsets = ((None, {
        "fields": ("category", "attribute", "label", "position", "visible"),
        "description": "Which facets a category shows (its attributes', and the built-in facets: "
                       + ", ".join(f"{facet.label} ({facet.name})" for facet in FACETS if facet.curated)
                       + "), in what order and under what title. A category "
                       "uses its own settings, or else those of its nearest parent that has some; facets "
                       "without a position keep their usual order, after those with one. Applies within seconds.",
    }),)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        # The built-in facets come from the registry (search.facets): listed here, not in the model.
        field = form.base_fields["attribute"]
        field.help_text = f"{field.help_text} Built-in facets: {', '.join(curated_names())}."
        return form


@admin.register(PriceBucketing)
class PriceBucketingAdmin(admin.ModelAdmin):
    list_display = ("category", "mode", "step", "range_count", "updated_at")
    list_filter = ("mode",)
    search_fields = ("category__slug_path",)
    list_select_related = ("category",)
    autocomplete_fields = ("category",)
    fieldsets = ((None, {
        "fields": ("category", "mode", "step", "range_count"),
        "description": "How the price facet splits the results of a category and its subcategories (unless "
                       "one has its own choice). Without a choice: round-number ranges.",
    }),)
