"""Caches of what the engine answers most often, invalidated by an index "generation".

* **Browse listings**: a category landing page (or "all products") with no text and no
  filters, by sort and page — the same few queries for every shopper, with their facet
  counts. ``cached_browse_listing`` decorates ``search.services.search_products``.
* **Query results**: any other search (text, filters, sort) on its first pages, for a
  shorter TTL (``SEARCH_RESULTS_CACHE_SECONDS``): head queries ("t-shirt", "headphones")
  repeat all day and are answered from the cache; the long tail misses and costs one search.
* **Autocomplete of short prefixes** ("sh", "shi"…): what every shopper types first.
  ``cached_autocomplete`` decorates ``search.services.autocomplete``; short TTL. Its entries
  hold the versions in their value rather than in their key, so that one ``get_many`` reads
  the versions and the entry together: one cache round trip per suggestion request.

Invalidation: each key holds the generation, a number the outbox drain bumps after
every batch it wrote to the engine (``bump_listing_generation``, called by
``indexing.sync``) and a finished reindex bumps too. A bump makes every older entry
unreachable at once (they expire on their own TTL), so a change is on the listings as
soon as it is in the index. Except a batch of stock, units-sold and price changes only
(what orders and price updates write; ``indexing.outbox.LISTING_ONLY_FIELDS``), which
would otherwise empty the cache with every order: it bumps nothing and notes the time
(``note_listing_only_change``); an entry made before that time is served at most
``SEARCH_CACHE_STALE_SECONDS`` (30) after it was made, so such a change is on every listing
within that bound of reaching the index (each entry holds when it was made). The product
page, cart and checkout read those fields from the database. Entries made within
``SEARCH_CACHE_REFRESH_GRACE_SECONDS`` of a bump live only that long: Elasticsearch
shows a write after its refresh interval, and a search in between must not pin the
old result for the whole TTL.

Keys also hold the merchandising rules' version (facet curation and price ranges shape a
listing, synonyms and pins a query's results; a rule change bumps it): the version of the
rules this process searches with (``search.merchandising.rules.rules_version``, read from the
database every few seconds), never a number newer than the rules a result was made with, so
an entry made under older rules is never read once a process applies the new ones. Keys hold
the engine and the index alias too, so two indices (tests, a staging alias) never share
entries. Cart and checkout never read these: they read the database.
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Callable
from dataclasses import fields

from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import post_save
from django.dispatch import receiver

from ops.metrics import RESULTS_CACHE
from search.merchandising.rules import rules_version
from search.query.request import DEFAULT_PAGE_SIZE, SearchRequest
from store.caching import GENERATION_KEY, LISTING_ONLY_CHANGE_KEY, bump_listing_generation

# Fields of a SearchRequest that a cacheable browse request may set; any other must keep its default.
_BROWSE_FIELDS = {"category", "sort", "page", "page_size", "with_facets"}
# A shopper's search preference (which shard copies answer) does not change the results:
# never part of a key, so that every shopper shares the entries.
_NOT_IN_KEYS = {"preference"}
_REQUEST_DEFAULTS = {f.name: f.default for f in fields(SearchRequest) if f.name not in _NOT_IN_KEYS}


def _versions() -> tuple[int, int]:
    """(listing generation, merchandising rules version) in one cache round trip: the rules
    (facet curation, price ranges) shape a browse listing too."""
    return _versions_and(())[0]


def _versions_and(keys: tuple[str, ...]) -> tuple[tuple[int, int], dict]:
    """The versions and the cache entries of ``keys``, all in one cache round trip (the rules
    version is this process's, see the module's docstring). ``found`` also holds the time of
    the last listing-only change under LISTING_ONLY_CHANGE_KEY (see ``_fresh``)."""
    rules = rules_version()
    found = cache.get_many([GENERATION_KEY, LISTING_ONLY_CHANGE_KEY, *keys])
    if GENERATION_KEY not in found:
        # Never bumped yet: store the 0 this means (bumps incr it), so that later reads hit
        # and the hit ratio counts cached data, not absent counters.
        cache.add(GENERATION_KEY, 0, None)
    return (found.get(GENERATION_KEY) or 0, rules), found


def _now_ms() -> int:
    return int(time.time() * 1000)


def _fresh(made_ms: int, found: dict) -> bool:
    """Whether an entry made at ``made_ms`` (when its versions were read) may still be served: made
    after the last listing-only change, or younger than the staleness allowed for such changes."""
    stale = settings.SEARCH_CACHE_STALE_SECONDS
    changed = found.get(LISTING_ONLY_CHANGE_KEY) or 0
    return stale <= 0 or changed < made_ms or _now_ms() - made_ms < stale * 1000


def _entry_timeout(generation: int, ttl: int) -> int:
    """The TTL, or the refresh grace if the generation is younger than that (see the docstring)."""
    grace = settings.SEARCH_CACHE_REFRESH_GRACE_SECONDS
    age = time.time() - generation / 1000
    return min(ttl, max(1, int(grace))) if grace and age < grace else ttl


def _key(kind: str, versions: tuple[int, int], parts: tuple) -> str:
    engine = settings.SEARCH_ENGINE
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    generation, rules = versions
    return f"search:{kind}:{engine['BACKEND']}:{engine['INDEX_NAME']}:{generation}:{rules}:{digest}"


def _unversioned_key(kind: str, parts: tuple) -> str:
    """A key whose entry holds the versions it was made for (checked when read)."""
    engine = settings.SEARCH_ENGINE
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    return f"search:{kind}:{engine['BACKEND']}:{engine['INDEX_NAME']}:{digest}"


def is_browse_request(request: SearchRequest) -> bool:
    """No text, no filters, no merchandising: a category (or the whole catalog) as it is."""
    if request.page > settings.LISTING_CACHE_MAX_PAGE or request.page_size != DEFAULT_PAGE_SIZE:
        return False
    return all(
        getattr(request, name) == default
        for name, default in _REQUEST_DEFAULTS.items()
        if name not in _BROWSE_FIELDS
    )


# Set inside search_products (rules, pins), never by a caller: not part of a cache key.
_INTERNAL_FIELDS = ("tuning", "only_ids", "window")


def is_cacheable_query(request: SearchRequest) -> bool:
    """A shopper's search on its first pages, as it came from the URL."""
    return (request.page <= settings.LISTING_CACHE_MAX_PAGE
            and all(getattr(request, name) == _REQUEST_DEFAULTS[name] for name in _INTERNAL_FIELDS))


