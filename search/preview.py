"""The merchandiser's search preview: the results as a shopper sees them, beside the
ranking without any rule, each hit annotated with what moved it.

Explanations come from the same rules the search used (search.merchandising.rules.resolve): a pin,
each boost whose filter the product's database row passes, the synonym sets that
let a product match at all (it is absent from the results without rules), and the
position change against the ranking without rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal

from search.documents import sort_keys
from search.merchandising.rules import current_rules, forget_cached_rules, resolve
from search.query.filters import Filter
from search.query.request import SearchRequest
from search.query.result import SearchHit
from search.query.text import stem, word_analyzer
from search.query.tuning import DEFAULT_WEIGHTS
from search.semantic import embedder
from search.services import search_products
from store.models import Category, Product

PREVIEW_SIZE = 24
# The ranking without rules is read deeper, so "absent without rules" means absent.
BASELINE_SIZE = 100


@dataclass
class PreviewHit:
    hit: SearchHit
    position: int
    baseline_position: int | None = None
    reasons: list[str] = field(default_factory=list)

    @property
    def movement(self) -> str:
        """Against the ranking without rules: "new", "↑ 3", "↓ 2" or "=" ."""
        if self.baseline_position is None:
            return "new"
        delta = self.baseline_position - self.position
        if delta > 0:
            return f"↑ {delta}"
        if delta < 0:
            return f"↓ {-delta}"
        return "="


@dataclass
class HiddenProduct:
    id: int
    name: str
    baseline_position: int | None


@dataclass
class Preview:
    text: str
    category: str | None
    redirect: str | None
    hits: list[PreviewHit]
    total: int
    baseline: list[SearchHit]
    baseline_total: int
    hidden: list[HiddenProduct]
    synonyms_applied: tuple[str, ...] = ()
    boosts: list[str] = field(default_factory=list)
    field_weights: tuple[tuple[str, float], ...] | None = None
    # Semantic matching (search.semantic): what it added — (typed word, the shop's term,
    # similarity) — and whether it is on here.
    semantic_terms: tuple[tuple[str, str, float], ...] = ()
    semantic_status: str = ""


def factor_label(factor: float) -> str:
    return f"×{Decimal(str(factor)).normalize():f}"


def boost_reason(label: str, factor: float) -> str:
    verb = "buried" if factor < 1 else "boosted"
    return f"{verb} by rule “{label}” {factor_label(factor)}"


def preview_search(text: str, category: str | None = None, size: int = PREVIEW_SIZE, variant: str = "") -> Preview:
    """Search ``text`` with and without the rules (``variant``: an A/B test variant's, "12:b"),
    and explain the differences."""
    forget_cached_rules()  # the rule saved a moment ago, not this process's copy
    resolution = resolve(text, variant=variant)
    tuning = resolution.tuning
    request = SearchRequest(text=text, category=category, page_size=BASELINE_SIZE, with_facets=False)
    baseline = search_products(request, apply_rules=False)
    ruled = search_products(replace(request, page_size=size, variant=variant), apply_rules=True)
    baseline_positions = {hit.id: i for i, hit in enumerate(baseline.hits, start=1)}

    semantic_terms = ruled.request.tuning.semantic_terms if ruled.request.tuning else ()
    ids = {hit.id for hit in ruled.hits} | set(resolution.hidden_ids)
    products = {p.pk: p for p in Product.objects.filter(pk__in=ids).select_related("brand", "category")}
    synonym_terms = _synonym_terms(tuning.synonyms_applied)
    category_names = _category_names(products.values())

    hits = []
    for position, hit in enumerate(ruled.hits, start=1):
        entry = PreviewHit(hit, position, baseline_positions.get(hit.id))
        product = products.get(hit.id)
        if hit.pinned:
            entry.reasons.append("pinned")
        if product is not None:
            values = product_values(product)
            entry.reasons += [boost_reason(b.label, b.factor) for b in tuning.boosts
                              if filter_matches(b.filter, values)]
        if entry.baseline_position is None and tuning.synonyms_applied and not hit.pinned:
            labels = _matching_synonyms(product, synonym_terms, category_names) if product else []
            for label in labels or tuning.synonyms_applied:
                entry.reasons.append(f"matched through synonym “{label}”")
        if semantic_terms and product is not None and not hit.pinned:
            entry.reasons += [f"semantic: “{term}” for “{word}” (similarity {similarity})"
                              for word, term, similarity in _matching_semantic_terms(product, semantic_terms,
                                                                                     category_names)]
        hits.append(entry)

    hidden = [HiddenProduct(pid, products[pid].name if pid in products else f"product {pid} (deleted)",
                            baseline_positions.get(pid)) for pid in resolution.hidden_ids]
    weights = tuning.field_weights if tuning.field_weights != DEFAULT_WEIGHTS else None
    return Preview(
        text=text, category=category, redirect=resolution.redirect, hits=hits, total=ruled.total,
        baseline=baseline.hits[:size], baseline_total=baseline.total, hidden=hidden,
        synonyms_applied=tuning.synonyms_applied,
        boosts=[boost_reason(b.label, b.factor) for b in tuning.boosts], field_weights=weights,
        semantic_terms=semantic_terms, semantic_status=_semantic_status(tuning),
    )


def _semantic_status(tuning) -> str:
    status = embedder.status()
    if status != "on":
        return status
    return f"on, weight {tuning.semantic_weight:g}" if tuning.semantic else "off for this shop (merchandising setting)"


# --- Boost filters, evaluated on the product's database row ------------------------


def product_values(product: Product) -> dict[str, list]:
    """The indexed values the rule filters look at, computed from the database row."""
    parts = product.category.slug_path.split("/")
    return {
        "id": [product.pk],
        "brand_slug": [product.brand.slug],
        "category_paths": ["/".join(parts[:i]) for i in range(1, len(parts) + 1)],
        "in_stock": [product.stock_quantity > 0],
        "sort_newest": [sort_keys(product)["sort_newest"]],
        "price": [float(product.price)],
        "rating": [float(product.rating_average)],
    }


def filter_matches(rule_filter: Filter, values: dict[str, list]) -> bool:
    have = values.get(rule_filter.field)
    if have is None:
        return False
    if rule_filter.kind in ("term", "terms"):
        return any(v in rule_filter.values for v in have)
    if rule_filter.kind == "not_terms":
        return not any(v in rule_filter.values for v in have)
    if rule_filter.kind in ("range", "int_range"):
        low, high = rule_filter.gte, rule_filter.lte
        return any((low is None or v >= low) and (high is None or v <= high) for v in have)
    return False


# --- Synonyms -----------------------------------------------------------------------


def _synonym_terms(labels: tuple[str, ...]) -> dict[str, list[tuple[str, ...]]]:
    terms: dict[str, list[tuple[str, ...]]] = {}
    for _window, label, _head, alternatives in current_rules().synonyms:
        if label in labels:
            terms.setdefault(label, [])
            terms[label] += [t for t in alternatives if t not in terms[label]]
    return terms


def _category_names(products) -> dict[str, str]:
    paths: set[str] = set()
    for product in products:
        parts = product.category.slug_path.split("/")
        paths.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
    return dict(Category.objects.filter(slug_path__in=paths).values_list("slug_path", "name"))


def _matching_synonyms(product: Product, synonym_terms: dict[str, list[tuple[str, ...]]],
                       category_names: dict[str, str]) -> list[str]:
    """The applied synonym sets with a term the product's text contains (stemmed, as the
    engines match)."""
    chain = product_values(product)["category_paths"]
    text = " ".join([product.name, product.brand.name, *(category_names.get(p, "") for p in chain),
                     product.description[:5000]])
    stems = {stem(w) for w in word_analyzer().analyze(text)}
    return [label for label, terms in synonym_terms.items()
            if any(all(stem(w) in stems for w in term) for term in terms)]


def _product_stems(product: Product, category_names: dict[str, str]) -> set[str]:
    chain = product_values(product)["category_paths"]
    text = " ".join([product.name, product.brand.name, *(category_names.get(p, "") for p in chain),
                     product.description[:5000], *(str(v) for v in (product.attributes or {}).values())])
    return {stem(w) for w in word_analyzer().analyze(text)}


def _matching_semantic_terms(product: Product, semantic_terms, category_names: dict[str, str]):
    """The terms semantic matching added that the product's text holds (stemmed, as the engines
    match): why a product found for a word the catalog never uses is there."""
    stems = _product_stems(product, category_names)
    return [(word, term, similarity) for word, term, similarity in semantic_terms
            if all(stem(w) in stems for w in word_analyzer().analyze(term))]
