from functools import cache

from django.http import HttpRequest

from .cart import cart_item_count


def cart(request: HttpRequest) -> dict:
    """``cart_count`` for the header; a callable, so pages that never show it don't query."""

    @cache
    def count() -> int:
        return cart_item_count(request)

    return {"cart_count": count}
