"""The products a shopper viewed lately, newest first, kept in the session (signed-in or not)."""

from __future__ import annotations

from django.http import HttpRequest

SESSION_KEY = "recently_viewed"
KEPT = 9


def viewed_before(request: HttpRequest, product_id: int) -> list[int]:
    """The ids viewed before this product (newest first), and this one remembered as the newest."""
    raw = request.session.get(SESSION_KEY, [])
    earlier = [i for i in raw if isinstance(i, int) and i != product_id][:KEPT] if isinstance(raw, list) else []
    updated = [product_id, *earlier][:KEPT]
    if updated != raw:
        request.session[SESSION_KEY] = updated
    return earlier
