from .selectors import category_menu


def navigation(request) -> dict:
    return {"category_menu": category_menu}
