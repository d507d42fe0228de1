"""How a word the index does not know is corrected, the same on every engine: each engine
lists candidate words of its vocabulary with their document frequencies; this picks one.

A candidate starts with the typed word's first letter (shoppers rarely miss that one:
Lucene's spell checkers and Elasticsearch's term suggester keep one prefix letter by
default), lies within the typed word's typo budget (search.query.ranking.TypoTolerance), and the
closest wins, then the most frequent, then the first alphabetically."""

from __future__ import annotations

from collections.abc import Mapping

from rapidfuzz.distance import OSA

from search.query.ranking import DEFAULT_TYPOS, TypoTolerance

CORRECTION_PREFIX_LETTERS = 1
# The candidates are words of the documents' ``prefixes`` (every prefix of every name and brand
# word: surface forms, unstemmed); a candidate is a whole word when its stem is a term of these.
CANDIDATE_FIELD = "prefixes"
WHOLE_WORD_FIELDS = ("name", "brand")


def whole_word_fields(typos: TypoTolerance = DEFAULT_TYPOS) -> tuple[str, ...]:
    """The fields a correction may come from: those of WHOLE_WORD_FIELDS that are typo-tolerant
    (a correction is a typo match: a brand whose typos are off is never a correction)."""
    return tuple(f for f in WHOLE_WORD_FIELDS if f in typos.fields)


def correction_window(word: str, typos: TypoTolerance = DEFAULT_TYPOS) -> tuple[str, int, int] | None:
    """(prefix, shortest, longest) of the candidates for ``word``; None when it has no typo budget."""
    budget = typos.budget(word)
    if not budget:
        return None
    return word[:CORRECTION_PREFIX_LETTERS], max(1, len(word) - budget), len(word) + budget


def pick_correction(word: str, candidates: Mapping[str, int], typos: TypoTolerance = DEFAULT_TYPOS) -> str | None:
    """The best of ``candidates`` (word → document frequency) for ``word``, or None."""
    window = correction_window(word, typos)
    if window is None:
        return None
    prefix, shortest, longest = window
    budget = typos.budget(word)
    ranked = []
    for candidate, frequency in candidates.items():
        if candidate == word or not candidate.startswith(prefix) or not shortest <= len(candidate) <= longest:
            continue
        distance = OSA.distance(word, candidate, score_cutoff=budget)
        if distance <= budget and frequency > 0:
            ranked.append((distance, -frequency, candidate))
    return min(ranked)[2] if ranked else None
