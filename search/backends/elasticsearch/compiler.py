"""Compile a SearchRequest into an Elasticsearch request body."""

from __future__ import annotations

from collections.abc import Mapping

from search.documents import PREFIX_MAX_CHARS
from search.facets import AggregationPlan, aggregation_plan
from search.query import related
from search.query.filters import Filter, filters_without
from search.query.ranking import (
    DEFAULT_FIELD_WEIGHTS,
    DEFAULT_TYPOS,
    FEWER_TYPOS_BOOST,
    IN_STOCK_BOOST,
    OPTIONAL_WORD_BOOST,
    PHRASE_BOOST,
    PHRASE_SLOP,
    POPULAR_BOOST,
    POPULAR_SALES,
    SKU_EXACT_BOOST,
    SKU_PREFIX_BOOST,
    SKU_PREFIX_MIN_CHARS,
    TYPO_PREFIX_LENGTH,
    TypoTolerance,
)
from search.query.request import SearchRequest
from search.query.text import query_words

from .mapping import WORDS_SUBFIELD

SORT_FIELDS = {
    "price_asc": [{"sort_price_asc": "asc"}],
    "price_desc": [{"sort_price_desc": "desc"}],
    "newest": [{"sort_newest": "desc"}],
    "rating": [{"sort_rating": "desc"}],
    "bestselling": [{"sort_bestselling": "desc"}],
}


def words_field(field: str) -> str:
    """The unstemmed sub-field of a typo-tolerant field (search.query.ranking.FUZZY_FIELDS)."""
    return f"{field}.{WORDS_SUBFIELD}"


def typo_match(field: str, word: str, distance: int, boost: float = 1.0) -> dict:
    """The words as written of ``field`` within ``distance`` typos of the typed ``word`` (already
    lower-case and folded: search.query.text.query_words), a swap costing one, the first letter kept."""
    return {"fuzzy": {words_field(field): {"value": word, "fuzziness": distance, "prefix_length": TYPO_PREFIX_LENGTH,
                                           "transpositions": True, "boost": boost}}}


def word_clause(word: str, weights: Mapping[str, float], known: frozenset[str] = frozenset(),
                typos: TypoTolerance = DEFAULT_TYPOS) -> dict:
    """One query word in any text field, exactly (its stem) or (on the typo fields) with typos
    counted on the words as written."""
    clauses = [{"match": {f: {"query": word, "boost": w}}} for f, w in weights.items() if w]
    distance = 0 if word in known else typos.budget(word)  # a word the index knows is what was meant
    if distance:
        clauses += [typo_match(f, word, distance, w) for f, w in typos.fields.items()]
    return {"bool": {"should": clauses, "minimum_should_match": 1}}


def alternatives_for(group: tuple[tuple[str, ...], ...], weights: Mapping[str, float],
                     known: frozenset[str] = frozenset(), typos: TypoTolerance = DEFAULT_TYPOS,
                     tuning=None) -> list[dict]:
    """A query position and its synonyms: any alternative matches; a multi-word one needs all its words
    (each word with its field weights, scaled where the rules weigh it: semantic matching's terms)."""
    def clause(w: str) -> dict:
        return word_clause(w, tuning.weights_for(w, weights) if tuning else weights, known, typos)

    return [clause(alt[0]) if len(alt) == 1 else {"bool": {"must": [clause(w) for w in alt]}} for alt in group]


def fewer_typos_clauses(req: SearchRequest) -> list[dict]:
    """Fewer typos first (search.query.ranking.FEWER_TYPOS_BOOST): for each typed word with a typo
    budget, a constant for the products it matches within each smaller number of typos."""
    typos, exact = req.typos, req.exact_words
    words = dict.fromkeys(w for group in req.word_groups() for alternative in group for w in alternative)
    return [{"constant_score": {"filter": {"bool": {"should": [typo_match(f, word, fewer) for f in typos.fields],
                                                    "minimum_should_match": 1}},
                                "boost": FEWER_TYPOS_BOOST}}
            for word in words if typos.fields
            for fewer in range(0 if word in exact else typos.budget(word))]


