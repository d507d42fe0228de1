"""The shop's own vocabulary, what a shopper's unknown word may be expanded to.

Built from the catalog (PostgreSQL is the truth) by ``refresh_vocabulary`` — after
``manage.py reindex``, by the beat task ``indexing.tasks.refresh_semantic_vocabulary`` and by
``manage.py refresh_semantic_vocabulary`` — and embedded in batches, through the embedding cache
(``Embedding``, by a hash of the text): a refresh embeds only the terms it has not seen.

Two kinds of terms:
- the product-type nouns of the names: the 1-3 word runs of product names that name products of
  one category (at least COHERENCE of the products whose names hold them are in it), held by at
  least MIN_PRODUCTS products, without brand words, attribute values or digits, and not only ever
  part of a longer such run ("frying pan", never "frying" alone);
- the names of the categories below the top level ("Sweaters & Hoodies": "sweaters", "hoodies");
  top-level names ("Clothing") are too broad to stand for a product type.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Max

from search.query.stopwords import is_stopword
from search.query.text import query_words
from store.caching import bump_listing_generation
from store.models import AttributeDefinition, Category, Product

from . import embedder
from .models import Embedding, VocabularyTerm

logger = logging.getLogger(__name__)

MIN_PRODUCTS = 3
COHERENCE = 0.8
MAX_WORDS = 3
# A shorter run that is part of a longer kept run in at least this share of its products is
# only ever that longer run's part.
SUBSUMED = 0.9
CHECK_SECONDS = 5.0
DIGEST_CHUNK = 1000


@dataclass(frozen=True)
class Term:
    term: str  # as embedded: lowercase, as the catalog writes it ("t-shirt")
    category_path: str
    product_count: int


def _category_parts(name: str) -> list[str]:
    parts = name.lower().replace("&", ",").replace(" and ", ",").split(",")
    return [p.strip() for p in parts if p.strip()]


def catalog_terms() -> list[Term]:
    """The vocabulary as the catalog holds it now (see the module's docstring)."""
    categories = {c.pk: c for c in Category.objects.all()}
    # Brand words, attribute values and labels ("size") name no product type.
    excluded = {w for label in AttributeDefinition.objects.values_list("label", flat=True) for w in query_words(label)}
    runs: dict[str, Counter[int]] = defaultdict(Counter)  # run → category id → products
    shown: dict[str, str] = {}  # run (normalised) → as written
    per_category: Counter[int] = Counter()
    rows = Product.objects.visible().values_list("name", "category_id", "brand__name", "attributes")
    for name, category_id, brand, attributes in rows.iterator(chunk_size=2000):
        per_category[category_id] += 1
        excluded.update(query_words(brand or ""))
        for value in (attributes or {}).values():
            if isinstance(value, str):
                excluded.update(query_words(value))
        seen: set[str] = set()
        lowered = name.lower()
        for run, written in _runs(lowered):
            if run not in seen:
                seen.add(run)
                runs[run][category_id] += 1
                shown.setdefault(run, written)
    kept: dict[str, tuple[int, int]] = {}  # run → (category id, products)
    for run, by_category in runs.items():
        total = sum(by_category.values())
        category_id, count = by_category.most_common(1)[0]
        words = run.split()
        if (total >= MIN_PRODUCTS and count >= COHERENCE * total
                and not any(w in excluded or w.isdigit() or is_stopword(w) or len(w) < 3 for w in words)):
            kept[run] = (category_id, total)
    within: dict[str, int] = {}  # run → the products of the largest longer kept run holding it
    for longer, (_, total) in kept.items():
        words = longer.split()
        for i in range(len(words)):
            for j in range(i + 1, len(words) + 1):
                if j - i < len(words):
                    part = " ".join(words[i:j])
                    within[part] = max(within.get(part, 0), total)
    terms: dict[str, Term] = {}
    for run, (category_id, total) in kept.items():
        if within.get(run, 0) >= SUBSUMED * total:
            continue
        terms[run] = Term(shown[run], categories[category_id].slug_path, total)
    subtree: Counter[str] = Counter()
    for category_id, count in per_category.items():
        path = categories[category_id].slug_path.split("/")
        for end in range(1, len(path) + 1):
            subtree["/".join(path[:end])] += count
    for category in categories.values():
        if category.depth < 2 or not subtree[category.slug_path]:
            continue
        for part in _category_parts(category.name):
            key = " ".join(query_words(part))
            if key and key not in terms:
                terms[key] = Term(part, category.slug_path, subtree[category.slug_path])
    return sorted(terms.values(), key=lambda t: t.term)


def _runs(name: str):
    """(normalised run, as written) for the runs of 1..MAX_WORDS words of a lowercase name,
    never across its punctuation (a dash before a colour, a comma)."""
    for chunk in name.replace("–", ",").replace("—", ",").replace("(", ",").replace(")", ",").split(","):
        written = chunk.split()
        for i in range(len(written)):
            for n in range(1, MAX_WORDS + 1):
                if i + n <= len(written):
                    text = " ".join(written[i:i + n]).strip(".:;!?\"'")
                    key = " ".join(query_words(text))
                    if key and len(key.split()) == n:
                        yield key, text


@dataclass(frozen=True)
class RefreshReport:
    terms: int
    embedded: int  # new texts embedded now (the others came from the cache)
    changed: bool
    seconds: float


def refresh_vocabulary() -> RefreshReport:
    """Recompute the vocabulary from the catalog, embed what the cache lacks, and replace the
    stored terms when they changed (one transaction: readers see the old set or the new)."""
    started = time.monotonic()
    terms = catalog_terms()
    digests = {t.term: embedder.digest(t.term) for t in terms}
    known: set[str] = set()
    wanted = list(digests.values())
    for i in range(0, len(wanted), DIGEST_CHUNK):
        known.update(Embedding.objects.filter(digest__in=wanted[i:i + DIGEST_CHUNK]).values_list("digest", flat=True))
    missing = [t.term for t in terms if digests[t.term] not in known]
    if missing:
        vectors = embedder.embed(missing)
        Embedding.objects.bulk_create(
            [Embedding(digest=digests[text], vector=vector.astype("<f4").tobytes())
             for text, vector in zip(missing, vectors, strict=True)],
            ignore_conflicts=True, batch_size=500)
    wanted_rows = {(t.term, t.category_path, t.product_count, digests[t.term]) for t in terms}
    with transaction.atomic():
        stored = set(VocabularyTerm.objects.select_for_update().values_list(
            "term", "category_path", "product_count", "digest"))
        changed = stored != wanted_rows
        if changed:
            VocabularyTerm.objects.all().delete()
            VocabularyTerm.objects.bulk_create(
                [VocabularyTerm(term=t.term, category_path=t.category_path, product_count=t.product_count,
                                digest=digests[t.term]) for t in terms], batch_size=1000)
    if changed:
        forget_vocabulary()  # this process searches with the new terms at once; the others within CHECK_SECONDS
        bump_listing_generation()  # cached results made with the old terms are not served again
    report = RefreshReport(len(terms), len(missing), changed, time.monotonic() - started)
    logger.info("semantic vocabulary: %s terms, %s embedded, changed=%s, %.1fs", report.terms, report.embedded,
                report.changed, report.seconds)
    return report


STAMP_KEY = "search:semantic-vocabulary-catalog-stamp"


def catalog_stamp() -> str:
    """Changes whenever the vocabulary may: a product or category added, edited or removed."""
    products = Product.objects.aggregate(n=Count("id"), last=Max("updated_at"), top=Max("id"))
    categories = Category.objects.aggregate(n=Count("id"), top=Max("id"))
    return f"{products['n']}:{products['top']}:{products['last']}:{categories['n']}:{categories['top']}"


def refresh_if_catalog_changed() -> RefreshReport | None:
    """``refresh_vocabulary`` unless the catalog is as it was at the last refresh (the beat task's
    way: reading 50,000 names takes seconds, comparing the stamp a millisecond). Without the shared
    cache, always."""
    stamp = catalog_stamp()
    try:
        if cache.get(STAMP_KEY) == stamp:
            return None
    except Exception:  # noqa: BLE001 - the cache is an optimisation: refresh
        logger.warning("semantic vocabulary: the cache is unavailable; refreshing")
    report = refresh_vocabulary()
    try:
        cache.set(STAMP_KEY, stamp, None)
    except Exception:  # noqa: BLE001
        logger.warning("semantic vocabulary: could not record the catalog stamp")
    return report


@dataclass(frozen=True)
class Vocabulary:
    terms: tuple[str, ...]
    words: tuple[tuple[str, ...], ...]  # each term's query words: what the compilers match
    categories: tuple[str, ...]
    product_counts: tuple[int, ...]
    vectors: np.ndarray  # one unit row per term


_memo: dict = {"stamp": None, "checked": 0.0, "vocabulary": None}
_lock = threading.Lock()


def forget_vocabulary() -> None:
    with _lock:
        _memo.update(stamp=None, checked=0.0, vocabulary=None)


def current_vocabulary() -> Vocabulary | None:
    """The stored vocabulary as this process searches with it: reloaded when the rows changed
    (checked at most every CHECK_SECONDS, and only when a query needs it); None when empty."""
    now = time.monotonic()
    with _lock:
        if _memo["stamp"] is not None and now - _memo["checked"] < CHECK_SECONDS:
            return _memo["vocabulary"]
        counted = VocabularyTerm.objects.aggregate(n=Count("id"), last=Max("id"))
        stamp = (counted["n"], counted["last"])
        if stamp != _memo["stamp"]:
            _memo["vocabulary"] = _load() if stamp[0] else None
            _memo["stamp"] = stamp
        _memo["checked"] = now
        return _memo["vocabulary"]


def _load() -> Vocabulary | None:
    rows = list(VocabularyTerm.objects.order_by("term").values_list("term", "category_path", "product_count",
                                                                    "digest"))
    vectors: dict[str, bytes] = {}
    wanted = [r[3] for r in rows]
    for i in range(0, len(wanted), DIGEST_CHUNK):
        vectors.update(Embedding.objects.filter(digest__in=wanted[i:i + DIGEST_CHUNK]).values_list("digest", "vector"))
    rows = [r for r in rows if r[3] in vectors]
    if not rows:
        return None
    matrix = np.stack([np.frombuffer(bytes(vectors[r[3]]), dtype="<f4") for r in rows]).astype(np.float32)
    return Vocabulary(terms=tuple(r[0] for r in rows), words=tuple(tuple(query_words(r[0])) for r in rows),
                      categories=tuple(r[1] for r in rows), product_counts=tuple(r[2] for r in rows),
                      vectors=matrix)
