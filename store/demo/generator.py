"""Generator of the demo catalog: deterministic categories, customers and products from a seed.

Plain Python: every random draw comes from a ``random.Random`` seeded from the ``seed``
argument and nothing depends on the clock, so one seed always yields the same rows."""

from __future__ import annotations

import math
import random
import string
from bisect import bisect
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from itertools import accumulate

from django.utils.text import slugify

from .vocabulary import (
    ANIMALS,
    BOOLEAN,
    CLOSERS,
    FICTION_ADJECTIVES,
    FICTION_NOUNS,
    FIRST_NAMES,
    GERUNDS,
    LAST_NAMES,
    MODEL_SUFFIXES,
    PLACES,
    QUALITY_TIERS,
    RATING_WEIGHTS,
    REVIEW_SENTENCES,
    REVIEW_STATUSES,
    REVIEW_TITLES,
    SUBJECTS,
    TEXT,
    TEXTS_BY_STYLE,
    TOPS,
    VENDOR_MIX,
    VENDORS,
    Attr,
    Node,
    Top,
)

DEFAULT_REVIEWS_PER_PRODUCT_MAX = 8
OUT_OF_STOCK_SHARE = 0.08
ON_SALE_SHARE = 0.18
# Products were listed over this many days before the seeding.
LISTED_WITHIN_DAYS = 730
CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class CategoryRow:
    name: str
    slug: str
    slug_path: str
    parent_path: str | None
    depth: int
    attrs: tuple[Attr, ...]  # defined on this node (apply to its subtree)


@dataclass(frozen=True, slots=True)
class CustomerRow:
    username: str
    first_name: str
    last_name: str
    email: str


@dataclass(slots=True)
class ReviewRow:
    author_index: int  # into DemoCatalog.customers
    rating: int
    title: str
    body: str
    status: str


@dataclass(slots=True)
class ProductRow:
    sku: str
    name: str
    slug: str
    description: str
    brand: str
    category_path: str
    vendor: str | None
    price: Decimal
    compare_at_price: Decimal | None
    stock_quantity: int
    sales_count: int
    attributes: dict
    images: list[str]  # the alt texts, in position order; every image is the picture of image_kind × color
    reviews: list[ReviewRow]
    rating_average: Decimal
    rating_count: int
    # How long before the seeding the product was listed: "newest" means something on demo data.
    age_minutes: int = 0
    image_kind: str = ""  # the product type its demo picture shows (with attributes["color"])


@dataclass(frozen=True, slots=True)
class _Leaf:
    top: Top
    node: Node
    slug_path: str
    # (attr, values, cumulative weights or None) for every attribute of the leaf and its ancestors
    attrs: tuple[tuple[Attr, tuple, tuple[float, ...] | None], ...]
    sub_name: str  # the depth-2 ancestor's name, e.g. "Fiction"
    adjectives: tuple[str, ...]
    brands: tuple[str, ...]
    brand_cum: tuple[float, ...]  # a few brands sell most (Zipf-like); specialists first


def _walk(node: Node, parent_path: str | None, depth: int, out: list[CategoryRow]) -> None:
    slug = slugify(node.name)
    path = f"{parent_path}/{slug}" if parent_path else slug
    out.append(CategoryRow(node.name, slug, path, parent_path, depth, node.attrs))
    # Siblings in name order: treebeard's sorted insertion then never has to shift a sibling.
    for child in sorted(node.children, key=lambda n: n.name):
        _walk(child, path, depth + 1, out)


def _leaves(top: Top) -> list[_Leaf]:
    found: list[_Leaf] = []

    def visit(
        node: Node,
        path: str,
        inherited: tuple[Attr, ...],
        sub_name: str,
        adjectives: tuple,
        specialists: tuple,
        only: Mapping[str, tuple],
    ) -> None:
        attrs = inherited + node.attrs
        only = {**only, **node.only}
        adjectives = node.adjectives or adjectives
        specialists = node.brands or specialists
        if not node.children:
            resolved = []
            for attr in attrs:
                values = only.get(attr.code)
                if values is not None:
                    resolved.append((attr, tuple(values), None))
                elif attr.weights:
                    resolved.append((attr, attr.values, tuple(accumulate(attr.weights))))
                else:
                    resolved.append((attr, attr.values, None))
            brands = specialists + top.brands
            brand_cum = tuple(accumulate(1 / (i + 1) ** 0.8 for i in range(len(brands))))
            found.append(_Leaf(top, node, path, tuple(resolved), sub_name, adjectives, brands, brand_cum))
        for child in node.children:
            child_path = f"{path}/{slugify(child.name)}"
            visit(child, child_path, attrs, sub_name or child.name, adjectives, specialists, only)

    visit(top.node, top.slug, (), "", top.adjectives, (), {})
    return found


