"""Refuse input that no view can store: a NUL character (U+0000).

PostgreSQL text cannot hold NUL, and psycopg raises ``ValueError`` as soon as one reaches a
query, so ``/c/abc%00def/`` or an admin filter ``?name=%00`` used to end in a 500. No page of
the shop has a use for it, so one check here, before any view runs, answers a clear 400
instead of every form and filter checking on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

NUL = "\x00"
NUL_MESSAGE = "The request contains a NUL character (%00), which is not allowed in a web address or a form."
# Only these bodies are parsed into request.POST; others (JSON, webhooks) are the view's.
FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _holds_nul(values: Iterable[str]) -> bool:
    return any(NUL in value for value in values)


def request_holds_nul(request: HttpRequest) -> bool:
    """A NUL in the path, a query parameter (name or value) or a form field (name or value)."""
    if NUL in request.path_info or NUL in request.path:
        return True
    if _holds_nul(request.GET.keys()) or _holds_nul(v for values in request.GET.lists() for v in values[1]):
        return True
    if request.method == "POST" and request.content_type in FORM_CONTENT_TYPES:
        post = request.POST
        if _holds_nul(post.keys()) or _holds_nul(v for values in post.lists() for v in values[1]):
            return True
        if _holds_nul(f.name or "" for files in request.FILES.lists() for f in files[1]):
            return True
    return False


def bad_request(request: HttpRequest, message: str) -> HttpResponse:
    """A 400 that says what was wrong: JSON under /api/, else the shop's 400 page."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"error": message}, status=400)
    # No request context: the page must not read the session or the database.
    return HttpResponse(loader.render_to_string("400.html", {"message": message}), status=400)


class RejectNulMiddleware:
    """HTTP 400 for a request with a NUL anywhere a view would read it as text."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request_holds_nul(request):
            return bad_request(request, NUL_MESSAGE)
        return self.get_response(request)
