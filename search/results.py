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
from search.models import facet_name
from search.request import Facet, SearchHit, SearchRequest, SearchResult
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
    """The attribute facets of a category (code → title), in definition order: its own and
    its ancestors' definitions."""
    if not category_path:
        return {}
    parts = category_path.split("/")
    paths = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    return _process_memo(("attributes", *paths), lambda: _attribute_definitions(tuple(paths)))


def curate(facets: list[Facet], category_path: str | None) -> list[Facet]:
    """The facets as the merchandisers set them for this category (or its nearest ancestor
    having settings), read at query time: hidden ones dropped, titles replaced, and those
    given a position first, smaller first; the others keep their usual order."""
    curation = facet_curation(category_path)
    if not curation:
        return facets
    settings = {facet_name(c.attribute): c for c in curation}

    def display_order(indexed: tuple[int, Facet]) -> tuple:
        usual, facet = indexed
        setting = settings.get(facet.name)
        position = setting.position if setting else None
        return (0, position, usual) if position is not None else (1, 0, usual)

    curated = []
    for _, facet in sorted(enumerate(facets), key=display_order):
        setting = settings.get(facet.name)
        if setting and not setting.visible:
            continue
        if setting and setting.label:
            facet.label = setting.label
        curated.append(facet)
    return curated


def assemble_result(req: SearchRequest, total: int, hits: list[SearchHit], raw_facets: dict) -> SearchResult:
    facets = build_facets(req, raw_facets, _labels(), attribute_labels(req.category)) if req.with_facets else []
    facets = curate(facets, req.category) if facets and not req.autocomplete else facets
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
