"""Reads of the catalog (HackSoft style: selectors for reads)."""

from .models import Category


def category_menu() -> list[dict]:
    """Top categories with their direct subcategories, in two queries.

    Passed to templates as a callable so that pages which don't render the
    menu don't pay for it."""
    nodes = list(Category.objects.filter(depth__lte=2).order_by("path"))
    menu: list[dict] = []
    for node in nodes:
        if node.depth == 1:
            menu.append({"category": node, "children": []})
        elif menu:
            menu[-1]["children"].append(node)
    return menu
