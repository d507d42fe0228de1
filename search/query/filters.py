"""Engine-neutral filters: what facets and merchandising rules narrow a search by.

Each compiler turns a ``Filter`` into its engine's clause; nothing else reads them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Filter:
    """One filter: ``kind`` is term, terms, not_terms, range (floats) or int_range."""

    group: str  # the facet that owns it: its own counts ignore it ("_rules": every facet's)
    kind: str
    field: str
    values: tuple = ()
    gte: float | None = None
    lte: float | None = None
    # Each document holds one value of the field (per level, for a category path): the
    # tantivy engine may then count several selected values' buckets and add them up.
    single_valued: bool = False


RULES_GROUP = "_rules"


def filters_without(filters: list[Filter], group: str | None) -> list[Filter]:
    return [f for f in filters if f.group != group]