def apply_boosts(query: dict, boosts) -> dict:
    """Multiply the score of the products a rule targets by its factor (same structure as tantivy's)."""
    for boost in boosts:
        target = filter_clause(boost.filter)
        query = {"bool": {"should": [
            {"bool": {"must": [query, target], "boost": boost.factor}},
            {"bool": {"must": [query], "must_not": [target]}},
        ], "minimum_should_match": 1}}
    return query


def prefix_query(text: str) -> dict | None:
    """As-you-type: every word is a prefix of some word of the name or brand."""
    words = query_words(text)
    if not words:
        return None
    return {"bool": {"filter": [{"term": {"prefixes": w[:PREFIX_MAX_CHARS]}} for w in words]}}


def text_query(req: SearchRequest) -> dict | None:
    if req.autocomplete:
        return prefix_query(req.text)
    text = req.text
    words = query_words(text)
    lowered = text.strip().lower()
    alternatives: list[dict] = []
    if words:
        weights = dict(req.tuning.field_weights) if req.tuning else DEFAULT_FIELD_WEIGHTS
        groups, exact_words = req.word_groups(), req.exact_words
        per_word = [{"bool": {"should": alternatives_for(group, weights, exact_words, req.typos, req.tuning),
                              "minimum_should_match": 1}} for group in groups]
        optional = [req.is_optional(group) for group in groups]
        if all(optional):  # as tantivy's compiler: with every position optional, each is required
            optional = [False] * len(groups)
        required = [q for q, is_optional in zip(per_word, optional, strict=True) if not is_optional]
        # An optional position matches and scores (its text score and OPTIONAL_WORD_BOOST, so more
        # words matched rank higher) but never excludes.
        scored = [clause for q, is_optional in zip(per_word, optional, strict=True) if is_optional
                  for clause in (q, {"constant_score": {"filter": q, "boost": OPTIONAL_WORD_BOOST}})]
        words_query: dict = ({"bool": {"should": required, "minimum_should_match": 1}} if req.match_any
                             else {"bool": {"must": required}})
        if scored:
            words_query["bool"]["should"] = [*words_query["bool"].get("should", []), *scored]
            if req.match_any:  # the optional positions may not count towards "any word"
                words_query = {"bool": {"must": [{"bool": {"should": required, "minimum_should_match": 1}}],
                                        "should": scored}}
        alternatives.append(words_query)
    if lowered:
        alternatives.append({"term": {"sku_lower": {"value": lowered, "boost": SKU_EXACT_BOOST}}})
        if len(lowered) >= SKU_PREFIX_MIN_CHARS:
            alternatives.append({"constant_score": {"filter": {"prefix": {"sku_lower": lowered}},
                                                    "boost": SKU_PREFIX_BOOST}})
        if lowered.isdigit() and len(lowered) < 12:
            alternatives.append({"term": {"id": {"value": int(lowered), "boost": SKU_EXACT_BOOST}}})
    if not alternatives:
        return None
    should: list[dict] = []
    if len(words) >= 2:
        should.append({"match_phrase": {"name": {"query": " ".join(words), "slop": PHRASE_SLOP,
                                                 "boost": PHRASE_BOOST}}})
    query: dict = {"bool": {"must": [{"bool": {"should": alternatives, "minimum_should_match": 1}}]}}
    if should:
        query["bool"]["should"] = should
    if req.tuning and req.tuning.boosts and req.sort == "relevance":
        query = apply_boosts(query, req.tuning.boosts)
    # Fewer typos first, outside the rules' factors (as on tantivy).
    fewer_typos = fewer_typos_clauses(req) if words and req.sort == "relevance" else []
    # The business signals are added after the rules' factors, as tantivy's re-rank adds them
    # (search.query.ranking). Here over every match: a rescore window would be tantivy's
    # RERANK_DEPTH, but Elasticsearch refuses rescore beside our [_score, id] sort.
    return {"bool": {"must": [query], "should": [
        {"constant_score": {"filter": {"term": {"in_stock": True}}, "boost": IN_STOCK_BOOST}},
        {"constant_score": {"filter": {"range": {"popularity": {"gte": POPULAR_SALES}}}, "boost": POPULAR_BOOST}},
        *fewer_typos,
    ]}}


