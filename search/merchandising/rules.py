"""Resolve the merchandising rules that apply to one query into a ``Tuning``.

The compiled rules are cached per process and reloaded when a save bumps the rules
version in the database (search.merchandising.version, read at most every
RULES_CHECK_SECONDS), so a saved rule is live within seconds in every process of every
mode, without a reindex.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import DatabaseError
from django.utils import timezone

from search.documents import EPOCH, ID_SPACE
from search.merchandising.experiments import Experiment, ExperimentVariant
from search.merchandising.models import (
    BoostRule,
    FacetSetting,
    FieldWeights,
    PinRule,
    PriceBucketing,
    Redirect,
    SemanticSettings,
    SynonymSet,
    TypoSettings,
)
from search.merchandising.validators import normalise_query, words_of
from search.merchandising.version import local_changes, read_rules_version
from search.query.filters import RULES_GROUP, Filter
from search.query.ranking import DEFAULT_TYPOS, TypoTolerance
from search.query.text import query_words
from search.query.tuning import DEFAULT_WEIGHTS, Boost, Tuning

logger = logging.getLogger(__name__)

RULES_CHECK_SECONDS = 2.0
# The version the processes last read, in the shared cache: only for a process that has not
# read the rules yet while the database is down (a worker just started), so that the results
# the others cached under it can still be served. Never what decides a reload.
SEEN_VERSION_KEY = "search:rules-version-seen"


@dataclass
class Window:
    starts_at: datetime | None
    ends_at: datetime | None

    def live(self, now: datetime) -> bool:
        return (self.starts_at is None or self.starts_at <= now) and (self.ends_at is None or now < self.ends_at)


@dataclass
class CompiledRules:
    synonyms: list[tuple[Window, str, tuple[str, ...], list[tuple[str, ...]]]] = field(default_factory=list)
    boosts: list[tuple[Window, BoostRule]] = field(default_factory=list)
    pins: dict[str, list[tuple[Window, list[int], list[int]]]] = field(default_factory=dict)
    redirects: dict[str, list[tuple[Window, str]]] = field(default_factory=dict)
    weights: list[tuple[Window, tuple[tuple[str, float], ...]]] = field(default_factory=list)
    typos: list[tuple[Window, TypoTolerance]] = field(default_factory=list)
    # Semantic matching's (enabled, weight), newest first.
    semantic: list[tuple[Window, tuple[bool, float]]] = field(default_factory=list)
    # Facet curation by category slug path (search.models.FacetSetting / PriceBucketing).
    facet_settings: dict[str, list[FacetCuration]] = field(default_factory=dict)
    price_bucketing: dict[str, PriceChoice] = field(default_factory=dict)
    # A/B tests (search.merchandising.experiments): the rules of each variant of the drafts and
    # of the running experiment, by serving key ("12:b"); and the running one's (id, % in B).
    variants: dict[str, CompiledRules] = field(default_factory=dict)
    running_experiment: tuple[int, int] | None = None


@dataclass(frozen=True)
class FacetCuration:
    attribute: str  # an attribute code or a built-in facet's name (search.models.BUILT_IN_FACETS)
    label: str
    position: int | None  # None: the facet's usual place
    visible: bool


@dataclass(frozen=True)
class PriceChoice:
    mode: str  # auto, fixed or equal_count
    step: int | None = None
    range_count: int = 4


_memo: dict = {"version": None, "checked": 0.0, "rules": None, "local_changes": -1}
_lock = threading.Lock()


def forget_cached_rules() -> None:
    """Drop this process's copy (tests roll back rule rows without a save to bump the version)."""
    with _lock:
        _memo.update(version=None, checked=0.0, rules=None, local_changes=-1)


def current_rules() -> CompiledRules:
    return versioned_rules()[1]


def rules_version() -> int:
    """The version of the rules this process searches with now: what result caches key by,
    so that an entry is only ever read by a process applying the rules it was made with."""
    try:
        return versioned_rules()[0]
    except DatabaseError:
        seen = cache.get(SEEN_VERSION_KEY)  # see SEEN_VERSION_KEY
        if seen is None:
            raise
        return seen


def versioned_rules() -> tuple[int, CompiledRules]:
    """(version, rules), the version read from the database at most every RULES_CHECK_SECONDS,
    and at once after this process changed a rule. The version is read before the rows: a save
    committing in between makes the next check reload, never a new number paired with old rows."""
    now = time.monotonic()
    changes = local_changes()
    with _lock:
        if (_memo["rules"] is not None and now - _memo["checked"] < RULES_CHECK_SECONDS
                and _memo["local_changes"] == changes):
            return _memo["version"], _memo["rules"]
        _memo["local_changes"] = changes
        try:
            version = read_rules_version()
        except DatabaseError:
            if _memo["rules"] is None:
                raise
            # The database is unreachable: keep searching with the rules as last read.
            logger.warning("merchandising rules: cannot read the rules version; the rules as last read apply")
            _memo["checked"] = now
            return _memo["version"], _memo["rules"]
        if _memo["rules"] is None or version != _memo["version"]:
            _memo["rules"] = load_rules()
            _memo["version"] = version
            cache.set(SEEN_VERSION_KEY, version, None)
        _memo["checked"] = now
        return _memo["version"], _memo["rules"]