def charm_price(value: float) -> Decimal:
    """Round to a shop-like price: 7.49, 24.99, 149.99, 1,249.00."""
    if value < 10:
        cents = math.floor(value * 2) / 2 + 0.49
    elif value < 100:
        cents = math.floor(value) + 0.99
    elif value < 1000:
        cents = round(value / 5) * 5 - 0.01
    else:
        cents = float(round(value / 50) * 50 - (1 if round(value / 50) % 2 else 0))
    return Decimal(f"{max(cents, 0.99):.2f}")


def _with_article(word: str) -> str:
    return f"{'an' if word[0] in 'aeiou' else 'a'} {word}"


def _lower_noun(noun: str) -> str:
    # Keep acronyms (BB, DSLR, MTB) as written.
    return " ".join(w if w.isupper() and len(w) > 1 else w.lower() for w in noun.split(" "))


class DemoCatalog:
    """A seeded demo catalog. ``products()`` yields rows one by one, so a large
    catalog never has to sit in memory."""

    def __init__(
        self,
        seed: int,
        reviews_per_product_max: int = DEFAULT_REVIEWS_PER_PRODUCT_MAX,
        customer_count: int = 200,
    ) -> None:
        self.seed = seed
        self.reviews_per_product_max = reviews_per_product_max
        self.categories: list[CategoryRow] = []
        for top in TOPS:
            _walk(top.node, None, 1, self.categories)
        self._leaves = [leaf for top in TOPS for leaf in _leaves(top)]
        self.brands: list[str] = list(dict.fromkeys(b for leaf in self._leaves for b in leaf.brands))
        self.vendors: list[str] = list(VENDORS)
        self._brand_codes = {brand: slugify(brand).replace("-", "")[:3].upper() for brand in self.brands}
        leaf_weights = [
            leaf.top.weight * leaf.node.weight / sum(x.node.weight for x in self._leaves if x.top is leaf.top)
            for leaf in self._leaves
        ]
        self._leaf_cum = tuple(accumulate(leaf_weights))
        # Separate streams: the number of customers or reviews never changes the products.
        people = random.Random(f"{seed}:customers")
        self.customers: list[CustomerRow] = []
        for i in range(1, max(customer_count, reviews_per_product_max) + 1):
            first, last = people.choice(FIRST_NAMES), people.choice(LAST_NAMES)
            self.customers.append(CustomerRow(f"customer{i}", first, last, f"customer{i}@example.com"))
        self.password_salt = "".join(people.choice(string.ascii_letters + string.digits) for _ in range(22))

    def products(self, count: int) -> Iterator[ProductRow]:
        rng = random.Random(f"{self.seed}:products")
        review_rng = random.Random(f"{self.seed}:reviews")
        age_rng = random.Random(f"{self.seed}:ages")  # its own stream: the products stay as they were
        for index in range(1, count + 1):
            row = self._product(rng, review_rng, index)
            row.age_minutes = age_rng.randint(0, LISTED_WITHIN_DAYS * 24 * 60)
            yield row

    # One product: every draw comes from ``rng`` (or ``review_rng``) in a fixed order.
    def _product(self, rng: random.Random, review_rng: random.Random, index: int) -> ProductRow:
        leaf = self._leaves[_pick(rng, self._leaf_cum)]
        top = leaf.top
        brand = leaf.brands[_pick(rng, leaf.brand_cum)]
        noun = rng.choice(leaf.node.nouns)
        adjective = rng.choice(leaf.adjectives)
        attributes: dict = {}
        price_factor = 1.0
        for attr, values, cum in leaf.attrs:
            if attr.kind == BOOLEAN:
                value = rng.choice(values) if values else rng.random() < attr.true_share
            elif attr.kind == TEXT:
                value = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            else:
                value = values[_pick(rng, cum)] if cum else rng.choice(values)
            attributes[attr.code] = value
            price_factor *= attr.price_factors.get(value, 1.0) if attr.price_factors else 1.0
        name, title = self._name(rng, leaf, brand, noun, adjective, attributes)
        description = self._description(rng, leaf, name, title, brand, noun, adjective, attributes)

        price_value = rng.lognormvariate(math.log(leaf.node.price * price_factor), leaf.node.spread)
        price = charm_price(min(price_value, 25_000.0))
        compare_at = None
        if rng.random() < ON_SALE_SHARE:
            discount = rng.choice((0.1, 0.15, 0.2, 0.2, 0.25, 0.3, 0.3, 0.4, 0.5))
            candidate = charm_price(float(price) / (1 - discount))
            compare_at = candidate if candidate > price else None
        roll = rng.random()
        if roll < OUT_OF_STOCK_SHARE:
            stock = 0
        elif roll < OUT_OF_STOCK_SHARE + 0.07:
            stock = rng.randint(1, 5)  # "only a few left"
        else:
            stock = min(5000, 6 + int(rng.lognormvariate(math.log(50), 1.0)))
        # Pareto (alpha 1.16: 80/20) for a long tail of popularity.
        sales_count = min(250_000, int((rng.paretovariate(1.16) - 1) * 40))
        vendor_roll = rng.random()
        if vendor_roll < VENDOR_MIX[0]:
            vendor = None
        elif vendor_roll < VENDOR_MIX[0] + VENDOR_MIX[1]:
            vendor = top.vendor
        else:
            vendor = rng.choice(self.vendors)
        image_count = rng.choices((1, 2, 3), cum_weights=(3, 7, 10))[0]
        images = [name if i == 0 else f"{name}, view {i + 1}" for i in range(image_count)]
        sku = f"{top.sku_prefix}-{self._brand_codes[brand]}-{index:07d}"
        slug = f"{slugify(name)[:150].rstrip('-')}-{sku.lower()}"

        reviews = self._reviews(review_rng, sales_count, noun if top.style != "book" else "book")
        approved = [r.rating for r in reviews if r.status == "approved"]
        average = (
            (Decimal(sum(approved)) / len(approved)).quantize(CENT, ROUND_HALF_UP) if approved else Decimal(0)
        )
        return ProductRow(
            sku=sku,
            name=name,
            slug=slug,
            description=description,
            brand=brand,
            category_path=leaf.slug_path,
            vendor=vendor,
            price=price,
            compare_at_price=compare_at,
            stock_quantity=stock,
            sales_count=sales_count,
            attributes=attributes,
            images=images,
            image_kind=leaf.node.name,
            reviews=reviews,
            rating_average=average,
            rating_count=len(approved),
        )

    def _name(
        self, rng: random.Random, leaf: _Leaf, brand: str, noun: str, adjective: str, attributes: dict
    ) -> tuple[str, str]:
        """The product name, and for books the bare title."""
        style = leaf.top.style
        specs = [a.in_name.format(attributes[a.code]) for a, _, _ in leaf.attrs if a.in_name]
        spec = f"{', ' if style == 'home' else ' '}{', '.join(specs)}" if specs else ""
        color = attributes.get("color")
        if style == "book":
            title = self._book_title(rng, leaf)
            return title, title
        if style == "apparel":
            gender = attributes["gender"]
            prefix = f"{gender}'s " if gender != "Unisex" and rng.random() < 0.4 else ""
            pattern = rng.randrange(4)
            if pattern == 0:
                name = f"{brand} {prefix}{adjective} {noun}"
            elif pattern == 1:
                name = f"{brand} {prefix}{attributes['material']} {noun}"
            elif pattern == 2:
                name = f"{brand} {prefix}{adjective} {attributes['material']} {noun} – {color}"
            else:
                name = f"{brand} {prefix}{noun} in {color}"
            return name, name
        if style == "tech":
            model = (
                f"{adjective} {rng.randint(2, 12)}{rng.choice(MODEL_SUFFIXES)}"
                if rng.random() < 0.7
                else f"{rng.choice('AXZQVRS')}{rng.randint(10, 99) * 10}"
            )
            name = f"{brand} {model} {noun}{spec}"
            if color and rng.random() < 0.5:
                name += f" – {color}"
            return name, name
        if style == "sport" and "Bike" in noun:
            name = f"{brand} {adjective} {rng.randint(1, 9)} {noun}{spec}"
            return name, name
        if style == "beauty":
            shade = attributes.get("shade")
            name = f"{brand} {adjective} {noun}{spec}" + (f" – {shade}" if shade else "")
            return name, name
        # home and sport: brand, adjective or material, the noun, then the specs
        material = attributes.get("material")
        if material and rng.random() < 0.5:
            name = f"{brand} {material} {noun}{spec}"
        else:
            name = f"{brand} {adjective} {noun}{spec}"
        if color and rng.random() < 0.3:
            name += f", {color}"
        return name, name

    def _book_title(self, rng: random.Random, leaf: _Leaf) -> str:
        if leaf.sub_name == "Fiction":
            pattern = rng.randrange(5)
            adj, noun, other = (
                rng.choice(FICTION_ADJECTIVES),
                rng.choice(FICTION_NOUNS),
                rng.choice(FICTION_NOUNS),
            )
            return (
                f"The {adj} {noun}",
                f"The {noun} of {rng.choice(PLACES)}",
                f"The {noun}'s {other}",
                f"The Last {noun}",
                f"{adj} {other}",
            )[pattern]
        if leaf.sub_name == "Non-Fiction":
            pattern = rng.randrange(5)
            subject = rng.choice(SUBJECTS)
            return (
                f"The Art of {rng.choice(GERUNDS)}",
                f"A Short History of {subject}",
                f"{subject}: What Everyone Should Know",
                f"{rng.randint(7, 30)} Lessons on {subject}",
                f"The Secret Life of {subject}",
            )[pattern]
        animal, other = rng.choice(ANIMALS), rng.choice(ANIMALS)
        return (
            f"The {animal} Who Wanted More",
            f"{animal} and {other}",
            f"Goodnight, Little {animal}",
            f"The {rng.choice(FICTION_ADJECTIVES)} {rng.choice(FICTION_NOUNS)}",
        )[rng.randrange(4)]

    def _description(
        self,
        rng: random.Random,
        leaf: _Leaf,
        name: str,
        title: str,
        brand: str,
        noun: str,
        adjective: str,
        attributes: dict,
    ) -> str:
        openers, features = TEXTS_BY_STYLE[leaf.top.style]
        context = {
            "name": name,
            "title": title,
            "brand": brand,
            "noun": _lower_noun(noun),
            "adj": adjective.lower(),
            "a_adj": _with_article(adjective.lower()),
            "A_adj": _with_article(adjective.lower()).capitalize(),
            "color": str(attributes.get("color", "")).lower(),
            "material": str(attributes.get("material", "")).lower(),
            "author": attributes.get("author", ""),
        }
        sentences = [rng.choice(openers), *rng.sample(features, rng.randint(1, 3)), rng.choice(CLOSERS)]
        return " ".join(s.format(**context) for s in sentences if s)

    def _reviews(self, rng: random.Random, sales_count: int, noun: str) -> list[ReviewRow]:
        limit = self.reviews_per_product_max
        if limit == 0:
            return []
        # Popular products collect more reviews; plenty of products have none.
        expected = 0.25 + 1.6 * math.log10(1 + sales_count)
        count = min(limit, _poisson(rng, expected))
        if count == 0:
            return []
        tier = rng.choices([t for t, _ in QUALITY_TIERS], [w for _, w in QUALITY_TIERS])[0]
        weights = RATING_WEIGHTS[tier]
        authors = rng.sample(range(len(self.customers)), count)
        reviews = []
        lowered = _lower_noun(noun)
        for author in authors:
            rating = rng.choices((1, 2, 3, 4, 5), weights)[0]
            status = rng.choices([s for s, _ in REVIEW_STATUSES], [w for _, w in REVIEW_STATUSES])[0]
            body = " ".join(
                s.format(noun=lowered) for s in rng.sample(REVIEW_SENTENCES[rating], rng.randint(1, 3))
            )
            reviews.append(ReviewRow(author, rating, rng.choice(REVIEW_TITLES[rating]), body, status))
        return reviews


def _pick(rng: random.Random, cum_weights: tuple[float, ...]) -> int:
    # random.choices without building a list per call
    return bisect(cum_weights, rng.random() * cum_weights[-1])


def _poisson(rng: random.Random, lam: float) -> int:
    # Knuth: fine for the small means used here
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def customer_count_for(products: int, reviews_per_product_max: int) -> int:
    """Enough reviewers that reviews look spread out, never more than a few thousand users."""
    return max(reviews_per_product_max, min(5000, max(50, products // 10)))