def filter_clause(f: Filter) -> dict:
    if f.kind == "term":
        return {"term": {f.field: f.values[0]}}
    if f.kind == "terms":
        return {"terms": {f.field: list(f.values)}}
    if f.kind == "not_terms":
        return {"bool": {"must_not": [{"terms": {f.field: list(f.values)}}]}}
    if f.kind in ("range", "int_range"):
        bounds = {k: v for k, v in (("gte", f.gte), ("lte", f.lte)) if v is not None}
        return {"range": {f.field: bounds}}
    raise ValueError(f"unknown filter kind {f.kind}")


def bool_filter(filters: list[Filter]) -> dict:
    return {"bool": {"filter": [filter_clause(f) for f in filters]}}


DISPLAY_SOURCE = ["id", "name", "slug", "sku", "brand", "price", "currency", "compare_at_price", "in_stock",
                  "rating", "rating_count", "image_url"]


def more_like_this_body(product_id: int, like: Mapping[str, str], limit: int) -> dict | None:
    """Elasticsearch's ``more_like_this`` over the product's words (an artificial document: the
    words given, analysed by each field's analyser), in stock, without the product."""
    doc = {name: text for name, text in like.items() if name in related.LIKE_FIELDS and text.strip()}
    if not doc:
        return None
    similar = {"more_like_this": {
        "fields": list(doc), "like": [{"doc": doc}], "min_term_freq": related.MIN_TERM_FREQUENCY,
        "min_doc_freq": related.MIN_DOC_FREQUENCY, "max_query_terms": related.MAX_QUERY_TERMS,
        "min_word_length": related.MIN_WORD_LENGTH}}
    wanted = [filter_clause(f) for f in related.related_filters(product_id)]
    return {"size": limit, "_source": DISPLAY_SOURCE, "track_total_hits": False,
            "query": {"bool": {"must": [similar], "filter": wanted}}}


def search_body(req: SearchRequest, filters: list[Filter]) -> dict:
    """Hits under every filter (post_filter); each facet under every filter but its own."""
    main = text_query(req) if req.text else None
    body: dict = {
        "query": main or {"match_all": {}},
        "from": req.offset,
        "size": req.limit,
        "track_total_hits": True,
        "_source": DISPLAY_SOURCE,
    }
    if filters:
        body["post_filter"] = bool_filter(filters)
    sort = "bestselling" if req.autocomplete or (req.sort == "relevance" and not req.text) else req.sort
    body["sort"] = SORT_FIELDS.get(sort, ["_score", {"id": "asc"}])
    if req.with_facets:
        body["aggs"] = {
            f"group{i}": {"filter": bool_filter(filters_without(filters, group)), "aggs": aggs}
            for i, (group, aggs) in enumerate(aggregation_plan(req))
        }
    return body


def aggregations_body(req: SearchRequest, filters: list[Filter], plan: AggregationPlan) -> dict:
    """A second request for the aggregations that needed the first one's results."""
    main = text_query(req) if req.text else None
    return {
        "query": main or {"match_all": {}},
        "size": 0,
        "aggs": {f"group{i}": {"filter": bool_filter(filters_without(filters, group)), "aggs": aggs}
                 for i, (group, aggs) in enumerate(plan)},
    }


def unwrap_aggregations(aggregations: dict) -> dict:
    """Flatten our filter-wrapped groups back to facet name → aggregation result."""
    raw: dict = {}
    for group in aggregations.values():
        raw.update({k: v for k, v in group.items() if isinstance(v, dict)})
    return raw
