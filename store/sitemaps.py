"""sitemap.xml (django.contrib.sitemaps): an index of pages of at most ``PAGE_SIZE``
addresses, so a million products are a hundred pages of 10,000, each read with one query."""

from __future__ import annotations

from django.contrib.sitemaps import Sitemap
from django.db.models import QuerySet
from django.urls import reverse

from .models import Category, FooterPage, Product

# Google reads up to 50,000 addresses a file; smaller pages answer faster.
PAGE_SIZE = 10_000


class ProductSitemap(Sitemap):
    limit = PAGE_SIZE
    changefreq = "daily"

    def items(self) -> QuerySet[Product]:
        # What shoppers may see, in a stable order (the pages must not shift between reads).
        return Product.objects.visible().order_by("pk").only("slug", "updated_at")

    def location(self, item: Product) -> str:
        return reverse("product", kwargs={"slug": item.slug})

    def lastmod(self, item: Product):
        return item.updated_at


class CategorySitemap(Sitemap):
    limit = PAGE_SIZE
    changefreq = "daily"

    def items(self) -> QuerySet[Category]:
        return Category.objects.order_by("path").only("slug_path")

    def location(self, item: Category) -> str:
        return reverse("category", kwargs={"slug_path": item.slug_path})


class PageSitemap(Sitemap):
    changefreq = "monthly"

    def items(self) -> list[str]:
        return ["home", *FooterPage.objects.filter(is_published=True).values_list("slug", flat=True)]

    def location(self, item: str) -> str:
        return reverse("home") if item == "home" else reverse("footer-page", kwargs={"slug": item})


SITEMAPS = {"pages": PageSitemap, "categories": CategorySitemap, "products": ProductSitemap}
