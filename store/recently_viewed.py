"""The products a shopper viewed lately, newest first, in a cookie: no session (and no database
write) for a visitor who only looks, crawlers included. The ids are public; a forged cookie
shows other visible products at most."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

COOKIE = "recently_viewed"
KEPT = 9
MAX_AGE = 30 * 24 * 3600


def viewed_ids(request: HttpRequest) -> list[int]:
    raw = request.COOKIES.get(COOKIE, "")[:200]
    ids = [int(part) for part in raw.split(".") if part.isdigit() and len(part) < 10]
    return list(dict.fromkeys(ids))[:KEPT]


def viewed_before(request: HttpRequest, product_id: int) -> list[int]:
    """The ids viewed before this product, newest first."""
    return [i for i in viewed_ids(request) if i != product_id]


def remember(request: HttpRequest, response: HttpResponse, product_id: int) -> None:
    """This product as the newest viewed (the cookie is rewritten only when it changes)."""
    ids = [product_id, *viewed_before(request, product_id)][:KEPT]
    if ids != viewed_ids(request):
        response.set_cookie(COOKIE, ".".join(map(str, ids)), max_age=MAX_AGE, samesite="Lax", httponly=True,
                            secure=request.is_secure())
