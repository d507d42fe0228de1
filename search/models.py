"""Merchandising rules: applied at query time on both engines, no reindex.

Every save bumps a version key in the cache, so running processes pick up a
change within seconds (search.rules caches the compiled rules per version).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from store.models import Brand, Category, Product

QUERY_MAX = 200


def normalise_query(text: str) -> str:
    """The form queries are matched and recorded in: lower-case, single spaces."""
    return " ".join(text.lower().split())[:QUERY_MAX]


class ScheduledRule(models.Model):
    is_active = models.BooleanField(default=True)
    starts_at = models.DateTimeField(null=True, blank=True, help_text="Empty: effective at once.")
    ends_at = models.DateTimeField(null=True, blank=True, help_text="Empty: no end.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.starts_at >= self.ends_at:
            raise ValidationError({"ends_at": "The end must be after the start."})

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        from search.rules import bump_rules_version

        bump_rules_version()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        from search.rules import bump_rules_version

        bump_rules_version()
        return result

    @classmethod
    def live(cls, now=None):
        now = now or timezone.now()
        return cls.objects.filter(is_active=True).exclude(starts_at__gt=now).exclude(ends_at__lte=now)


class SynonymSet(ScheduledRule):
    class Kind(models.TextChoices):
        TWO_WAY = "two_way", "Two-way (all terms are equivalent)"
        ONE_WAY = "one_way", "One-way (the first term also finds the others)"

    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.TWO_WAY)
    terms = models.CharField(
        max_length=500,
        help_text="Comma-separated terms, multi-word allowed: “tee, t-shirt, tshirt”. "
                  "One-way: the first term expands to the rest (“laptop → notebook”).",
    )

    class Meta:
        ordering = ["terms"]

    def __str__(self) -> str:
        terms = self.term_list()
        if self.kind == self.Kind.ONE_WAY and terms:
            return f"{terms[0]} → {', '.join(terms[1:])}"
        return ", ".join(terms)

    def term_list(self) -> list[str]:
        return [normalise_query(t) for t in self.terms.split(",") if t.strip()]


class BoostRule(ScheduledRule):
    class Target(models.TextChoices):
        BRAND = "brand", "Products of a brand"
        CATEGORY = "category", "Products in a category (and below)"
        OUT_OF_STOCK = "out_of_stock", "Out-of-stock products"
        NEW_ARRIVALS = "new_arrivals", "New arrivals (created within N days)"

    name = models.CharField(max_length=120)
    target = models.CharField(max_length=20, choices=Target.choices)
    brand = models.ForeignKey(Brand, null=True, blank=True, on_delete=models.CASCADE)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.CASCADE)
    new_within_days = models.PositiveSmallIntegerField(null=True, blank=True)
    factor = models.DecimalField(
        max_digits=5, decimal_places=2, default=2,
        help_text="Multiplies the relevance score: above 1 boosts, below 1 buries (0.1 sinks to the bottom).",
    )
    query_term = models.CharField(max_length=100, blank=True,
                                  help_text="Only for queries containing this word; empty: every query.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if not 0 < self.factor <= 100:
            raise ValidationError({"factor": "The factor must be above 0 and at most 100."})
        needs = {self.Target.BRAND: "brand", self.Target.CATEGORY: "category",
                 self.Target.NEW_ARRIVALS: "new_within_days"}
        field = needs.get(self.target)
        if field and not getattr(self, field if field != "brand" and field != "category" else f"{field}_id"):
            raise ValidationError({field: "Required for this kind of rule."})


class PinRule(ScheduledRule):
    query = models.CharField(max_length=QUERY_MAX, help_text="The query (matched case- and space-insensitively).")

    class Meta:
        ordering = ["query"]

    def __str__(self) -> str:
        return self.query

    def save(self, *args, **kwargs):
        self.query = normalise_query(self.query)
        super().save(*args, **kwargs)


class PinnedProduct(models.Model):
    class Action(models.TextChoices):
        PIN = "pin", "Show first"
        HIDE = "hide", "Never show"

    rule = models.ForeignKey(PinRule, on_delete=models.CASCADE, related_name="entries")
    product = models.ForeignKey(Product, on_delete=models.CASCADE)
    action = models.CharField(max_length=4, choices=Action.choices, default=Action.PIN)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        unique_together = [("rule", "product")]

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        from search.rules import bump_rules_version

        bump_rules_version()


class Redirect(ScheduledRule):
    query = models.CharField(max_length=QUERY_MAX, unique=True)
    url = models.CharField(max_length=500, help_text="A path on this site (/pages/returns/) or an https:// URL.")

    class Meta:
        ordering = ["query"]

    def __str__(self) -> str:
        return f"{self.query} → {self.url}"

    def clean(self) -> None:
        super().clean()
        if not (self.url.startswith("/") and not self.url.startswith("//")) and not self.url.startswith("https://"):
            raise ValidationError({"url": "Use a path on this site (starting with /) or an https:// URL."})

    def save(self, *args, **kwargs):
        self.query = normalise_query(self.query)
        super().save(*args, **kwargs)


class FieldWeights(ScheduledRule):
    """How much each text field counts; the newest live row wins."""

    name = models.DecimalField(max_digits=4, decimal_places=1, default=3)
    brand = models.DecimalField(max_digits=4, decimal_places=1, default=2)
    category = models.DecimalField(max_digits=4, decimal_places=1, default=2)
    description = models.DecimalField(max_digits=4, decimal_places=1, default=1)

    class Meta:
        verbose_name_plural = "field weights"

    def __str__(self) -> str:
        return f"name {self.name}, brand {self.brand}, category {self.category}, description {self.description}"

    def clean(self) -> None:
        super().clean()
        for field in ("name", "brand", "category", "description"):
            value = getattr(self, field)
            if value is None or not 0 <= value <= 50:
                raise ValidationError({field: "Weights go from 0 to 50."})
