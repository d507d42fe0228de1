"""What views call: run a validated request on the configured engine, with no dead ends."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace

from ops.metrics import observed_search
from search.analytics.recorder import popular_queries
from search.backends import SearchBackend, get_backend
from search.merchandising.rules import price_choice, resolve
from search.query.ranking import DEFAULT_FIELD_WEIGHTS
from search.query.request import SearchRequest
from search.query.result import FacetValue, SearchHit, SearchResult
from search.query.text import fuzziness, query_words
from search.result_cache import cached_autocomplete, cached_browse_listing
from search.results import assemble_result

AUTOCOMPLETE_MIN_CHARS = 2
AUTOCOMPLETE_PRODUCTS = 6
AUTOCOMPLETE_QUERIES = 4


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
        resolution = resolve(request.text)
        if resolution.redirect:
            return SearchResult(request=request, total=0, hits=[], redirect=resolution.redirect)
        request = replace(request, tuning=resolution.tuning)
    request = with_known_words(backend, request)
    if resolution is not None and resolution.pinned_ids:
        return _search_with_pins(backend, request, resolution.pinned_ids)
    result = _run(backend, request)
    if result.total or not request.text or request.autocomplete:
        return result
    words = query_words(request.text)
    relaxed = _run(backend, replace(request, match_any=True)) if len(words) > 1 else result
    if relaxed.total:
        relaxed.relaxed = True
        relaxed.suggestion = did_you_mean(words, relaxed.hits)
        return relaxed
    # Nothing matches even loosely: suggest from popular products sharing the first letters.
    nearby = None
    if words and len(words[0]) >= 3:
        nearby = _run(backend, SearchRequest(text=words[0][:2], autocomplete=True, page_size=50, with_facets=False))
    if nearby and nearby.hits:
        result.suggestion = did_you_mean(words, nearby.hits)
    return result


def with_known_words(backend: SearchBackend, request: SearchRequest) -> SearchRequest:
    """The request with the words the index knows, which the compilers never typo-expand: a
    shopper who typed a word the shop uses meant that word, not its neighbours ("shorts" is
    not "shirts", "sofa" not "soft"). Only words long enough to have a typo budget are asked."""
    if not request.text or request.autocomplete:
        return request
    tuning = request.tuning
    groups = tuning.word_groups if tuning and tuning.word_groups else tuple(((w,),) for w in query_words(request.text))
    words = {w for group in groups for alternative in group for w in alternative if fuzziness(w)}
    if not words:
        return request
    weights = tuning.field_weights if tuning else tuple(DEFAULT_FIELD_WEIGHTS.items())
    known = backend.known_words(sorted(words), [field for field, weight in weights if weight])
    return replace(request, known_words=known) if known else request


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
