"""What the index holds for a product: one engine-neutral dict per product.

Both engines index exactly these fields; sort keys are precomputed integers so
both give the same order under every field sort, with the product id as the
stable tie-break.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.db.models import Prefetch

from search.text import query_words
from store.models import Category, Product, ProductImage

DESCRIPTION_INDEX_CHARS = 5000
PREFIX_MAX_CHARS = 15
ID_SPACE = 10**7  # product ids must stay below this for the composite sort keys
# Keys stay below 2**53 so that engines holding numbers as doubles sort them exactly.
EPOCH = 1577836800  # 2020-01-01: "newest" counts seconds from here


def _tie(product_id: int) -> int:
    """Smaller ids first on ties, whichever direction the main key sorts."""
    return ID_SPACE - 1 - (product_id % ID_SPACE)


def sort_keys(p: Product) -> dict[str, int]:
    cents = min(int(p.price * 100), 10**8 - 1)
    rating100 = int(Decimal(p.rating_average) * 100)
    seconds = max(0, int(p.created_at.timestamp()) - EPOCH)
    return {
        # ascending price, then ascending id: sorted ascending
        "sort_price_asc": cents * ID_SPACE + (p.pk % ID_SPACE),
        # the rest sort descending, with the id tie-break inverted
        "sort_price_desc": cents * ID_SPACE + _tie(p.pk),
        "sort_newest": seconds * ID_SPACE + _tie(p.pk),
        "sort_rating": rating100 * 10**13 + min(p.rating_count, 10**6 - 1) * ID_SPACE + _tie(p.pk),
        "sort_bestselling": min(p.sales_count, 10**8) * ID_SPACE + _tie(p.pk),
    }


def version_stamp(p: Product) -> int:
    """Changes whenever the row changes: verify compares it with the database."""
    return int(p.updated_at.timestamp() * 1_000_000)


def product_document(p: Product, category_chain: list[Category]) -> dict:
    images = list(p.images.all())
    return {
        "id": p.pk,
        "sku": p.sku,
        "sku_lower": p.sku.lower(),
        "name": p.name,
        "slug": p.slug,
        "description": p.description[:DESCRIPTION_INDEX_CHARS],
        "brand": p.brand.name,
        "brand_slug": p.brand.slug,
        "category": p.category.name,
        "category_text": " ".join(c.name for c in category_chain),
        "category_path": p.category.slug_path,
        # every ancestor path: filtering on any level and hierarchical counts
        "category_paths": [c.slug_path for c in category_chain],
        "price": float(p.price),
        "currency": p.currency,
        "compare_at_price": float(p.compare_at_price) if p.compare_at_price is not None else None,
        "in_stock": p.stock_quantity > 0,
        "stock_quantity": p.stock_quantity,
        "rating": float(p.rating_average),
        "rating_count": p.rating_count,
        "popularity": p.sales_count,
        "created_at": p.created_at,
        "attrs": sorted(attribute_terms(p.attributes)),
        "prefixes": word_prefixes(f"{p.name} {p.brand.name}"),
        "image_url": images[0].url if images else "",
        "vendor": p.vendor.slug if p.vendor_id else "",
        "version": version_stamp(p),
        **sort_keys(p),
    }


def attribute_terms(attributes: dict) -> Iterator[str]:
    """Filterable attribute values as ``code=value`` keywords (lists become several)."""
    for code, value in (attributes or {}).items():
        values = value if isinstance(value, list) else [value]
        for v in values:
            if isinstance(v, bool):
                v = "yes" if v else "no"
            yield f"{code}={v}"[:120]


def word_prefixes(text: str) -> list[str]:
    """Every 1–15 character prefix of every word, for as-you-type matching.

    Computed here rather than by an engine's edge-ngram analyser so that both
    engines hold exactly the same terms."""
    prefixes = set()
    for word in query_words(text):
        for end in range(1, min(len(word), PREFIX_MAX_CHARS) + 1):
            prefixes.add(word[:end])
    return sorted(prefixes)


def indexable_products():
    """The products that belong in the index, with what their documents read."""
    return (
        Product.objects.visible()
        .select_related("brand", "category", "vendor")
        .prefetch_related(Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")))
    )


class CategoryChains:
    """Ancestor chains of categories, loaded once (the tree is small)."""

    def __init__(self) -> None:
        self._by_path = {c.path: c for c in Category.objects.all()}
        self._steplen = Category.steplen

    def chain(self, category: Category) -> list[Category]:
        path = category.path
        return [
            self._by_path[path[:i]] for i in range(self._steplen, len(path) + 1, self._steplen)
            if path[:i] in self._by_path
        ]


def documents_for(product_ids: Iterable[int]) -> tuple[list[dict], set[int]]:
    """Documents for the visible products among ``product_ids``; and the ids to delete."""
    wanted = set(product_ids)
    chains = CategoryChains()
    docs = [product_document(p, chains.chain(p.category)) for p in indexable_products().filter(pk__in=wanted)]
    return docs, wanted - {d["id"] for d in docs}


def iter_all_documents(batch_size: int = 2000) -> Iterator[list[dict]]:
    """Stream every indexable product in batches (server-side cursor, flat memory)."""
    chains = CategoryChains()
    batch: list[dict] = []
    for p in indexable_products().order_by("pk").iterator(chunk_size=batch_size):
        batch.append(product_document(p, chains.chain(p.category)))
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch
