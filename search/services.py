"""What views call: run a validated request on the configured engine, with no dead ends."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace

from ops.metrics import observed_search
from search.analytics.recorder import popular_queries
from search.backends import SearchBackend, get_backend
from search.merchandising.rules import price_choice, resolve
from search.query.ranking import DEFAULT_FIELD_WEIGHTS, NO_TYPOS
from search.query.request import SearchRequest
from search.query.result import FacetValue, SearchHit, SearchResult
from search.query.stopwords import is_stopword
from search.query.text import query_words
from search.result_cache import cached_autocomplete, cached_browse_listing
from search.results import assemble_result
from search.semantic.expansion import with_semantic_expansion

AUTOCOMPLETE_MIN_CHARS = 2
AUTOCOMPLETE_PRODUCTS = 6
AUTOCOMPLETE_QUERIES = 4
# The words that name product types: those of the category names (and their parents').
TYPE_WORD_FIELDS = ("category_text",)

def _run(backend: SearchBackend, request: SearchRequest) -> SearchResult:
    """One engine search, made into what pages show (facets labelled and curated)."""
    return assemble_result(request, backend.search(request))


@observed_search  # latency and zero-result rate (ops.metrics)
@cached_browse_listing  # category landing pages from the cache (search.result_cache)
def search_products(request: SearchRequest, *, apply_rules: bool = True) -> SearchResult:
    """Search with the merchandising rules (redirects, synonyms, boosts, pins and
    hides); on zero results, relax the query and suggest a spelling."""
    backend = get_backend()
    request = with_price_bucketing(request)
    resolution = None
    if apply_rules and request.text and not request.autocomplete:
        resolution = resolve(request.text, variant=request.variant)
        if resolution.redirect:
            return SearchResult(request=request, total=0, hits=[], redirect=resolution.redirect)
        request = replace(request, tuning=resolution.tuning)
    request = with_optional_stopwords(with_known_words(backend, request))
    if request.exact and request.text:  # the text as typed: no typo, no correction
        request = replace(request, typo_tolerance=NO_TYPOS)
    request = with_semantic_expansion(request)  # the shop's terms for words its index does not know
    if resolution is not None and resolution.pinned_ids:
        return _search_with_pins(backend, request, resolution.pinned_ids)
    result = _run(backend, request)
    if not request.text or request.autocomplete:
        return result
    if result.total:
        return with_more_after(backend, request, with_typo_notice(backend, request, result))
    return _fall_back(backend, request, result)


def typo_only_words(request: SearchRequest) -> tuple[str, ...]:
    """The required typed words the index does not know that have a typo budget: every product
    the request finds matched each of them with typos only."""
    typos = request.typos
    if not typos.fields:
        return ()
    return tuple(w for w in content_words(request) if w not in request.known_words and typos.budget(w))


def with_typo_notice(backend: SearchBackend, request: SearchRequest, result: SearchResult) -> SearchResult:
    """Results that matched a word only through typos say so, as a corrected fallback does: "Showing
    results for" the text with each such word's correction (the index's closest, most frequent word)
    and a link to the text as typed (``exact``). A word without a correction stays as typed."""
    words = typo_only_words(request)
    if not words:
        return result
    result.typo_words = words
    corrections = backend.corrections(words, request.typos)
    if corrections:
        result.corrected_text = " ".join(corrections.get(w, w) for w in query_words(request.text))
    return result


def content_words(request: SearchRequest) -> list[str]:
    """The required words typed as such (a position without synonyms), in order, once each."""
    return list(dict.fromkeys(group[0][0] for group in request.word_groups()
                              if len(group) == 1 and len(group[0]) == 1 and group[0][0] not in request.optional_words))


def with_optional_stopwords(request: SearchRequest) -> SearchRequest:
    """Stopwords ("for", "the", the "s" of "kid's") may match and score but never exclude."""
    if not request.text or request.autocomplete:
        return request
    stopwords = {w for group in request.word_groups() for alt in group for w in alt if is_stopword(w)}
    return replace(request, optional_words=request.optional_words | stopwords) if stopwords else request


def with_more_after(backend: SearchBackend, request: SearchRequest, result: SearchResult) -> SearchResult:
    """When the products matching every word do not fill a page (an exact product name, a colour
    and a type), the other products of the type the query names follow them: only its product-type
    words stay required, the others rank those matching more of them first."""
    if result.total >= request.page_size or request.sort != "relevance":
        return result
    words = content_words(request)
    if len(words) < 2:
        return result
    types = naming_types(backend, request, words)
    others = frozenset(w for w in words if w not in types)
    if not types or not others:
        return result
    more = _run(backend, replace(request, optional_words=request.optional_words | others))
    if more.total <= result.total:
        return result
    more.all_words_total = result.total
    more.corrected_text, more.request, more.typo_words = result.corrected_text, result.request, result.typo_words
    return more


def _fall_back(backend: SearchBackend, request: SearchRequest, result: SearchResult) -> SearchResult:
    """No product matches every word. In turn: correct the words the index does not know (never
    with ``exact``); answer that the shop does not carry what a word it knows nothing of names,
    when no other word names a product type; stop requiring words, one at a time (unknown words,
    then those naming no product type, then the types, each from the last typed) until some
    product matches; else suggest a spelling from popular products."""
    original = request
    words = content_words(request)
    unknown = [w for w in words if w not in request.known_words]
    corrections = backend.corrections(unknown, request.typos) if unknown and not request.exact else {}
    corrected_text = None
    if corrections:
        request = with_corrections(request, corrections)
        corrected_text = request.text
        found = _run(backend, request)
        if found.total:
            found.request, found.corrected_text = original, corrected_text
            found.typo_words = tuple(w for w in unknown if w in corrections)
            return with_more_after(backend, request, found)
        words = [corrections.get(w, w) for w in words]
    unknowable = [w for w in unknown if w not in corrections]
    types = naming_types(backend, request, words) if words else frozenset()
    if unknowable and not types & (set(words) - set(unknowable)):
        result.not_carried = tuple(unknowable)
        return _with_nearby_suggestion(backend, result)
    known_others = [w for w in words if w not in unknowable and w not in types]
    order = [*reversed(unknowable), *reversed(known_others), *(w for w in reversed(words) if w in types)]
    dropped: set[str] = set()
    for word in order[:-1]:  # one word stays required
        dropped.add(word)
        found = _run(backend, replace(request, optional_words=request.optional_words | dropped))
        if found.total:
            found.request, found.corrected_text, found.relaxed = original, corrected_text, True
            found.ignored_words = tuple(w for w in words if w in dropped)
            return found
    return _with_nearby_suggestion(backend, result)


def with_corrections(request: SearchRequest, corrections: dict[str, str]) -> SearchRequest:
    """The request with each corrected word replaced (in the text and the rules' word groups);
    a correction is a word the index knows, never typo-expanded."""
    text = " ".join(corrections.get(w, w) for w in query_words(request.text))
    tuning = request.tuning
    if tuning and tuning.word_groups:
        groups = tuple(tuple(tuple(corrections.get(w, w) for w in alt) for alt in group)
                       for group in tuning.word_groups)
        tuning = replace(tuning, word_groups=groups)
    return replace(request, text=text, tuning=tuning, known_words=request.known_words | frozenset(corrections.values()))


def _with_nearby_suggestion(backend: SearchBackend, result: SearchResult) -> SearchResult:
    """Nothing matches even loosely: suggest from popular products sharing the first letters."""
    words = query_words(result.request.text)
    if words and len(words[0]) >= 3:
        nearby = _run(backend, SearchRequest(text=words[0][:2], autocomplete=True, page_size=50, with_facets=False))
        if nearby.hits:
            result.suggestion = did_you_mean(words, nearby.hits)
    return result


def with_known_words(backend: SearchBackend, request: SearchRequest) -> SearchRequest:
    """The request with the words the index knows, which the compilers never typo-expand: a
    shopper who typed a word the shop uses meant that word, not its neighbours ("shorts" is
    not "shirts", "sofa" not "soft"). Every word is asked: the fallbacks tell known words from
    unknown ones; in the same lookup, which words name a product type (the fallbacks' next question)."""
    if not request.text or request.autocomplete:
        return request
    tuning = request.tuning
    words = {w for group in request.word_groups() for alternative in group for w in alternative}
    if not words:
        return request
    weights = tuning.field_weights if tuning else tuple(DEFAULT_FIELD_WEIGHTS.items())
    found = backend.known_words_in(sorted(words), {"known": [field for field, weight in weights if weight],
                                                   "types": TYPE_WORD_FIELDS})
    return replace(request, known_words=found["known"], looked_up=frozenset(words), type_words=found["types"])


def naming_types(backend: SearchBackend, request: SearchRequest, words: list[str]) -> frozenset[str]:
    """The words among ``words`` that name a product type: as with_known_words found them, and
    asked now only for words it did not look up (a correction's)."""
    rest = [w for w in words if w not in request.looked_up]
    found = request.type_words & frozenset(words)
    return found | backend.known_words(rest, TYPE_WORD_FIELDS) if rest else found


def with_price_bucketing(request: SearchRequest) -> SearchRequest:
    """The price ranges the category (or its nearest ancestor) asks for: a display
    choice read at query time, applied with or without the ranking rules."""
    if not request.with_facets or request.autocomplete or not request.category:
        return request
    choice = price_choice(request.category)
    if choice is None or choice.mode == "auto":
        return request
    if choice.mode == "fixed" and choice.step:
        return replace(request, price_step=float(choice.step))
    if choice.mode == "equal_count":
        return replace(request, price_equal_ranges=choice.range_count)
    return request


def _search_with_pins(backend, request: SearchRequest, pinned_ids: tuple[int, ...]) -> SearchResult:
    """Pinned products that pass the filters come first, in the merchandiser's
    order; the organic results follow without them."""
    pinned_ids = pinned_ids[: request.page_size]
    found = _run(backend, replace(request, text="", tuning=None, only_ids=pinned_ids, page=1,
                                   window=(0, len(pinned_ids)), with_facets=False))
    by_id = {hit.id: hit for hit in found.hits}
    pinned = [by_id[pid] for pid in pinned_ids if pid in by_id]
    for hit in pinned:
        hit.pinned = True
    shift = len(pinned)
    start = request.offset
    window = (0, request.page_size - shift) if request.page == 1 else (start - shift, request.page_size)
    assert request.tuning is not None  # search_products set the rules' tuning before the pins
    tuning = replace(request.tuning, excluded_ids=tuple({*request.tuning.excluded_ids, *pinned_ids}))
    result = _run(backend, replace(request, tuning=tuning, window=window))
    result.request = request
    result.hits = (pinned if request.page == 1 else []) + result.hits
    result.total += shift
    return result


def did_you_mean(words: list[str], hits: list[SearchHit]) -> str | None:
    """Replace each query word with the closest word of the found names, if any."""
    vocabulary = sorted({w for hit in hits for w in query_words(f"{hit.name} {hit.brand}") if len(w) > 2})
    corrected = []
    for word in words:
        close = difflib.get_close_matches(word, vocabulary, n=1, cutoff=0.7)
        corrected.append(close[0] if close else word)
    suggestion = " ".join(corrected)
    return suggestion if corrected != words else None


@dataclass
class Suggestions:
    text: str
    products: list[SearchHit] = field(default_factory=list)
    categories: list[FacetValue] = field(default_factory=list)
    brands: list[FacetValue] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.products or self.categories or self.brands or self.queries)


@observed_search
@cached_autocomplete  # short prefixes from the cache
def autocomplete(text: str, limit: int = AUTOCOMPLETE_PRODUCTS) -> Suggestions:
    """Products, categories and brands for what the shopper has typed so far (falls
    back to the typo-tolerant search when no word starts that way), and the popular
    queries of the last 30 days that start that way (search.analytics.recorder)."""
    text = " ".join(text.split())[:100]
    suggestions = Suggestions(text=text)
    if len(text) < AUTOCOMPLETE_MIN_CHARS:
        return suggestions
    backend = get_backend()
    result = _run(backend, SearchRequest(text=text, autocomplete=True, page_size=limit))
    if not result.total:
        result = _run(backend, SearchRequest(text=text, page_size=limit, with_facets=False))
    suggestions.products = result.hits
    facets = {f.name: f.values for f in result.facets}
    suggestions.categories = facets.get("category", [])[:4]
    suggestions.brands = facets.get("brand", [])[:4]
    suggestions.queries = popular_queries(text, AUTOCOMPLETE_QUERIES)
    return suggestions
