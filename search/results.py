"""Turn engine output into the engine-neutral SearchResult."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from decimal import Decimal

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from search.facets import build_facets
from search.request import SearchHit, SearchRequest, SearchResult
from search.rules import facet_curation
from search.text import highlight
from store.models import AttributeDefinition, Brand, Category

LABELS_CACHE_SECONDS = 60
# Facet labels and attribute definitions change rarely: each process keeps them this
# long without asking the shared cache or the database (a save here forgets them at once).
LOCAL_SECONDS = 30

_local: dict = {}
_local_lock = threading.Lock()


def _process_memo(key, load: Callable):
    now = time.monotonic()
    with _local_lock:
        found = _local.get(key)
        if found and now - found[0] < LOCAL_SECONDS:
            return found[1]
    value = load()
    with _local_lock:
        _local[key] = (now, value)
    return value


def forget_labels() -> None:
    with _local_lock:
        _local.clear()


@receiver(post_save, sender=Category)
@receiver(post_delete, sender=Category)
@receiver(post_save, sender=Brand)
@receiver(post_delete, sender=Brand)
@receiver(post_save, sender=AttributeDefinition)
@receiver(post_delete, sender=AttributeDefinition)
def _catalog_labels_changed(sender, **kwargs) -> None:
    forget_labels()
    cache.delete("search:facet-labels")


def _labels() -> dict[str, str]:
    """Display names of categories (by slug path) and brands ("brand:<slug>")."""
    return _process_memo("labels", _shared_labels)


def _shared_labels() -> dict[str, str]:
    labels = cache.get("search:facet-labels")
    if labels is None:
        labels = dict(Category.objects.values_list("slug_path", "name"))
        labels.update({f"brand:{slug}": name for slug, name in Brand.objects.values_list("slug", "name")})
        cache.set("search:facet-labels", labels, LABELS_CACHE_SECONDS)
    return labels


def _attribute_definitions(paths: tuple[str, ...]) -> dict[str, str]:
    definitions = AttributeDefinition.objects.filter(category__slug_path__in=paths).order_by("category__depth", "id")
    return {d.code: d.label for d in definitions}


def attribute_labels(category_path: str | None) -> dict[str, str]:
    """The attribute facets of a category, in display order (code → title): its own and
    its ancestors' definitions, curated by the FacetSettings of the category or of its
    nearest ancestor having some (order, title, hidden), read at query time."""
    if not category_path:
        return {}
    parts = category_path.split("/")
    paths = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    labels = dict(_process_memo(("attributes", *paths), lambda: _attribute_definitions(tuple(paths))))
    curation = facet_curation(category_path)
    if not curation:
        return labels
    settings = {c.attribute: c for c in curation}
    usual_order = {code: i for i, code in enumerate(labels)}

    def display_order(code: str) -> tuple:
        setting = settings.get(code)
        return (0, setting.position, usual_order[code]) if setting else (1, 0, usual_order[code])

    curated = {}
    for code in sorted(labels, key=display_order):
        setting = settings.get(code)
        if setting and not setting.visible:
            continue
        curated[code] = (setting.label if setting and setting.label else labels[code])
    return curated


def assemble_result(req: SearchRequest, total: int, hits: list[SearchHit], raw_facets: dict) -> SearchResult:
    facets = build_facets(req, raw_facets, _labels(), attribute_labels(req.category)) if req.with_facets else []
    return SearchResult(request=req, total=total, hits=hits, facets=facets)


def _money(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def make_hit(display: dict, words: list[str], score: float) -> SearchHit:
    """A listing hit from the indexed display fields (the same on both engines)."""
    compare = display.get("compare_at_price")
    return SearchHit(
        id=int(display["id"]), name=display["name"], slug=display["slug"], sku=display["sku"],
        brand=display["brand"], price=_money(display["price"]), currency=display["currency"],
        compare_at_price=_money(compare) if compare is not None else None, in_stock=bool(display["in_stock"]),
        rating=float(display["rating"]), rating_count=int(display["rating_count"]),
        image_url=display.get("image_url", ""), highlighted_name=highlight(display["name"], words), score=score,
    )
