"""Tax classes of products and the rate of each class in each country, edited in the admin.

Catalog prices are net (before tax); the checkout adds each line's rate and copies it onto
the order line, so a later rate change never rewrites an order."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django_countries.fields import CountryField


class TaxClass(models.Model):
    """What kind of goods a product is for tax: "Reduced rate (books, food)". A product
    without a class pays its country's standard rate."""

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True, help_text="How imports and exports name the class.")

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "tax classes"

    def __str__(self) -> str:
        return self.name


class TaxRate(models.Model):
    """The rate of a tax class in a country; without a class, the country's standard rate
    (every class that has no rate of its own there)."""

    country = CountryField()
    tax_class = models.ForeignKey(
        TaxClass, on_delete=models.CASCADE, null=True, blank=True, related_name="rates",
        help_text="Empty: the country's standard rate.",
    )
    rate = models.DecimalField(
        max_digits=6, decimal_places=4,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal("0.9999"))],
        help_text="A fraction: 19 % is 0.19.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["country", "tax_class__name"]
        constraints = [
            models.UniqueConstraint(fields=["country", "tax_class"], name="tax_rate_one_per_country_and_class"),
            # NULLs are distinct to a plain unique constraint: one standard rate per country too.
            models.UniqueConstraint(fields=["country"], condition=models.Q(tax_class__isnull=True),
                                    name="tax_rate_one_standard_per_country"),
            models.CheckConstraint(condition=models.Q(rate__gte=0, rate__lt=1), name="tax_rate_a_fraction"),
        ]

    def __str__(self) -> str:
        return f"{self.country} {self.tax_class or 'standard'}: {self.percent} %"

    @property
    def percent(self) -> str:
        return format((self.rate * 100).normalize(), "f")
