from functools import cache

from .selectors import category_menu, shop_identity, wishlist_count


def navigation(request) -> dict:
    """The header's menu, the shop's identity and the wishlist count; callables, so that a page
    which never shows one does not read it (each is read once per page)."""

    @cache
    def count() -> int:
        return wishlist_count(request.user)

    return {"category_menu": category_menu, "shop": cache(shop_identity), "wishlist_count": count}