def _add_synonyms(rules: CompiledRules, sets) -> None:
    for s in sets:
        terms = [words_of(t) for t in s.term_list()]
        terms = [t for t in terms if t]
        if len(terms) < 2:
            continue
        window = Window(s.starts_at, s.ends_at)
        heads = terms if s.kind == SynonymSet.Kind.TWO_WAY else terms[:1]
        for head in heads:
            rules.synonyms.append((window, str(s), head, terms))


def _add_boosts(rules: CompiledRules, boosts) -> None:
    for b in boosts.select_related("brand", "category"):
        rules.boosts.append((Window(b.starts_at, b.ends_at), b))


def _add_pins(rules: CompiledRules, pin_rules) -> None:
    for p in pin_rules.prefetch_related("entries"):
        pins = [e.product_id for e in p.entries.all() if e.action == "pin"]
        hides = [e.product_id for e in p.entries.all() if e.action == "hide"]
        rules.pins.setdefault(p.query, []).append((Window(p.starts_at, p.ends_at), pins, hides))


def load_rules() -> CompiledRules:
    rules = CompiledRules()
    _add_synonyms(rules, SynonymSet.objects.filter(is_active=True))
    _add_boosts(rules, BoostRule.objects.filter(is_active=True))
    _add_pins(rules, PinRule.objects.filter(is_active=True))
    for r in Redirect.objects.filter(is_active=True):
        rules.redirects.setdefault(r.query, []).append((Window(r.starts_at, r.ends_at), r.url))
    for w in FieldWeights.objects.filter(is_active=True).order_by("-updated_at"):
        weights = (("name", float(w.name)), ("brand", float(w.brand)), ("category_text", float(w.category)),
                   ("attribute_text", float(w.attributes)), ("description", float(w.description)))
        rules.weights.append((Window(w.starts_at, w.ends_at), weights))
    for t in TypoSettings.objects.filter(is_active=True).order_by("-updated_at"):
        rules.typos.append((Window(t.starts_at, t.ends_at), t.tolerance()))
    for sem in SemanticSettings.objects.filter(is_active=True).order_by("-updated_at"):
        rules.semantic.append((Window(sem.starts_at, sem.ends_at), (sem.enabled, float(sem.weight))))
    for f in FacetSetting.objects.select_related("category").order_by("position", "attribute"):
        rules.facet_settings.setdefault(f.category.slug_path, []).append(
            FacetCuration(f.attribute, f.label, f.position, f.visible))
    for pb in PriceBucketing.objects.select_related("category"):
        rules.price_bucketing[pb.category.slug_path] = PriceChoice(pb.mode, pb.step, pb.range_count)
    _add_experiments(rules)
    return rules


def _add_experiments(rules: CompiledRules) -> None:
    """Each variant of the drafts and of the running experiment: the live rules plus its own
    (its rules even when switched off for everyone, its field weights first)."""
    served = (Experiment.Status.DRAFT, Experiment.Status.RUNNING)
    for variant in ExperimentVariant.objects.filter(experiment__status__in=served).select_related("experiment"):
        own = CompiledRules(
            synonyms=list(rules.synonyms), boosts=list(rules.boosts),
            pins={query: list(entries) for query, entries in rules.pins.items()}, redirects=rules.redirects,
            weights=list(rules.weights), typos=list(rules.typos), semantic=list(rules.semantic),
            facet_settings=rules.facet_settings, price_bucketing=rules.price_bucketing)
        _add_synonyms(own, variant.synonyms.filter(is_active=False))
        _add_boosts(own, variant.boosts.filter(is_active=False))
        _add_pins(own, variant.pins.filter(is_active=False))
        typos = variant.typo_tolerance(next((t for window, t in rules.typos if window.live(timezone.now())),
                                            DEFAULT_TYPOS))
        if typos is not None:
            own.typos.insert(0, (Window(None, None), typos))
        weights = variant.field_weights()
        if weights is not None:
            named = zip(("name", "brand", "category_text", "attribute_text", "description"), weights, strict=True)
            own.weights.insert(0, (Window(None, None), tuple((name, float(w)) for name, w in named)))
        rules.variants[variant.serving_key] = own
        if variant.experiment.status == Experiment.Status.RUNNING:
            rules.running_experiment = (variant.experiment_id, variant.experiment.b_percent)


