"""The rule that adds the shop's own terms to a word its index does not know.

For an unknown word (one the index has never seen, so lexical matching finds nothing for it),
the vocabulary terms nearest in meaning are candidates; the word is expanded only when:

- the nearest term is at least FLOOR similar (cosine of all-MiniLM-L6-v2's unit vectors);
- a candidate is not a compound whose first word merely starts with the typed word: English
  compounds name their last part ("kettlebell" is a bell, not a kettle), and the embedding
  of a word-piece prefix scores high for spelling, not meaning. The reverse is kept: "bedsheets"
  are sheets;
- the terms added stay in the nearest term's family (its top-level category: a word means one
  kind of thing) and within MARGIN of it, at most MAX_TERMS of them.

The thresholds were chosen on bench/relevance.py's main set and checked on its held-out set:
absent product types ("sofa", "piano", "umbrella") stay below FLOOR, so the shop still says it
does not carry them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import numpy as np
from django.db import DatabaseError

from search.query.request import SearchRequest
from search.query.text import query_words

from . import embedder
from .vocabulary import Vocabulary, current_vocabulary

logger = logging.getLogger(__name__)

FLOOR = 0.62
MARGIN = 0.06
MAX_TERMS = 3
CANDIDATES = 24
MIN_WORD_CHARS = 3


@dataclass(frozen=True)
class AddedTerm:
    word: str  # what the shopper typed
    term: str  # the shop's term added for it
    words: tuple[str, ...]  # the term's query words (what the compilers match)
    similarity: float
    category_path: str


def expandable(word: str) -> bool:
    return len(word) >= MIN_WORD_CHARS and word.isalpha()


def _starts_compound(word: str, term_words: tuple[str, ...]) -> bool:
    first = term_words[0] if term_words else ""
    return first != word and first.startswith(word)


def expand_word(word: str, vocabulary: Vocabulary) -> list[AddedTerm]:
    """The terms added for ``word`` (nearest first), or none."""
    if not expandable(word):
        return []
    similarities = vocabulary.vectors @ embedder.query_vector(word)
    order = np.argsort(-similarities)[:CANDIDATES]
    candidates = [int(i) for i in order if not _starts_compound(word, vocabulary.words[int(i)])]
    if not candidates or similarities[candidates[0]] < FLOOR:
        return []
    best = float(similarities[candidates[0]])
    family = vocabulary.categories[candidates[0]].split("/")[0]
    added: list[AddedTerm] = []
    for i in candidates:
        similarity = float(similarities[i])
        if similarity < max(FLOOR, best - MARGIN) or len(added) == MAX_TERMS:
            break
        if vocabulary.categories[i].split("/")[0] != family or not vocabulary.words[i]:
            continue
        added.append(AddedTerm(word, vocabulary.terms[i], vocabulary.words[i], round(similarity, 3),
                               vocabulary.categories[i]))
    return added


def with_semantic_expansion(request: SearchRequest) -> SearchRequest:
    """The request with the shop's terms added, at a lower weight, to each typed word its index
    does not know (``known_words``, set before), where semantic matching is on: the shop's
    setting (the rules' tuning) unless the request overrides it (an experiment). Off, without the
    model, without a vocabulary or when the model fails: the request as it was (lexical only)."""
    tuning = request.tuning
    if not request.text or request.autocomplete or request.exact or tuning is None:
        return request
    on = tuning.semantic if request.semantic is None else request.semantic
    weight = tuning.semantic_weight if request.semantic_weight is None else request.semantic_weight
    groups = request.word_groups()
    unknown = [group[0][0] for group in groups
               if len(group) == 1 and len(group[0]) == 1 and group[0][0] not in request.known_words
               and group[0][0] not in request.optional_words and expandable(group[0][0])]
    if not on or not unknown or not embedder.enabled():
        return request
    try:
        vocabulary = current_vocabulary()
        if vocabulary is None:
            return request
        found = {word: expand_word(word, vocabulary) for word in dict.fromkeys(unknown)}
    except DatabaseError:
        return request  # the vocabulary cannot be read: lexical only, as without the extra
    except Exception:  # noqa: BLE001 - a failing model must not fail the search
        logger.exception("semantic matching failed; searching lexically")
        return request
    added = {word: terms for word, terms in found.items() if terms}
    if not added:
        return request
    typed = set(query_words(request.text))
    expanded = tuple(
        group + tuple(t.words for t in added[group[0][0]] if t.words not in group)
        if len(group) == 1 and len(group[0]) == 1 and group[0][0] in added else group
        for group in groups)
    word_weights: dict[str, float] = {}
    for terms in added.values():
        for t in terms:
            for w in t.words:
                if w not in typed:
                    word_weights[w] = max(word_weights.get(w, 0.0), round(weight * t.similarity, 3))
    return replace(request, tuning=replace(
        tuning, word_groups=expanded, exact_words=tuning.exact_words | frozenset(word_weights),
        semantic=True, semantic_weight=weight,
        semantic_terms=tuple((t.word, t.term, t.similarity) for terms in added.values() for t in terms),
        word_weights=tuple(sorted(word_weights.items()))))
