"""Reads of the catalog (HackSoft style: selectors for reads)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, QuerySet

from taxes.rates import with_tax

from .caching import MENU_KEY, SHOP_KEY, cached, featured_key, listing_timeout
from .models import AttributeDefinition, Category, FooterPage, Product, ProductImage, Review, ShopSettings, WishlistItem


def category_menu() -> list[dict]:
    """Top categories with their direct subcategories, from the cache (see store.caching).

    Passed to templates as a callable so that pages which don't render the
    menu don't pay for it."""
    return cached(MENU_KEY, settings.CATEGORY_MENU_CACHE_SECONDS, build_category_menu)


def build_category_menu() -> list[dict]:
    """Top categories with their direct subcategories, in one query."""
    nodes = list(Category.objects.filter(depth__lte=2).order_by("path"))
    menu: list[dict] = []
    for node in nodes:
        if node.depth == 1:
            menu.append({"category": node, "children": []})
        elif menu:
            menu[-1]["children"].append(node)
    return menu


@dataclass(frozen=True)
class FooterLink:
    title: str
    url: str


@dataclass(frozen=True)
class ShopIdentity:
    """The shop's name, tagline, logo and footer pages, as every page's header and footer show them."""

    name: str
    tagline: str
    logo_url: str
    pages: tuple[FooterLink, ...]


def shop_identity() -> ShopIdentity:
    """From the cache until the settings or a footer page change (store.caching)."""
    return cached(SHOP_KEY, settings.CATEGORY_MENU_CACHE_SECONDS, build_shop_identity)


def build_shop_identity() -> ShopIdentity:
    shop = ShopSettings.objects.filter(pk=1).first() or ShopSettings()
    pages = tuple(FooterLink(p.title, p.get_absolute_url())
                  for p in FooterPage.objects.filter(is_published=True).only("title", "slug"))
    return ShopIdentity(shop.name, shop.tagline, shop.logo.url if shop.logo else "", pages)


def wishlist_cards(user) -> list[ProductCard]:
    """The customer's saved products that are still for sale, newest first: two queries."""
    products = (
        Product.objects.visible()
        .filter(wishlist_items__user=user)
        .select_related("brand")
        .defer("description", "attributes")
        .prefetch_related(Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")))
        .order_by("-wishlist_items__added_at", "-pk")
    )
    return [product_card(p) for p in products]


def cards_for(ids: Sequence[int]) -> list[ProductCard]:
    """Cards for visible products, in the order of ``ids``: two queries whatever their number."""
    products = (
        Product.objects.visible().filter(pk__in=list(ids)).select_related("brand")
        .defer("description", "attributes")
        .prefetch_related(Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")))
    )
    by_id = {p.pk: p for p in products}
    return [product_card(by_id[i]) for i in ids if i in by_id]


def in_wishlist(user, product: Product) -> bool:
    return user.is_authenticated and WishlistItem.objects.filter(user=user, product=product).exists()


def wishlist_count(user) -> int:
    return WishlistItem.objects.filter(user=user, product__is_active=True).count() if user.is_authenticated else 0


@dataclass
class ProductCard:
    """What a product card shows (templates/store/_product_card.html), read from the
    database; a search hit (search.query.result.SearchHit) is one too, so one card
    template shows both."""

    id: int
    name: str
    slug: str
    sku: str
    brand: str
    price: Decimal
    currency: str
    compare_at_price: Decimal | None
    in_stock: bool
    rating: float
    rating_count: int
    image_url: str
    # The name with the matched words in <mark>, built from escaped text; none: the card
    # shows the (escaped) name.
    highlighted_name: str = ""
    # A search's link through the click recorder, when the search was recorded.
    click_url: str = ""
    # Known for a card read from the database; a search hit does not carry it.
    tax_class_id: int | None = None
    # The tax rate the shown prices include (taxes.display.apply_display_rates); none: net.
    tax_rate: Decimal | None = None

    @property
    def shown_price(self) -> Decimal:
        return self.price if self.tax_rate is None else with_tax(Decimal(str(self.price)), self.tax_rate)

    @property
    def shown_compare_at_price(self) -> Decimal | None:
        if self.compare_at_price is None or self.tax_rate is None:
            return self.compare_at_price
        return with_tax(Decimal(str(self.compare_at_price)), self.tax_rate)


def product_card(product: Product) -> ProductCard:
    """A DB product in the shape of a search hit, so one card template shows both.

    Expects ``brand`` selected and ``images`` prefetched (see ``featured_products``)."""
    images = list(product.images.all())
    return ProductCard(
        id=product.pk,
        name=product.name,
        slug=product.slug,
        sku=product.sku,
        brand=product.brand.name,
        price=product.price,
        currency=product.currency,
        compare_at_price=product.compare_at_price,
        in_stock=product.in_stock,
        rating=float(product.rating_average),
        rating_count=product.rating_count,
        image_url=images[0].source if images else "",
        tax_class_id=product.tax_class_id,
    )


def featured_products(limit: int = 8) -> list[ProductCard]:
    """Best sellers that a shopper can buy now, from the cache until the index changes."""
    return cached(featured_key(limit), listing_timeout(settings.HOME_FEATURED_CACHE_SECONDS),
                  lambda: build_featured_products(limit))


def build_featured_products(limit: int = 8) -> list[ProductCard]:
    """Best sellers that a shopper can buy now: one query plus one for their images."""
    products = (
        Product.objects.visible()
        .filter(stock_quantity__gt=0)
        .select_related("brand")
        .defer("description", "attributes")
        .prefetch_related(Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")))
        .order_by("-sales_count", "-rating_average", "name", "id")[:limit]
    )
    return [product_card(p) for p in products]


def product_for_page(slug: str) -> Product:
    """The visible product with its brand, category and images, in two queries.

    Raises ``Product.DoesNotExist`` for an unknown or hidden product."""
    return (
        Product.objects.visible()
        .select_related("brand", "category")
        .prefetch_related(Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")))
        .get(slug=slug)
    )


def approved_reviews(product: Product) -> QuerySet[Review]:
    """What shoppers may read: approved reviews, newest first."""
    return (
        Review.objects.filter(product=product, status=Review.Status.APPROVED)
        .select_related("author")
        .order_by("-created_at", "-id")
    )


@dataclass(frozen=True)
class AttributeRow:
    label: str
    value: str


def _display_value(value: Any) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, (list, tuple)):
        return ", ".join(_display_value(v) for v in value)
    return str(value)


def attribute_rows(product: Product, categories: Sequence[Category]) -> list[AttributeRow]:
    """The product's attributes as (label, value) rows, in one query.

    Labels come from the attribute definitions of ``categories`` (the product's
    category and its ancestors); the deepest definition of a code wins, and an
    attribute nobody defined falls back to a label made from its code."""
    attributes = product.attributes if isinstance(product.attributes, dict) else {}
    if not attributes:
        return []
    depth = {c.pk: c.depth for c in categories}
    definitions: dict[str, AttributeDefinition] = {}
    for definition in sorted(
        AttributeDefinition.objects.filter(category_id__in=depth, code__in=list(attributes)),
        key=lambda d: depth[d.category_id],
    ):
        definitions[definition.code] = definition
    defined = [code for code in attributes if code in definitions]
    undefined = sorted(code for code in attributes if code not in definitions)
    rows = []
    for code in sorted(defined, key=lambda c: definitions[c].label.lower()) + undefined:
        value = attributes[code]
        if value is None or value == "" or value == []:
            continue
        label = definitions[code].label if code in definitions else code.replace("_", " ").capitalize()
        rows.append(AttributeRow(label=label, value=_display_value(value)))
    return rows
