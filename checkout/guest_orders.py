"""Orders placed without an account: the browser that placed one (or found it with the order
lookup: its e-mail address and number) keeps access through its session, and the account that
later verifies that e-mail address claims them."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.core import signing
from django.http import HttpRequest

from .models import Order

SESSION_KEY = "checkout_guest_orders"
# A session remembers this many guest orders (the newest).
REMEMBERED = 20
# The link in a guest's e-mails opens the order for this long (then: the order lookup).
ACCESS_LINK_MAX_AGE = 90 * 24 * 3600
_ACCESS_SALT = "checkout.guest-order-access"


def remember(request: HttpRequest, order: Order) -> None:
    ids = [pk for pk in request.session.get(SESSION_KEY, []) if pk != order.pk]
    request.session[SESSION_KEY] = [order.pk, *ids][:REMEMBERED]


def remembered_ids(request: HttpRequest) -> list[int]:
    return [pk for pk in request.session.get(SESSION_KEY, []) if isinstance(pk, int)]


def find(email: str, number: str) -> Order | None:
    """The order with this number placed with this e-mail address (any case), or None."""
    digits = number.strip().lstrip("#")
    if not digits.isdigit() or len(digits) > 12:
        return None
    return Order.objects.filter(pk=int(digits), email__iexact=email.strip()).first()


def claim(user: AbstractBaseUser, email: str) -> int:
    """Give ``user`` the guest orders placed with ``email`` (an address they verified); returns how many."""
    return Order.objects.filter(user__isnull=True, email__iexact=email).update(user=user)


def access_token(order: Order) -> str:
    """What the link in a guest's e-mail carries: the order's id, signed with SECRET_KEY and dated."""
    return signing.dumps({"order": order.pk, "email": order.email.lower()}, salt=_ACCESS_SALT, compress=True)


def order_for_token(token: str) -> Order | None:
    """The guest order a valid, unexpired token names (its address unchanged), or None."""
    try:
        data = signing.loads(token, salt=_ACCESS_SALT, max_age=ACCESS_LINK_MAX_AGE)
    except signing.BadSignature:  # tampered, foreign or expired (SignatureExpired is a BadSignature)
        return None
    if not isinstance(data, dict) or not isinstance(data.get("order"), int):
        return None
    return Order.objects.filter(pk=data["order"], email__iexact=data.get("email", "")).first()
