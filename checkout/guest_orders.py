"""Orders placed without an account: the browser that placed one (or found it with the order
lookup: its e-mail address and number) keeps access through its session, and the account that
later verifies that e-mail address claims them."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest

from .models import Order

SESSION_KEY = "checkout_guest_orders"
# A session remembers this many guest orders (the newest).
REMEMBERED = 20


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
