"""Expand typo-tolerant and SKU-prefix words into the index's own terms, once per index state.

A tantivy ``fuzzy_term_query`` builds a Levenshtein automaton and walks the term
dictionary of every segment each time it runs, and a faceted search runs its text
query once for the hits and once per facet group: most of a search's time went there.
The words a shopper can mistype are the name and brand vocabularies (about 1,300 and
80 terms at 50,000 products), so each word is expanded once against them (rapidfuzz,
the same edit distance as tantivy's automaton: Damerau-Levenshtein with a swap costing
one) and the query holds the terms found, scored like the fuzzy query (a constant per
match), so hits and ranking are unchanged.

A ``TermExpander`` belongs to one state of one index (the backend makes a new one when
the index reloads after a commit), so a new product's words are expandable as soon as
they are searchable.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import tantivy
from rapidfuzz import process
from rapidfuzz.distance import OSA

from search.query.ranking import DEFAULT_TYPOS, TypoTolerance
from search.query.spelling import CANDIDATE_FIELD, correction_window, pick_correction, whole_word_fields
from search.query.text import stem

# Each cache holds at most this many words; the least recently used are forgotten.
MAX_CACHED_WORDS = 4096
# A prefix shared by more SKUs than this stays a regex query (one automaton) rather than a set.
MAX_SKU_TERMS = 64


class _LRU(OrderedDict):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def remember(self, key, value):
        self[key] = value
        if len(self) > self.size:
            self.popitem(last=False)
        return value


class TermExpander:
    def __init__(self, searcher: tantivy.Searcher) -> None:
        self._searcher = searcher
        self._lock = threading.Lock()
        self._vocabularies: dict[str, list[str]] = {}
        self._fuzzy = _LRU(MAX_CACHED_WORDS)
        self._sku = _LRU(MAX_CACHED_WORDS)
        self._known = _LRU(MAX_CACHED_WORDS)
        self._corrections = _LRU(MAX_CACHED_WORDS)
        self._candidates: dict[str, list[str]] = {}

    def known(self, term: str, fields) -> bool:
        """Whether any of ``fields`` holds ``term`` (an analysed word): a word the index
        knows is never typo-expanded into other words."""
        key = (term, tuple(fields))
        with self._lock:
            if key in self._known:
                return self._known[key]
            found = any(self._searcher.doc_freq(field, term) for field in fields)
            return self._known.remember(key, found)

    def _vocabulary(self, field: str) -> list[str]:
        vocabulary = self._vocabularies.get(field)
        if vocabulary is None:
            vocabulary = [term for term, _ in self._searcher.terms_with_prefix(field, "")]
            self._vocabularies[field] = vocabulary
        return vocabulary

    def fuzzy(self, field: str, term: str, distance: int) -> tuple[str, ...]:
        """The terms of ``field`` within ``distance`` edits of ``term`` (itself included)."""
        key = (field, term, distance)
        with self._lock:
            found = self._fuzzy.get(key)
            if found is not None:
                self._fuzzy.move_to_end(key)
                return found
            vocabulary = self._vocabulary(field)
            matches = process.extract(term, vocabulary, scorer=OSA.distance, score_cutoff=distance, limit=None)
            return self._fuzzy.remember(key, tuple(sorted(match for match, _, _ in matches)))

    def correction(self, word: str, typos: TypoTolerance = DEFAULT_TYPOS) -> str | None:
        """The correction of a word the index does not know (search.query.spelling's rule), from
        the whole words among the candidates within its typo budget, with their document frequencies."""
        window = correction_window(word, typos)
        fields = whole_word_fields(typos)
        if window is None or not fields:
            return None
        key = (word, window, fields)
        with self._lock:
            if key in self._corrections:
                self._corrections.move_to_end(key)
                return self._corrections[key]
            prefix, _, _ = window
            vocabulary = self._candidates.get(prefix)
            if vocabulary is None:
                vocabulary = [term for term, _ in self._searcher.terms_with_prefix(CANDIDATE_FIELD, prefix)]
                self._candidates[prefix] = vocabulary
            close = [match for match, _, _ in process.extract(word, vocabulary, scorer=OSA.distance,
                                                               score_cutoff=2, limit=None)]
        whole = {c: self._searcher.doc_freq(CANDIDATE_FIELD, c) for c in close if self.known(stem(c), fields)}
        found = pick_correction(word, whole, typos)
        with self._lock:
            return self._corrections.remember(key, found)

    def sku_prefix(self, prefix: str) -> tuple[str, ...] | None:
        """The SKUs starting with ``prefix``: a tuple (empty when none), or None when there
        are more than MAX_SKU_TERMS of them."""
        with self._lock:
            if prefix in self._sku:
                self._sku.move_to_end(prefix)
                return self._sku[prefix]
            terms = self._searcher.terms_with_prefix("sku_lower", prefix, limit=MAX_SKU_TERMS + 1)
            found = None if len(terms) > MAX_SKU_TERMS else tuple(sorted(term for term, _ in terms))
            return self._sku.remember(prefix, found)
