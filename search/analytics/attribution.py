"""Which search led to a sale: a search's token carried from its results to the order line.

1. A shopper opens a product from a results page (its link, or the page's beacon: the click
   endpoint, search.analytics.views). The session remembers, per product, the token of that
   results page and when (``remember_click``).
2. Putting the product in the cart records a CartEvent for that token (``record_add_to_cart``).
3. Placing the order writes the token on the order line of that product (``attribute_order``).

The rule: a product is credited to the **last search whose results the shopper opened it
from, in this session, within ATTRIBUTION_SECONDS (24 hours)** of the add to cart or the order.
A later search that did not lead to the product (the shopper searched something else, or
clicked another product) takes nothing from it. Another session (another browser; a login on
another device) carries nothing over: the link lives in the session only, and a login keeps
the session's data (Django cycles the key, not the content).

Nothing here is personal: a token is a random id of a results page, and the session stores
product ids and tokens. Purging old events (search.analytics.retention) leaves the order
lines as they are.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable

from django.http import HttpRequest

from checkout.models import Order, OrderLine
from search.analytics.recorder import record_cart_add

ATTRIBUTION_SECONDS = 24 * 3600
SESSION_KEY = "search_attribution"
# The products remembered per session (the most recently opened win): a session stays small.
MAX_REMEMBERED = 50


def _valid_token(token: str | None) -> str | None:
    try:
        return str(uuid.UUID(str(token))) if token else None
    except ValueError:
        return None


def remember_click(http_request: HttpRequest, product_id: int, search_token: str | None) -> None:
    """The shopper opened ``product_id`` from the results page ``search_token``."""
    token = _valid_token(search_token)
    session = getattr(http_request, "session", None)
    if token is None or session is None:
        return
    now = int(time.time())
    remembered = {pid: entry for pid, entry in _remembered(http_request).items()
                  if now - entry[1] <= ATTRIBUTION_SECONDS}
    remembered.pop(str(product_id), None)  # re-inserted last: the newest
    remembered[str(product_id)] = [token, now]
    session[SESSION_KEY] = dict(list(remembered.items())[-MAX_REMEMBERED:])


def _remembered(http_request: HttpRequest) -> dict[str, list]:
    session = getattr(http_request, "session", None)
    found = session.get(SESSION_KEY) if session is not None else None
    return found if isinstance(found, dict) else {}


def search_token_for(http_request: HttpRequest, product_id: int) -> str | None:
    """The token of the search that led to ``product_id`` (see the rule above), or None."""
    entry = _remembered(http_request).get(str(product_id))
    if not isinstance(entry, list) or len(entry) != 2:
        return None
    token, opened_at = entry
    if not isinstance(opened_at, int) or time.time() - opened_at > ATTRIBUTION_SECONDS:
        return None
    return _valid_token(token)


def record_add_to_cart(http_request: HttpRequest, product_id: int, quantity: int) -> None:
    """After a successful add to cart (checkout.views): an event for the search that led there."""
    token = search_token_for(http_request, product_id)
    if token:
        record_cart_add(token, product_id, quantity)


def attributed_tokens(http_request: HttpRequest, product_ids: Iterable[int]) -> dict[int, str]:
    """Product id → the token of the search that led to it, for those a search led to."""
    found = {pid: search_token_for(http_request, pid) for pid in set(product_ids)}
    return {pid: token for pid, token in found.items() if token}


def attribute_order(http_request: HttpRequest, order: Order) -> int:
    """Write each line's search token (checkout.views, once the order is placed); returns how
    many lines a search led to. A line that has one already keeps it (a resubmitted form)."""
    lines = list(OrderLine.objects.filter(order=order, search_token__isnull=True, product__isnull=False)
                 .values_list("pk", "product_id"))
    tokens = attributed_tokens(http_request, [pid for _, pid in lines])
    by_token: dict[str, list[int]] = {}
    for pk, product_id in lines:
        if product_id in tokens:
            by_token.setdefault(tokens[product_id], []).append(pk)
    for token, pks in by_token.items():
        OrderLine.objects.filter(pk__in=pks).update(search_token=token)
    return sum(len(pks) for pks in by_token.values())
