"""Search pages (the search page and the category pages: a category is the search scoped to its
subtree) and the JSON search API. Thin: search.web.listing and search.web.serializers do the work."""

from __future__ import annotations

import time
from decimal import Decimal

import orjson
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt, ensure_csrf_cookie
from django.views.decorators.http import require_safe

from search.analytics.recorder import keep_visitor
from search.backends import SearchUnavailable
from search.facets import parse_request
from search.facets.state import url_for
from search.query.request import InvalidSearchRequest
from search.result_cache import browse_fragment_key
from search.services import autocomplete, search_products
from search.web.listing import (
    UNAVAILABLE_MESSAGE,
    build_listing,
    category_page_url,
    params_from_query,
    served_request,
    track_clicks,
)
from search.web.openapi import AUTOCOMPLETE_MAX_LENGTH, openapi_document
from search.web.seo import listing_seo
from search.web.serializers import serialize_result, serialize_suggestions
from store.caching import listing_timeout
from store.models import Category
from store.structured_data import breadcrumb_data
from taxes.display import apply_display_rates

# Short: suggestions follow the catalog within a minute and depend on nothing but q.
SUGGEST_CACHE_SECONDS = 60
# When to try again after a 503 (the engine restarting, a reindex healing it).
RETRY_AFTER_SECONDS = 10


def unavailable(response: HttpResponse) -> HttpResponse:
    """A 503 that says when to come back."""
    if response.status_code == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _json_default(value: object) -> str:
    if isinstance(value, (Decimal, Promise)):  # as DjangoJSONEncoder writes them
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def json_response(data: dict, status: int = 200) -> HttpResponse:
    """JSON (orjson: 10 µs for a results page where the standard library took 74) whose text can never
    close a <script> or open a tag if a client mistakenly injects it into a page: <, >
    and & become \\u escapes (valid JSON)."""
    body = orjson.dumps(data, default=_json_default)
    body = body.replace(b"<", b"\\u003c").replace(b">", b"\\u003e").replace(b"&", b"\\u0026")
    return HttpResponse(body, status=status, content_type="application/json")


# The reactive component posts to /unicorn/message with the CSRF cookie.
def without_empty_parameters(request: HttpRequest) -> HttpResponse | None:
    """A plain GET form sends its empty inputs (``price_min=&price_max=``): the same page at its
    tidy address, as the reactive page's address bar shows it."""
    if any(not value.strip() for _, values in request.GET.lists() for value in values):
        return redirect(url_for(request.path, params_from_query(request.GET)))
    return None


@ensure_csrf_cookie
@require_safe
def search_page(request: HttpRequest) -> HttpResponse:
    if tidy := without_empty_parameters(request):
        return tidy
    listing = build_listing(params_from_query(request.GET), base_url=reverse("search"), http_request=request)
    if listing.redirect:
        return redirect(listing.redirect)
    response = render(request, "search/search.html", {"listing": listing}, status=listing.status)
    keep_visitor(request, response)
    return unavailable(response)


@require_safe
@cache_control(max_age=SUGGEST_CACHE_SECONDS)
def suggest(request: HttpRequest) -> HttpResponse:
    """The header box's dropdown: a server-rendered (escaped) HTML fragment, empty when
    there is nothing to suggest."""
    try:
        suggestions = autocomplete(request.GET.get("q", ""))
    except SearchUnavailable:
        return unavailable(HttpResponse("", status=503))
    apply_display_rates(suggestions.products)  # prices as the listings show them
    return render(request, "search/_suggestions.html", {"suggestions": suggestions})


# Read-only (GET/HEAD): no CSRF check, so that another method gets require_safe's 405,
# not the CSRF middleware's 403 (there is nothing a forged request could change).
@csrf_exempt
@require_safe
def api_search(request: HttpRequest) -> HttpResponse:
    try:
        # The shopper's own shard copies, as on the page: stable paging across replicas.
        search_request = served_request(parse_request(request.GET), request)
        started = time.perf_counter()
        result = search_products(search_request)
        track_clicks(request, search_request, result, time.perf_counter() - started)
    except InvalidSearchRequest as exc:
        return json_response({"error": str(exc)}, status=400)
    except SearchUnavailable:
        return unavailable(json_response({"error": UNAVAILABLE_MESSAGE}, status=503))
    apply_display_rates(result.hits)  # price_display as the pages show it
    data = serialize_result(result)
    if getattr(result, "redirect", None):
        data["redirect"] = result.redirect  # a merchandiser's landing page for this text
    response = json_response(data)
    keep_visitor(request, response)
    return response


@csrf_exempt  # as api_search
@require_safe
def api_autocomplete(request: HttpRequest) -> HttpResponse:
    text = request.GET.get("q", "")
    if len(text) > AUTOCOMPLETE_MAX_LENGTH:  # the documented maxLength, not a silent cut
        return json_response(
            {"error": f"The text typed is limited to {AUTOCOMPLETE_MAX_LENGTH} characters."}, status=400)
    try:
        suggestions = autocomplete(text)
    except SearchUnavailable:
        return unavailable(json_response({"error": UNAVAILABLE_MESSAGE}, status=503))
    apply_display_rates(suggestions.products)
    return json_response(serialize_suggestions(suggestions))



@require_safe
@cache_control(max_age=3600, public=True)
def api_schema(request: HttpRequest) -> JsonResponse:
    """The OpenAPI description of /api/search and /api/autocomplete."""
    return JsonResponse(openapi_document(), json_dumps_params={"indent": 2})


@ensure_csrf_cookie  # the reactive component posts to /unicorn/message with the CSRF cookie
@require_safe
def category_page(request: HttpRequest, slug_path: str) -> HttpResponse:
    """A category is the search scoped to its subtree: the same facets, filters and sorts."""
    category = get_object_or_404(Category, slug_path=slug_path.strip("/"))
    if tidy := without_empty_parameters(request):
        return tidy
    listing = build_listing(
        params_from_query(request.GET),
        base_url=category.get_absolute_url(),
        category=category.slug_path,
        category_url=category_page_url,
        http_request=request,
    )
    if listing.redirect:
        return redirect(listing.redirect)
    ancestors = list(Category.objects.get_ancestors(category))
    seo = listing_seo(listing.params, category.get_absolute_url())
    context = {
        "category": category,
        "ancestors": ancestors,
        "canonical_url": request.build_absolute_uri(seo.canonical_path),
        "robots": seo.robots,
        "og": {"title": category.name, "description": category.description[:200]},
        "structured_data": [breadcrumb_data([*ancestors, category], request.build_absolute_uri)],
        "subcategories": list(Category.objects.get_children(category)),
        "listing": listing,
        "search_request": listing.search_request,
        "result": listing.result,
    }
    # A landing page (no text, no filters) renders the same for everyone: keep the HTML too.
    fragment_key = browse_fragment_key(listing.search_request, request.GET)
    tracked = listing.result is not None and any(getattr(h, "click_url", "") for h in listing.result.hits)
    if listing.status == 200 and fragment_key and not tracked:  # per-search click tokens: never shared
        context.update(listing_cache_seconds=listing_timeout(settings.LISTING_CACHE_SECONDS),
                       listing_cache_key=fragment_key)
    else:
        context.update(listing_cache_seconds=0, listing_cache_key="")
    response = render(request, "store/category.html", context, status=listing.status)
    if listing.text:  # a search within the category; a landing page sets no cookie
        keep_visitor(request, response)
    return unavailable(response)
