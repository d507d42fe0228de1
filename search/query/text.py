"""Text analysis: the one chain of both engines' text fields, of the query words and of the highlighter.

The chain: words are runs of letters and digits (anything else separates them: hyphens,
the period of a decimal, quotes, an apostrophe), an English possessive ("men's", "Levi’s")
is dropped, then lowercase, ASCII folding, English (Porter2) stemming, and a stem of
WORD_MAX_CHARS bytes or more is dropped. tantivy's text fields use ``stem_analyzer()``;
Elasticsearch's analyzer (backends/elasticsearch/mapping.py) produces the same tokens with
char filters; tests/test_analysis.py proves both, and ``query_words`` + ``stem``, equal on
every product name of the demo catalog. Both engines receive the same list of words: the
Elasticsearch compiler sends them (ES stems them with the index's analyzer), the tantivy
compiler stems them with ``stem``. The typo fields hold ``surface_words`` (the chain without the
stemmer), against which typos are counted.

Why tantivy's analyser library on the query side, for both engines: it *is* the index-side chain of
the tantivy fields (one implementation, not two to keep equal), and Elasticsearch analyses the
words it is sent with its own analyzer, proven to give the same tokens (tests/test_analysis.py);
PyStemmer/snowballstemmer would be a third stemmer to prove equal to both. The one known gap is
osmem-server's: it indexes with an older Snowball than its ``_analyze`` and tantivy (13 of the
demo catalog's 885 words, "soy" → "soi"; tests/test_analysis.py measures it), which a real
Elasticsearch 9 does not have.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import tantivy
from rapidfuzz.distance import OSA

from search.query.ranking import DEFAULT_TYPOS, TYPO_PREFIX_LENGTH, TypoTolerance

MAX_QUERY_WORDS = 12
WORD_MAX_CHARS = 40


# A word, with the possessive that may end it: the stemmer's first step (Porter2's Step 0)
# removes the possessive, so "men's" is one token "men" and no gap is left in the positions.
# (Rust regex syntax; Elasticsearch's char filters use the same classes.)
WORD_PATTERN = r"[\p{L}\p{N}]+(?:['’][sS]\b)?"
# The same, for Python's re: [^\W_] is a letter or a digit (str.isalnum), as \p{L}\p{N} are.
_WORD = re.compile(r"[^\W_]+(?:['’][sS]\b)?")
POSSESSIVE = re.compile(r"['’]s$")  # on a word_analyzer() token


def _word_chain() -> tantivy.TextAnalyzerBuilder:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(WORD_PATTERN))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
    )


@lru_cache(maxsize=1)
def word_analyzer() -> tantivy.TextAnalyzer:
    """Split and normalise (lowercase, ASCII folding), without stemming (a possessive stays on its word)."""
    return _word_chain().build()


@lru_cache(maxsize=1)
def stem_analyzer() -> tantivy.TextAnalyzer:
    """The analyzer of the tantivy text fields: the word chain, English stemming, long stems dropped."""
    return (_word_chain().filter(tantivy.Filter.stemmer("english"))
            .filter(tantivy.Filter.remove_long(WORD_MAX_CHARS)).build())


def surface_words(text: str) -> list[str]:
    """The words of a text as written, lower-case and folded, without possessives (the words the
    index drops left out): the engines' typo fields hold these, and a typed word's typos are
    counted against them, never against stems."""
    words = []
    for token in word_analyzer().analyze(text):
        word = POSSESSIVE.sub("", token)
        if word and len(stem(word).encode()) < WORD_MAX_CHARS:
            words.append(word)
    return words


def query_words(text: str) -> list[str]:
    """The words of a query, unstemmed and without possessives (``surface_words``, at most
    MAX_QUERY_WORDS): each one's ``stem`` is the token the index holds for it."""
    return surface_words(text)[:MAX_QUERY_WORDS]


# Query words and name tokens repeat all day: each is analysed once per process.
@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    stems = stem_analyzer().analyze(word)
    return stems[0] if stems else word


def fuzziness(word: str, typos: TypoTolerance = DEFAULT_TYPOS) -> int:
    """The typo budget of a typed word, by its length (search.query.ranking.TypoTolerance)."""
    return typos.budget(word)


@dataclass(frozen=True)
class MatchedTerms:
    """What a search matched in a name, to highlight it: the stems of the words and synonym
    alternatives searched, and the typed words that also match with typos, each with its typo
    budget (the compilers' rule: the typed word's budget counted on the name's words as written,
    none for the exact words)."""

    exact: frozenset[str] = frozenset()
    fuzzy: tuple[tuple[str, int], ...] = ()

    @classmethod
    def of(cls, words: Iterable[str], exact_words: frozenset[str] = frozenset(),
           typos: TypoTolerance = DEFAULT_TYPOS) -> MatchedTerms:
        unique = list(dict.fromkeys(words))
        names_typo_tolerant = "name" in typos.fields
        fuzzy = {(w, 0 if w in exact_words or not names_typo_tolerant else typos.budget(w)) for w in unique}
        return cls(frozenset(stem(w) for w in unique), tuple(sorted((s, d) for s, d in fuzzy if d)))

    def __bool__(self) -> bool:
        return bool(self.exact)

    def match(self, token_stem: str, token_word: str) -> bool:
        """Whether a name token (its stem, its word as written) matched: as typed, or within a word's
        typo budget, as both engines match a typed word against the typo fields' words (edit
        distance, a swap costing one)."""
        return token_stem in self.exact or any(
            token_word[:TYPO_PREFIX_LENGTH] == word[:TYPO_PREFIX_LENGTH]
            and OSA.distance(token_word, word, score_cutoff=distance) <= distance for word, distance in self.fuzzy)


def highlight(name: str, terms: MatchedTerms) -> str:
    """The escaped name with the words the search matched wrapped in <mark>."""
    if not terms:
        return html.escape(name)
    *tokens, tail = _name_tokens(name)
    out = []
    for before, escaped, token_stem, token_word in tokens:
        out.append(before)
        out.append(f"<mark>{escaped}</mark>" if token_stem is not None and terms.match(token_stem, token_word)
                   else escaped)
    out.append(tail[0])
    return "".join(out)


@lru_cache(maxsize=20_000)
def _name_tokens(name: str) -> tuple[tuple[str, str, str | None, str], ...]:
    """A name cut for highlighting (the analysis chain's words), once per process: (escaped text
    before the word, the escaped word, its stem, its surface word) for each word, then (the
    escaped rest, "", None, "")."""
    tokens, last = [], 0
    for m in _WORD.finditer(name):
        token = m.group(0)
        analyzed = stem_analyzer().analyze(token)
        words = surface_words(token)
        tokens.append((html.escape(name[last:m.start()]), html.escape(token), analyzed[0] if analyzed else None,
                       words[0] if words else ""))
        last = m.end()
    tokens.append((html.escape(name[last:]), "", None, ""))
    return tuple(tokens)
