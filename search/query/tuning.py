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
    # Semantic matching (search.semantic): whether it applies to this query and how much the terms
    # it adds count (a merchandising setting; an experiment may override it through the request).
    semantic: bool = False
    semantic_weight: float = 0.5
    # What it added: (typed word, the shop's term, similarity), for the preview and analytics.
    semantic_terms: tuple[tuple[str, str, float], ...] = ()
    # Words whose field weights the compilers multiply (the terms semantic matching added count less).
    word_weights: tuple[tuple[str, float], ...] = ()

    def weights_for(self, word: str, weights):
        """The field weights for one query word: scaled when the word has a weight of its own."""
        factor = dict(self.word_weights).get(word) if self.word_weights else None
        return weights if factor is None else {field: weight * factor for field, weight in weights.items()}
