"""Turn engine output into the engine-neutral SearchResult."""

from __future__ import annotations

from decimal import Decimal

from django.core.cache import cache

from search.facets import build_facets
from search.request import SearchHit, SearchRequest, SearchResult
from search.rules import facet_curation
from search.text import highlight
from store.models import AttributeDefinition, Brand, Category

LABELS_CACHE_SECONDS = 60


def _labels() -> dict[str, str]:
    """Display names of categories (by slug path) and brands ("brand:<slug>")."""
    labels = cache.get("search:facet-labels")
    if labels is None:
        labels = dict(Category.objects.values_list("slug_path", "name"))
        labels.update({f"brand:{slug}": name for slug, name in Brand.objects.values_list("slug", "name")})
        cache.set("search:facet-labels", labels, LABELS_CACHE_SECONDS)
    return labels


def attribute_labels(category_path: str | None) -> dict[str, str]:
    """The attribute facets of a category, in display order (code → title): its own and
    its ancestors' definitions, curated by the FacetSettings of the category or of its
    nearest ancestor having some (order, title, hidden), read at query time."""
    if not category_path:
        return {}
    parts = category_path.split("/")
    paths = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    definitions = AttributeDefinition.objects.filter(category__slug_path__in=paths).order_by("category__depth", "id")
    labels = {d.code: d.label for d in definitions}
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
