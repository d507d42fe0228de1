"""The index status page of the admin site: what the index holds, the sync backlog, reindexing.

Mounted under the admin URL (config/urls.py) and wrapped in ``admin_view``: staff only,
then the outbox view permission (administrators, superusers)."""

from __future__ import annotations

from functools import wraps

from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_POST

from .models import ReindexRun
from .reindex import ReindexAlreadyRunning, ReindexNotStarted, current_run, start_reindex
from .selectors import index_status, run_progress

PERMISSION = "indexing.view_outboxentry"


class StaffRequest(HttpRequest):
    """A request that ``index_admin_view`` let through: a signed-in staff user."""

    user: User


def index_admin_view(view):
    """Staff only (the admin login otherwise), then the permission (403 otherwise)."""

    @wraps(view)
    def checked(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.has_perm(PERMISSION):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return admin.site.admin_view(checked)


@index_admin_view
@require_GET
def status_page(request: HttpRequest) -> TemplateResponse:
    running = current_run()  # first: it retires a run whose process died
    status = index_status()
    context = {
        **admin.site.each_context(request),
        "title": "Search index status",
        "status": status,
        "running": running,
        "shown_run": running or status.last_run,
    }
    return TemplateResponse(request, "admin/indexing/status.html", context)


@index_admin_view
@require_POST
def start_reindex_view(request: StaffRequest) -> HttpResponse:
    try:
        run = start_reindex(requested_by=request.user)
    except (ReindexAlreadyRunning, ReindexNotStarted) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Reindex {run.pk} started: searches keep using the current index meanwhile.")
    return redirect("indexing:status")


@index_admin_view
@require_GET
def progress(request: HttpRequest) -> JsonResponse:
    """The running reindex, or else the last one."""
    return JsonResponse(run_progress(current_run() or ReindexRun.objects.select_related("requested_by").first()))
