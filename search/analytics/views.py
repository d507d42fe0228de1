"""/search/click: records a click on a search result.

GET (a result's link, search.analytics.recorder.click_url): records, then redirects to the
product page; only ever to a product's own URL, looked up here, never to a URL taken
from the request. POST (``navigator.sendBeacon`` from a page that navigates itself):
records and answers 204, without the CSRF token (a beacon sends no header; a forged
click adds one analytics row, and the endpoint is rate-limited with the search pages).
Parameters: ``p`` product id, ``pos`` position (from 1), ``t`` the search's token,
``q`` the query. Both remember in the session which search led to the product
(search.analytics.attribution), for the cart and the order.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.utils.cache import add_never_cache_headers
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from search.analytics.attribution import remember_click
from search.analytics.recorder import MAX_POSITION, record_click
from store.models import Product


def _int(raw: str | None, upper: int) -> int | None:
    raw = (raw or "").strip()
    if not raw.isdigit() or len(raw) > 12:
        return None
    value = int(raw)
    return value if 0 < value <= upper else None


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def click(request: HttpRequest) -> HttpResponse:
    params = request.POST if request.method == "POST" else request.GET
    product_id = _int(params.get("p"), 2**63 - 1)
    if product_id is None:
        return HttpResponseBadRequest("Missing or invalid product.")
    position = _int(params.get("pos"), MAX_POSITION)
    token, query = params.get("t", ""), params.get("q", "")[:200]
    if request.method == "POST":
        if Product.objects.visible().filter(pk=product_id).exists():
            record_click(request, product_id, position, token, query)
            remember_click(request, product_id, token)
        response = HttpResponse(status=204)
    else:
        product = get_object_or_404(Product.objects.visible(), pk=product_id)
        if request.method == "GET":  # HEAD (link checkers, previews) records nothing
            record_click(request, product_id, position, token, query)
            remember_click(request, product_id, token)
        response = HttpResponseRedirect(product.get_absolute_url())
    add_never_cache_headers(response)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