def cached_browse_listing(search: Callable) -> Callable:
    """Decorator of ``search_products``: browse listings and the first pages of queries
    are answered from the cache."""

    @functools.wraps(search)
    def wrapper(request: SearchRequest, *args, **kwargs):
        if args or kwargs:  # e.g. apply_rules=False (the admin preview): always the engine
            return search(request, *args, **kwargs)
        if is_browse_request(request):
            ttl, kind = settings.LISTING_CACHE_SECONDS, "browse"
            parts: tuple = (request.category, request.sort, request.page, request.with_facets)
        elif is_cacheable_query(request):
            ttl, kind = settings.SEARCH_RESULTS_CACHE_SECONDS, "query"
            parts = tuple(getattr(request, name) for name in _REQUEST_DEFAULTS if name not in _INTERNAL_FIELDS)
        else:
            ttl = 0
        if not ttl:
            return search(request)
        made = _now_ms()
        versions, found = _versions_and(())  # read before searching: a bump during the search wins
        key = _key(kind, versions, parts)
        entry = cache.get(key)
        usable = isinstance(entry, tuple) and len(entry) == 2
        if usable and _fresh(entry[0], found):
            RESULTS_CACHE.labels(kind, "hit").inc()
            return entry[1]
        RESULTS_CACHE.labels(kind, "stale" if usable else "miss").inc()
        result = search(request)
        cache.set(key, (made, result), _entry_timeout(versions[0], ttl))
        return result

    return wrapper


def cached_autocomplete(suggest: Callable) -> Callable:
    """Decorator of ``autocomplete``: short prefixes (the popular ones) from the cache."""

    @functools.wraps(suggest)
    def wrapper(text: str, *args, **kwargs):
        ttl = settings.AUTOCOMPLETE_CACHE_SECONDS
        normalized = " ".join(str(text).split())[:100]
        if not ttl or not normalized or len(normalized) > settings.AUTOCOMPLETE_CACHE_MAX_CHARS:
            return suggest(text, *args, **kwargs)
        key = _unversioned_key("suggest", (normalized, args, tuple(sorted(kwargs.items()))))
        # Read before suggesting, with the versions: a bump during the search wins.
        made = _now_ms()
        versions, found = _versions_and((key,))
        entry: tuple = found.get(key) or ()
        # An entry made for older versions is as good as absent (a bump makes it stale at once).
        usable = isinstance(entry, tuple) and len(entry) == 3 and entry[0] == versions
        if usable and _fresh(entry[1], found):
            RESULTS_CACHE.labels("suggest", "hit").inc()
            return entry[2]
        RESULTS_CACHE.labels("suggest", "stale" if usable else "miss").inc()
        suggestions = suggest(text, *args, **kwargs)
        cache.set(key, (versions, made, suggestions), _entry_timeout(versions[0], ttl))
        return suggestions

    return wrapper


def browse_fragment_key(request: SearchRequest | None, params) -> str | None:
    """The cache key of a browse listing's *rendered* HTML, or None when it must not be cached:
    not a browse request, or GET parameters other than sort and page (the links keep every
    parameter, and arbitrary ones would make arbitrarily many entries)."""
    if request is None or not settings.LISTING_CACHE_SECONDS or not is_browse_request(request):
        return None
    if not set(params) <= {"sort", "page"}:
        return None
    parts = (request.category, request.sort, request.page, request.with_facets)
    return _key("browse-html", _versions(), parts)


@receiver(post_save, sender="indexing.ReindexRun", dispatch_uid="search.result_cache.reindex_finished")
def reindex_finished(sender, instance, **kwargs) -> None:
    """A reindex switched to a new index (which may differ from the old one: that is why one
    reindexes): nothing cached from the old one may be served."""
    if instance.status == "succeeded":
        bump_listing_generation()
