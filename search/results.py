"""Turn engine output into the engine-neutral SearchResult."""

from __future__ import annotations

from django.core.cache import cache

from search.facets import build_facets
from search.request import SearchHit, SearchRequest, SearchResult
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
    """The attribute facets of a category: its own and its ancestors' definitions."""
    if not category_path:
        return {}
    parts = category_path.split("/")
    paths = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    definitions = AttributeDefinition.objects.filter(category__slug_path__in=paths).order_by("category__depth", "id")
    return {d.code: d.label for d in definitions}


def assemble_result(req: SearchRequest, total: int, hits: list[SearchHit], raw_facets: dict) -> SearchResult:
    facets = build_facets(req, raw_facets, _labels(), attribute_labels(req.category)) if req.with_facets else []
    return SearchResult(request=req, total=total, hits=hits, facets=facets)
