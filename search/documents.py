"""What the index holds for a product: one engine-neutral dict per product.

Both engines index exactly these fields; sort keys are precomputed integers so
both give the same order under every field sort, with the product id as the
stable tie-break.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple, Protocol

from search.query.text import query_words
from store.models import AttributeDefinition, Category, Product, ProductImage, image_source

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


class Stamped(Protocol):
    """Anything with the row's ``updated_at``: a product, or just its stamp."""

    @property
    def updated_at(self) -> datetime: ...


def version_stamp(p: Stamped) -> int:
    """Changes whenever the row changes: verify compares it with the database."""
    return int(p.updated_at.timestamp() * 1_000_000)


class _CategoryFacts(NamedTuple):
    """What a document takes from its category and the category's ancestors."""

    name: str
    slug_path: str
    text: str
    paths: tuple[str, ...]
    # the codes of the searchable attributes defined on the category or an ancestor
    searchable_attributes: tuple[str, ...]

    @classmethod
    def of(cls, category: Category, chain: list[Category],
           definitions: Mapping[int, list[tuple[str, bool]]]) -> _CategoryFacts:
        searchable: dict[str, bool] = {}
        for c in chain:  # root first: a subcategory's definition of a code overrides its ancestor's
            searchable.update(definitions.get(c.pk, ()))
        return cls(category.name, category.slug_path, " ".join(c.name for c in chain),
                   tuple(c.slug_path for c in chain), tuple(code for code, on in searchable.items() if on))


def _document(p, brand_name: str, brand_slug: str, category: _CategoryFacts, vendor: str, image_url: str) -> dict:
    """``p`` is a Product or a row of ``PRODUCT_COLUMNS``: the same document either way."""
    return {
        "id": p.pk,
        "sku": p.sku,
        "sku_lower": p.sku.lower(),
        "name": p.name,
        "slug": p.slug,
        "description": p.description[:DESCRIPTION_INDEX_CHARS],
        "brand": brand_name,
        "brand_slug": brand_slug,
        "category": category.name,
        "category_text": category.text,
        "category_path": category.slug_path,
        # every ancestor path: filtering on any level and hierarchical counts
        "category_paths": list(category.paths),
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
        "attribute_text": attribute_text(p.attributes, category.searchable_attributes),
        "prefixes": word_prefixes(f"{p.name} {brand_name}"),
        "image_url": image_url,
        "vendor": vendor,
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


def attribute_text(attributes: dict, searchable: Iterable[str]) -> str:
    """The values of the searchable attributes as words ("Bamboo", "Navy Blue"): a shopper's
    "bamboo comforter" finds the comforter whose material is bamboo. Yes/no values are no
    words ("True"), whatever the flag says."""
    words: list[str] = []
    for code in searchable:
        value = (attributes or {}).get(code)
        for v in value if isinstance(value, list) else (value,):
            if isinstance(v, str | int | float) and not isinstance(v, bool) and str(v).strip():
                words.append(str(v))
    return " ".join(words)


def word_prefixes(text: str) -> list[str]:
    """Every 1–15 character prefix of every word, for as-you-type matching.

    Computed here rather than by an engine's edge-ngram analyser so that both
    engines hold exactly the same terms."""
    return sorted(set().union(*map(_prefixes_of_word, query_words(text))))


@lru_cache(maxsize=8192)  # bounded: memory stays flat however large the catalog
def _prefixes_of_word(word: str) -> frozenset[str]:
    # Catalog words repeat (names, brands): a reindex computes each word's prefixes once.
    return frozenset(word[:end] for end in range(1, min(len(word), PREFIX_MAX_CHARS) + 1))


class CategoryChains:
    """Ancestor chains of categories and their attribute definitions, loaded once (the tree is small)."""

    def __init__(self) -> None:
        categories = list(Category.objects.all())
        self._definitions: dict[int, list[tuple[str, bool]]] = defaultdict(list)
        for category_id, code, searchable in AttributeDefinition.objects.order_by("code").values_list(
                "category_id", "code", "searchable"):
            self._definitions[category_id].append((code, searchable))
        self._by_path = {c.path: c for c in categories}
        self._by_id = {c.pk: c for c in categories}
        self._steplen = Category.steplen
        self._facts: dict[int, _CategoryFacts] = {}

    def chain(self, category: Category) -> list[Category]:
        path = category.path
        return [
            self._by_path[path[:i]] for i in range(self._steplen, len(path) + 1, self._steplen)
            if path[:i] in self._by_path
        ]

    def facts(self, category_id: int) -> _CategoryFacts:
        """Computed once per category, not once per product."""
        facts = self._facts.get(category_id)
        if facts is None:
            category = self._by_id.get(category_id)
            if category is None:  # created since we loaded the tree
                category = Category.objects.get(pk=category_id)
                self._by_id[category_id] = self._by_path[category.path] = category
            facts = self._facts[category_id] = _CategoryFacts.of(category, self.chain(category), self._definitions)
        return facts


# What a document reads from the product row and its brand and vendor. Documents are built
# from plain rows rather than model instances: instantiating a product, its brand, category,
# vendor and images was most of the time of a reindex.
PRODUCT_COLUMNS = (
    "pk", "sku", "name", "slug", "description", "brand__name", "brand__slug", "category_id", "vendor__slug",
    "price", "currency", "compare_at_price", "stock_quantity", "rating_average", "rating_count", "sales_count",
    "created_at", "updated_at", "attributes",
)


class DocumentBuilder:
    """Documents from rows of ``PRODUCT_COLUMNS``; the category tree is loaded once per build."""

    def __init__(self) -> None:
        self.categories = CategoryChains()

    def documents(self, rows: list, images=None) -> list[dict]:
        """``images``: a ProductImage queryset holding at least these products' images."""
        if images is None:
            images = ProductImage.objects.filter(product_id__in=[r.pk for r in rows])
        first_image: dict[int, str] = {}
        for product_id, url, name in images.order_by("product_id", "position", "id").values_list(
                "product_id", "url", "image"):
            first_image.setdefault(product_id, image_source(url, name))  # an upload as media:<name>
        categories = self.categories
        return [
            _document(r, r.brand__name, r.brand__slug, categories.facts(r.category_id), r.vendor__slug or "",
                      first_image.get(r.pk, ""))
            for r in rows
        ]


def indexable_rows():
    """The products that belong in the index, as rows of ``PRODUCT_COLUMNS``."""
    return Product.objects.visible().values_list(*PRODUCT_COLUMNS, named=True)


def documents_for(product_ids: Iterable[int]) -> tuple[list[dict], set[int]]:
    """Documents for the visible products among ``product_ids``; and the ids to delete."""
    wanted = set(product_ids)
    docs = DocumentBuilder().documents(list(indexable_rows().filter(pk__in=wanted)))
    return docs, wanted - {d["id"] for d in docs}
