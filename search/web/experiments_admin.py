"""A/B tests in the back office: an experiment and its two variants on one page, its report
(search.analytics.experiment_report) under them, and one button each to start it, stop it or
promote a variant to the default (POST, through the admin's CSRF protection)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from search.analytics.experiment_report import experiment_report
from search.merchandising.experiments import VARIANT_KEYS, Experiment, ExperimentVariant


class ExperimentVariantInline(admin.StackedInline):
    model = ExperimentVariant
    extra = 2
    max_num = 2
    min_num = 2
    can_delete = False
    fields = ("key", "description", ("name_weight", "brand_weight", "category_weight", "attributes_weight",
                                     "description_weight"), ("min_word_size_for_1_typo", "min_word_size_for_2_typos"),
              "boosts", "synonyms", "pins")
    filter_horizontal = ("boosts", "synonyms", "pins")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.base_fields["key"].help_text = "A is usually left unchanged (the control)."
        return formset


@admin.register(Experiment)
class ExperimentAdmin(admin.ModelAdmin):
    list_display = ("name", "status", "b_percent", "started_at", "ended_at", "promoted_variant")
    list_filter = ("status",)
    readonly_fields = ("status", "started_at", "ended_at", "promoted_variant")
    fields = ("name", "b_percent", *readonly_fields)
    inlines = (ExperimentVariantInline,)
    change_form_template = "admin/search/experiment/change_form.html"

    def get_urls(self):
        def action(name: str, route: str):
            view = self.admin_site.admin_view(require_POST(getattr(self, f"{name}_view")))
            return path(route, view, name=f"search_experiment_{name}")

        return [action("start", "<int:pk>/start/"), action("stop", "<int:pk>/stop/"),
                action("promote", "<int:pk>/promote/<str:key>/"), *super().get_urls()]

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        experiment = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if experiment is not None and experiment.status != Experiment.Status.DRAFT:
            extra["report"] = experiment_report(experiment)
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def _act(self, request: HttpRequest, pk: int, act) -> HttpResponseRedirect:
        experiment = get_object_or_404(Experiment, pk=pk)
        if not self.has_change_permission(request, experiment):
            raise PermissionDenied
        try:
            act(experiment)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        except IntegrityError:  # another experiment started at the same moment (one running at a time)
            messages.error(request, "Another experiment is running: stop it first (one experiment at a time).")
        else:
            messages.success(request, f"“{experiment}” is {experiment.get_status_display().lower()}.")
        return HttpResponseRedirect(reverse("admin:search_experiment_change", args=[pk]))

    def start_view(self, request: HttpRequest, pk: int) -> HttpResponseRedirect:
        return self._act(request, pk, Experiment.start)

    def stop_view(self, request: HttpRequest, pk: int) -> HttpResponseRedirect:
        return self._act(request, pk, Experiment.stop)

    def promote_view(self, request: HttpRequest, pk: int, key: str) -> HttpResponseRedirect:
        if key not in VARIANT_KEYS:
            messages.error(request, "There are two variants: A and B.")
            return HttpResponseRedirect(reverse("admin:search_experiment_change", args=[pk]))
        return self._act(request, pk, lambda experiment: experiment.promote(key))
