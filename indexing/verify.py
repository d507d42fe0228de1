"""Compare the database with the index: every product id and its version stamp."""

from __future__ import annotations

from dataclasses import dataclass, field

from search.backends import SearchBackend
from search.documents import version_stamp
from store.models import Product


@dataclass
class Drift:
    missing: list[int] = field(default_factory=list)  # in the database, not in the index
    stale: list[int] = field(default_factory=list)  # indexed from an older version of the row
    orphaned: list[int] = field(default_factory=list)  # in the index, not (visible) in the database
    database_count: int = 0
    index_count: int = 0

    @property
    def clean(self) -> bool:
        return not (self.missing or self.stale or self.orphaned)

    def product_ids(self) -> list[int]:
        return sorted({*self.missing, *self.stale, *self.orphaned})


class _Stamp:
    __slots__ = ("pk", "updated_at")

    def __init__(self, pk, updated_at) -> None:
        self.pk, self.updated_at = pk, updated_at


def compare(backend: SearchBackend) -> Drift:
    indexed = dict(backend.iter_versions())
    drift = Drift(index_count=len(indexed))
    rows = Product.objects.visible().values_list("pk", "updated_at").order_by().iterator(chunk_size=5000)
    for pk, updated_at in rows:
        drift.database_count += 1
        version = indexed.pop(pk, None)
        if version is None:
            drift.missing.append(pk)
        elif version != version_stamp(_Stamp(pk, updated_at)):
            drift.stale.append(pk)
    drift.orphaned = sorted(indexed)
    return drift
