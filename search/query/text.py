"""Query text analysis shared by both compilers and the highlighter.

Both engines receive the same list of words, so they match the same way: the
Elasticsearch compiler sends the words (ES stems them with the index's
analyzer), the tantivy compiler stems them with the same chain as its index.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

import tantivy

from search.query.ranking import MIN_WORD_SIZE_FOR_1_TYPO, MIN_WORD_SIZE_FOR_2_TYPOS

MAX_QUERY_WORDS = 12
WORD_MAX_CHARS = 40


def _word_chain() -> tantivy.TextAnalyzerBuilder:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(WORD_MAX_CHARS))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
    )


@lru_cache(maxsize=1)
def word_analyzer() -> tantivy.TextAnalyzer:
    """Split and normalise (lowercase, ASCII folding), without stemming."""
    return _word_chain().build()


@lru_cache(maxsize=1)
def stem_analyzer() -> tantivy.TextAnalyzer:
    """The analyzer of the tantivy text fields: the word chain plus English stemming."""
    return _word_chain().filter(tantivy.Filter.stemmer("english")).build()


def query_words(text: str) -> list[str]:
    return word_analyzer().analyze(text)[:MAX_QUERY_WORDS]


# Query words and name tokens repeat all day: each is analysed once per process.
@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    stems = stem_analyzer().analyze(word)
    return stems[0] if stems else word


def fuzziness(word: str) -> int:
    """The typo budget of a typed word, by its length (search.query.ranking's thresholds)."""
    if len(word) < MIN_WORD_SIZE_FOR_1_TYPO:
        return 0
    return 1 if len(word) < MIN_WORD_SIZE_FOR_2_TYPOS else 2


_WORD = re.compile(r"\w+", re.UNICODE)


def highlight(name: str, words: list[str]) -> str:
    """The escaped name with the words matching the query wrapped in <mark>."""
    stems = {stem(w) for w in words}
    if not stems:
        return html.escape(name)
    *tokens, tail = _name_tokens(name)
    out = []
    for before, escaped, token_stem in tokens:
        out.append(before)
        out.append(f"<mark>{escaped}</mark>" if token_stem in stems else escaped)
    out.append(tail[0])
    return "".join(out)


@lru_cache(maxsize=20_000)
def _name_tokens(name: str) -> tuple[tuple[str, str, str | None], ...]:
    """A name cut for highlighting, once per process: (escaped text before the word, the
    escaped word, its stem) for each word, then (the escaped rest, "", None)."""
    tokens, last = [], 0
    for m in _WORD.finditer(name):
        token = m.group(0)
        analyzed = stem_analyzer().analyze(token)
        tokens.append((html.escape(name[last:m.start()]), html.escape(token), analyzed[0] if analyzed else None))
        last = m.end()
    tokens.append((html.escape(name[last:]), "", None))
    return tuple(tokens)
