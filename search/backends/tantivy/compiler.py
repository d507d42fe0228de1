"""Compile a SearchRequest into tantivy queries, sort and aggregations."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

import tantivy

from search.documents import PREFIX_MAX_CHARS
from search.query.filters import Filter
from search.query.ranking import (
    DEFAULT_FIELD_WEIGHTS,
    DEFAULT_TYPOS,
    FEWER_TYPOS_BOOST,
    OPTIONAL_WORD_BOOST,
    PHRASE_BOOST,
    PHRASE_SLOP,
    SKU_EXACT_BOOST,
    SKU_PREFIX_BOOST,
    SKU_PREFIX_MIN_CHARS,
    TYPO_PREFIX_LENGTH,
    TypoTolerance,
)
from search.query.request import SearchRequest
from search.query.text import query_words, stem

from .terms import TermExpander

Occur = tantivy.Occur
Q = tantivy.Query

SORT_FIELDS = {
    "price_asc": ("sort_price_asc", tantivy.Order.Asc),
    "price_desc": ("sort_price_desc", tantivy.Order.Desc),
    "newest": ("sort_newest", tantivy.Order.Desc),
    "rating": ("sort_rating", tantivy.Order.Desc),
    "bestselling": ("sort_bestselling", tantivy.Order.Desc),
}


class TextQuery(NamedTuple):
    """The text part of a request: ``matching`` decides which products match (what
    filters, counts and facets need); ``scored`` adds the ranking boosts to it."""

    scored: tantivy.Query
    matching: tantivy.Query


def words_field(field: str) -> str:
    """The unstemmed twin of a typo-tolerant field (search.query.ranking.FUZZY_FIELDS)."""
    return f"{field}_words"


def near_words(word: str, distance: int, typos: TypoTolerance, terms: TermExpander) -> dict[str, tuple[str, ...]]:
    """Per typo field, its words within ``distance`` typos of the typed ``word`` (the first letter kept)."""
    found = {}
    for f in typos.fields:
        near = tuple(t for t in terms.fuzzy(words_field(f), word, distance)
                     if t[:TYPO_PREFIX_LENGTH] == word[:TYPO_PREFIX_LENGTH])
        if near:
            found[f] = near
    return found


def word_clause(schema: tantivy.Schema, word: str, weights: Mapping[str, float], terms: TermExpander,
                known: frozenset[str] = frozenset(), typos: TypoTolerance = DEFAULT_TYPOS) -> TextQuery:
    """One query word in any text field, exactly (its stem) or (on the typo fields) with typos: the
    words as written within the typed word's edit distance, expanded once per index state.
    Scored, each field with its weight; matching, one flat union of the same terms (cheaper to
    run again for every facet group)."""
    stemmed = stem(word)
    scored = [(Occur.Should, Q.boost_query(Q.term_query(schema, f, stemmed), w)) for f, w in weights.items() if w]
    matching = {(f, stemmed) for f, w in weights.items() if w}
    distance = 0 if word in known else typos.budget(word)  # a word the index knows is what was meant
    if distance:
        for f, near in near_words(word, distance, typos, terms).items():
            field = words_field(f)  # scored like tantivy's fuzzy query: the boost, once, however many terms match
            matches = Q.disjunction_max_query([Q.const_score_query(Q.term_query(schema, field, t), 1.0) for t in near])
            scored.append((Occur.Should, Q.boost_query(matches, typos.fields[f])))
            matching.update((field, t) for t in near)
    union = [Q.term_query(schema, f, t) for f, t in sorted(matching)]
    return TextQuery(Q.boolean_query(scored), _any(union) if union else Q.empty_query())


def fewer_typos_clauses(schema: tantivy.Schema, req: SearchRequest, terms: TermExpander) -> list[tantivy.Query]:
    """Fewer typos first (search.query.ranking.FEWER_TYPOS_BOOST): for each typed word with a typo
    budget, a constant for the products it matches within each smaller number of typos."""
    clauses = []
    typos, exact = req.typos, req.exact_words
    words = dict.fromkeys(w for group in req.word_groups() for alternative in group for w in alternative)
    for word in words:
        budget = 0 if word in exact else typos.budget(word)
        for fewer in range(budget):
            near = near_words(word, fewer, typos, terms)
            if near:
                within = _any([Q.term_query(schema, words_field(f), t) for f, found in near.items() for t in found])
                clauses.append(Q.const_score_query(within, FEWER_TYPOS_BOOST))
    return clauses


def _both(combine, parts: list[TextQuery]) -> TextQuery:
    """Combine the scored forms and the matching forms alike."""
    return TextQuery(combine([p.scored for p in parts]), combine([p.matching for p in parts]))


def _any(queries: list[tantivy.Query]) -> tantivy.Query:
    return queries[0] if len(queries) == 1 else Q.boolean_query([(Occur.Should, q) for q in queries])


def _all(queries: list[tantivy.Query]) -> tantivy.Query:
    return queries[0] if len(queries) == 1 else Q.boolean_query([(Occur.Must, q) for q in queries])


def position_clause(schema, group: tuple[tuple[str, ...], ...], weights, terms: TermExpander,
                    known: frozenset[str] = frozenset(), typos: TypoTolerance = DEFAULT_TYPOS,
                    tuning=None) -> TextQuery:
    """A query position and its synonyms: any alternative matches; a multi-word one needs all its words
    (each word with its field weights, scaled where the rules weigh it: semantic matching's terms)."""
    return _both(_any, [_both(_all, [word_clause(schema, w, tuning.weights_for(w, weights) if tuning else weights,
                                                 terms, known, typos) for w in alternative])
                        for alternative in group])


def _words_query(positions: list[TextQuery], optional: list[bool], word_occur) -> TextQuery:
    """The query's positions, each required (or any of them, relaxed) unless optional: an optional
    position matches and scores (its text score and OPTIONAL_WORD_BOOST, so more words matched rank
    higher) but never excludes. With every position optional, they are treated as required."""
    if all(optional):
        optional = [False] * len(positions)
    pairs = list(zip(positions, optional, strict=True))
    required = [(word_occur, p.scored) for p, is_optional in pairs if not is_optional]
    extra = [clause for p, is_optional in pairs if is_optional
             for clause in ((Occur.Should, p.scored),
                            (Occur.Should, Q.const_score_query(p.matching, OPTIONAL_WORD_BOOST)))]
    if extra and word_occur == Occur.Should:  # the optional positions may not count towards "any word"
        required = [(Occur.Must, Q.boolean_query(required))]
    matching = [(word_occur, p.matching) for p, is_optional in pairs if not is_optional]
    return TextQuery(Q.boolean_query(required + extra), Q.boolean_query(matching))


def sku_prefix_clause(schema: tantivy.Schema, lowered: str, terms: TermExpander) -> tantivy.Query | None:
    """SKUs starting with the text (a shopper typing part of one): no clause when none
    does, the few that do as a set, a prefix automaton when many do."""
    found = terms.sku_prefix(lowered)
    if found == ():
        return None
    if found is None:
        return Q.regex_query(schema, "sku_lower", re.escape(lowered) + ".*")
    return any_term(schema, "sku_lower", found)


def any_term(schema: tantivy.Schema, field: str, values) -> tantivy.Query:
    """Documents holding any of the values. A union of term queries: tantivy's
    term_set_query fills a bitset of the whole segment on every run, six times slower
    for the few values a filter or a word's spellings have (measured at 50,000 products)."""
    return _any([Q.term_query(schema, field, v) for v in values])


def apply_boosts(schema: tantivy.Schema, query: tantivy.Query, boosts) -> tantivy.Query:
    """Multiply the score of the products a rule targets by its factor."""
    for boost in boosts:
        target = filter_query(schema, boost.filter)
        query = Q.boolean_query([
            (Occur.Should, Q.boost_query(Q.boolean_query([(Occur.Must, query), (Occur.Must, target)]), boost.factor)),
            (Occur.Should, Q.boolean_query([(Occur.Must, query), (Occur.MustNot, target)])),
        ])
    return query


def prefix_query(schema: tantivy.Schema, text: str) -> tantivy.Query | None:
    """As-you-type: every word is a prefix of some word of the name or brand."""
    words = query_words(text)
    if not words:
        return None
    return Q.boolean_query([(Occur.Must, Q.term_query(schema, "prefixes", w[:PREFIX_MAX_CHARS])) for w in words])


def text_query(schema: tantivy.Schema, req: SearchRequest, terms: TermExpander) -> TextQuery | None:
    if req.autocomplete:
        prefixes = prefix_query(schema, req.text)
        return TextQuery(prefixes, prefixes) if prefixes is not None else None
    text = req.text
    words = query_words(text)
    word_occur = Occur.Should if req.match_any else Occur.Must
    lowered = text.strip().lower()
    alternatives: list[TextQuery] = []
    if words:
        weights = dict(req.tuning.field_weights) if req.tuning else DEFAULT_FIELD_WEIGHTS
        groups, exact_words = req.word_groups(), req.exact_words
        positions = [position_clause(schema, group, weights, terms, exact_words, req.typos, req.tuning)
                     for group in groups]
        alternatives.append(_words_query(positions, [req.is_optional(g) for g in groups], word_occur))
    if lowered:
        exact = Q.term_query(schema, "sku_lower", lowered)
        alternatives.append(TextQuery(Q.boost_query(exact, SKU_EXACT_BOOST), exact))
        prefix = sku_prefix_clause(schema, lowered, terms) if len(lowered) >= SKU_PREFIX_MIN_CHARS else None
        if prefix is not None:
            alternatives.append(TextQuery(Q.boost_query(Q.const_score_query(prefix, 1.0), SKU_PREFIX_BOOST), prefix))
        if lowered.isdigit() and len(lowered) < 12:
            by_id = Q.term_query(schema, "id", int(lowered))
            alternatives.append(TextQuery(Q.boost_query(by_id, SKU_EXACT_BOOST), by_id))
    if not alternatives:
        return None
    match = _both(_any, alternatives)
    boosts = [(Occur.Must, match.scored)]
    if len(words) >= 2:
        phrase = Q.phrase_query(schema, "name", [stem(w) for w in words], slop=PHRASE_SLOP)
        boosts.append((Occur.Should, Q.boost_query(phrase, PHRASE_BOOST)))
    # In stock and popular are not clauses here: rerank.py adds them to the best matches.
    query = Q.boolean_query(boosts) if len(boosts) > 1 else match.scored
    if sort_for(req) is None:
        if req.tuning and req.tuning.boosts:
            query = apply_boosts(schema, query, req.tuning.boosts)
        fewer_typos = fewer_typos_clauses(schema, req, terms) if words else []
        if fewer_typos:
            query = Q.boolean_query([(Occur.Must, query), *((Occur.Should, c) for c in fewer_typos)])
    return TextQuery(query, match.matching)


def filter_query(schema: tantivy.Schema, f: Filter) -> tantivy.Query:
    if f.kind == "term":
        return Q.term_query(schema, f.field, f.values[0])
    if f.kind == "terms":
        return any_term(schema, f.field, f.values)
    if f.kind == "range":
        return Q.range_query(schema, f.field, tantivy.FieldType.Float, lower_bound=f.gte, upper_bound=f.lte)
    if f.kind == "int_range":
        return Q.range_query(schema, f.field, tantivy.FieldType.Integer, lower_bound=f.gte, upper_bound=f.lte)
    raise ValueError(f"unknown filter kind {f.kind}")


def combine(schema: tantivy.Schema, main: tantivy.Query | None, filters: list[Filter]) -> tantivy.Query:
    clauses = [(Occur.Must, main if main is not None else Q.all_query())]
    # Filters must not change scores: constant zero.
    for f in filters:
        if f.kind == "not_terms":
            clauses.append((Occur.MustNot, any_term(schema, f.field, f.values)))
        else:
            clauses.append((Occur.Must, Q.const_score_query(filter_query(schema, f), 0.0)))
    return Q.boolean_query(clauses) if len(clauses) > 1 else clauses[0][1]


def sort_for(req: SearchRequest) -> tuple[str, tantivy.Order] | None:
    sort = req.sort
    if req.autocomplete or (sort == "relevance" and not req.text):
        sort = "bestselling"  # nothing to rank by: show what sells
    return SORT_FIELDS.get(sort)


def count_filters(agg: dict) -> dict[str, Filter] | None:
    """An Elasticsearch ``filters`` aggregation of term filters (and nothing nested), as the
    filters to count one by one: a count each is cheaper than an aggregation run. None for
    any other aggregation."""
    named = agg.get("filters", {}).get("filters") if set(agg) == {"filters"} else None
    if not isinstance(named, dict) or not all(set(q) == {"term"} and len(q["term"]) == 1 for q in named.values()):
        return None
    found = {}
    for key, clause in named.items():
        ((field, value),) = clause["term"].items()
        found[key] = Filter("_count", "term", field, (value,))
    return found
