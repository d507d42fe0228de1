"""Words a shopper types around what they want ("trousers for men", "kid's books"): they may
match and add to a product's score, but never exclude one. "s" is the possessive remnant
the word splitter leaves of "kid's"."""

from __future__ import annotations

STOPWORDS: frozenset[str] = frozenset({
    "a", "an", "and", "at", "by", "for", "from", "in", "into", "of", "on", "or", "the", "to", "with", "s",
})


def is_stopword(word: str) -> bool:
    return word in STOPWORDS
