"""What the merchandising rules change for one request: compilers read it, views never do.

The rules themselves (models, caching, resolution) live in search.merchandising; this
is only the engine-neutral result of resolving them for a query.
"""

from __future__ import annotations

from dataclasses import dataclass

from search.query.filters import Filter
from search.query.ranking import DEFAULT_FIELD_WEIGHTS, DEFAULT_TYPOS, TypoTolerance

DEFAULT_WEIGHTS: tuple[tuple[str, float], ...] = tuple(DEFAULT_FIELD_WEIGHTS.items())


@dataclass(frozen=True)
class Boost:
    label: str
    factor: float
    filter: Filter
    query_term: str = ""


@dataclass(frozen=True)
class Tuning:
    field_weights: tuple[tuple[str, float], ...] = DEFAULT_WEIGHTS
    # Per query position, the alternatives (each a tuple of words) that may match there.
    word_groups: tuple[tuple[tuple[str, ...], ...], ...] = ()
    boosts: tuple[Boost, ...] = ()
    excluded_ids: tuple[int, ...] = ()
    # For the preview: which synonym sets expanded the query.
    synonyms_applied: tuple[str, ...] = ()
    # Words the synonyms added (not typed by the shopper): never typo-expanded by the compilers.
    exact_words: frozenset[str] = frozenset()
    # The typo budgets and where typos apply (a TypoSettings rule; an experiment may vary them).
    typos: TypoTolerance = DEFAULT_TYPOS
