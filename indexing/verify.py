"""Compare the database with the index: every product id and its version stamp, and the
index's definition (Elasticsearch's mapping) with the one a reindex creates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from search.backends import SearchBackend
from search.documents import version_stamp
from store.models import Product

CHUNK = 5000


@dataclass
class Drift:
    missing: list[int] = field(default_factory=list)  # in the database, not in the index
    stale: list[int] = field(default_factory=list)  # indexed from an older version of the row
    orphaned: list[int] = field(default_factory=list)  # in the index, not (visible) in the database
    # How the live index's mapping differs from index_body()'s: only a reindex repairs that.
    definition: list[str] = field(default_factory=list)
    database_count: int = 0
    index_count: int = 0

    @property
    def clean(self) -> bool:
        return not (self.missing or self.stale or self.orphaned or self.definition)

    def product_ids(self) -> list[int]:
        return sorted({*self.missing, *self.stale, *self.orphaned})


class _Stamp:
    __slots__ = ("pk", "updated_at")

    def __init__(self, pk: int, updated_at: datetime) -> None:
        self.pk, self.updated_at = pk, updated_at


def compare(backend: SearchBackend, chunk: int = CHUNK) -> Drift:
    """Walk the database and the index side by side in id ranges of ``chunk``
    products: memory stays flat however large the catalog (only the drift is kept)."""
    drift = Drift(definition=backend.definition_drift())
    if drift.definition:
        return drift  # documents of another mapping are no measure of anything: reindex
    products = Product.objects.visible().order_by("pk")
    index_top = backend.max_id()
    start = 0
    while True:
        ids_and_stamps = list(products.filter(pk__gte=start).values_list("pk", "updated_at")[:chunk])
        if len(ids_and_stamps) == chunk:
            end = ids_and_stamps[-1][0] + 1
        elif index_top is not None and index_top >= start:
            end = max(index_top, ids_and_stamps[-1][0] if ids_and_stamps else 0) + 1
        else:
            end = (ids_and_stamps[-1][0] + 1) if ids_and_stamps else start
        indexed = dict(backend.iter_versions(start, end)) if end > start else {}
        drift.index_count += len(indexed)
        for pk, updated_at in ids_and_stamps:
            drift.database_count += 1
            version = indexed.pop(pk, None)
            if version is None:
                drift.missing.append(pk)
            elif version != version_stamp(_Stamp(pk, updated_at)):
                drift.stale.append(pk)
        drift.orphaned.extend(sorted(indexed))
        if len(ids_and_stamps) < chunk:
            return drift
        start = end