def nearest_setting(settings_by_path: dict, category_path: str | None):
    """The setting of the category or of its nearest ancestor having one, else None."""
    if not category_path:
        return None
    parts = category_path.split("/")
    for end in range(len(parts), 0, -1):
        found = settings_by_path.get("/".join(parts[:end]))
        if found is not None:
            return found
    return None


def facet_curation(category_path: str | None) -> list[FacetCuration] | None:
    return nearest_setting(current_rules().facet_settings, category_path)


def price_choice(category_path: str | None) -> PriceChoice | None:
    return nearest_setting(current_rules().price_bucketing, category_path)


def boost_filter(rule, now: datetime) -> Filter:
    target = rule.target
    if target == "brand":
        return Filter(RULES_GROUP, "terms", "brand_slug", (rule.brand.slug,))
    if target == "category":
        return Filter(RULES_GROUP, "term", "category_paths", (rule.category.slug_path,))
    if target == "out_of_stock":
        return Filter(RULES_GROUP, "term", "in_stock", (False,))
    cutoff = now - timedelta(days=rule.new_within_days or 0)
    return Filter(RULES_GROUP, "int_range", "sort_newest", gte=max(0, int(cutoff.timestamp()) - EPOCH) * ID_SPACE)


def expand_synonyms(words: list[str], rules: CompiledRules, now: datetime):
    """Greedy longest match of synonym heads over the query words. Every live set whose head
    is that longest match adds its terms: a word in several sets finds what each of them says."""
    live = [(label, head, terms) for window, label, head, terms in rules.synonyms if window.live(now)]
    groups, applied, i = [], [], 0
    while i < len(words):
        matching = [(label, head, terms) for label, head, terms in live if tuple(words[i:i + len(head)]) == head]
        if matching:
            longest = max(len(head) for _, head, _ in matching)
            head = tuple(words[i:i + longest])
            alternatives = [head]
            for label, set_head, terms in matching:
                if set_head == head:
                    alternatives += terms
                    applied.append(label)
            groups.append(tuple(dict.fromkeys(alternatives)))
            i += longest
        else:
            groups.append(((words[i],),))
            i += 1
    return tuple(groups), tuple(dict.fromkeys(applied))


def expansion_words(words: list[str], groups: tuple[tuple[tuple[str, ...], ...], ...]) -> frozenset[str]:
    """The words the synonyms added, which the compilers match exactly: a typo budget is for
    what the shopper typed, not for a merchandiser's term ("cover" must not become "over")."""
    typed = set(words)
    return frozenset(w for group in groups for alternative in group for w in alternative if w not in typed)


@dataclass
class Resolution:
    tuning: Tuning
    redirect: str | None = None
    pinned_ids: tuple[int, ...] = ()
    hidden_ids: tuple[int, ...] = ()


def resolve(text: str, rules: CompiledRules | None = None, now: datetime | None = None,
            variant: str = "") -> Resolution:
    """The rules for ``text``; ``variant``: an experiment variant's (SearchRequest.variant), if
    it is still served (else the live rules)."""
    rules = rules or current_rules()
    rules = rules.variants.get(variant, rules) if variant else rules
    now = now or timezone.now()
    query = normalise_query(text)
    redirect = next((url for window, url in rules.redirects.get(query, []) if window.live(now)), None)
    pins, hides = [], []
    for window, pinned, hidden in rules.pins.get(query, []) if query else []:
        if window.live(now):
            pins += [p for p in pinned if p not in pins]
            hides += [h for h in hidden if h not in hides]
    weights = next((w for window, w in rules.weights if window.live(now)), DEFAULT_WEIGHTS)
    typos = next((t for window, t in rules.typos if window.live(now)), DEFAULT_TYPOS)
    words = query_words(text)
    groups, applied = expand_synonyms(words, rules, now) if words else ((), ())
    boosts = []
    for window, rule in rules.boosts:
        if not window.live(now):
            continue
        term = rule.query_term.strip().lower()
        if term and term not in words and term not in query:
            continue
        boosts.append(Boost(rule.name, float(rule.factor), boost_filter(rule, now), term))
    semantic, semantic_weight = next((s for window, s in rules.semantic if window.live(now)),
                                     (True, SemanticSettings.DEFAULT_WEIGHT))
    tuning = Tuning(field_weights=weights, word_groups=groups if applied else (), boosts=tuple(boosts),
                    excluded_ids=tuple(hides), synonyms_applied=applied,
                    exact_words=expansion_words(words, groups) if applied else frozenset(), typos=typos,
                    semantic=semantic, semantic_weight=semantic_weight)
    return Resolution(tuning, redirect, tuple(p for p in pins if p not in hides), tuple(hides))
