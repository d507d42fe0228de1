"""Merchandising rules and facet curation: applied at query time on both engines, no reindex.

Every save bumps a version key in the cache, so running processes pick up a change
within seconds (search.merchandising.rules caches the compiled rules per version).
Facet curation (FacetSetting, PriceBucketing) is read at query time the same way.
``clean()`` refuses circular one-way synonyms and the rest of what
search.merchandising.validators checks, with a message saying what to change.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone

from search.facets import curated_names
from search.query.ranking import DEFAULT_FIELD_WEIGHTS, DEFAULT_TYPOS, MAX_TYPO_WORD_SIZE, TypoTolerance
from store.models import AttributeDefinition, Brand, Category, Product

from .validators import (
    FACET_LABEL_MAX,
    QUERY_MAX,
    SYNONYM_TERM_MAX,
    clean_rule_query,
    normalise_query,
    redirect_target_error,
    split_synonym_terms,
    text_input_error,
    words_of,
)
from .version import bump_rules_version


class RulesVersioned(models.Model):
    """Saving or deleting bumps the rules version: every process reloads within seconds."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        bump_rules_version()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        bump_rules_version()
        return result


class ScheduledRule(RulesVersioned):
    is_active = models.BooleanField(default=True)
    starts_at = models.DateTimeField(null=True, blank=True, help_text="Empty: effective at once.")
    ends_at = models.DateTimeField(null=True, blank=True, help_text="Empty: no end.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.starts_at >= self.ends_at:
            raise ValidationError({"ends_at": "The end must be after the start."})

    @classmethod
    def live(cls, now=None):
        now = now or timezone.now()
        return cls.objects.filter(is_active=True).exclude(starts_at__gt=now).exclude(ends_at__lte=now)

    def state(self, now=None) -> str:
        """live, scheduled (starts later), ended or off: what the admin lists show."""
        now = now or timezone.now()
        if not self.is_active:
            return "off"
        if self.ends_at and self.ends_at <= now:
            return "ended"
        if self.starts_at and self.starts_at > now:
            return "scheduled"
        return "live"

    def overlaps(self, other: ScheduledRule) -> bool:
        """Whether the two rules' schedules share a moment."""
        starts_before_other_ends = not (self.starts_at and other.ends_at) or self.starts_at < other.ends_at
        other_starts_before_end = not (other.starts_at and self.ends_at) or other.starts_at < self.ends_at
        return starts_before_other_ends and other_starts_before_end


class SynonymSet(ScheduledRule):
    class Kind(models.TextChoices):
        TWO_WAY = "two_way", "Two-way (all terms are equivalent)"
        ONE_WAY = "one_way", "One-way (the first term also finds the others)"

    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.TWO_WAY)
    terms = models.CharField(
        max_length=500,
        help_text="Comma-separated terms, multi-word allowed: “tee, t-shirt, tshirt”. "
                  "One-way: the first term expands to the rest (“laptop → notebook”). "
                  f"At least two terms, each at most {SYNONYM_TERM_MAX} characters, no HTML.",
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

    def clean(self) -> None:
        super().clean()
        try:
            terms = split_synonym_terms(self.terms or "")
        except ValidationError as exc:
            raise ValidationError({"terms": exc.messages}) from None
        self.terms = ", ".join(terms)
        if self.kind == self.Kind.ONE_WAY and self.is_active:
            self._refuse_circular_mapping()

    def _refuse_circular_mapping(self) -> None:
        """A → B here while another one-way set says B → A (at an overlapping time):
        that is a two-way set written twice, and a sign of a mistake."""
        mine = [words_of(t) for t in self.term_list()]
        head, targets = mine[0], set(mine[1:])
        others = SynonymSet.objects.filter(kind=self.Kind.ONE_WAY, is_active=True)
        if self.pk:
            others = others.exclude(pk=self.pk)
        for other in others:
            theirs = [words_of(t) for t in other.term_list()]
            if len(theirs) < 2 or not self.overlaps(other):
                continue
            if theirs[0] in targets and head in theirs[1:]:
                a, b = self.term_list()[0], other.term_list()[0]
                raise ValidationError({"terms": (
                    f"Circular one-way synonyms: “{a} → {b}” here, while the one-way set “{other}” "
                    f"already maps “{b}” to “{a}”. Use one two-way set (“{a}, {b}”) instead."
                )})


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
        if self.query_term:
            problem = text_input_error(self.query_term, "The query word")
            if problem:
                raise ValidationError({"query_term": problem})
            self.query_term = normalise_query(self.query_term)
        if self.factor is None or not 0 < self.factor <= 100:
            raise ValidationError({"factor": "The factor must be above 0 and at most 100."})
        needs: dict[str, str] = {self.Target.BRAND: "brand", self.Target.CATEGORY: "category",
                                 self.Target.NEW_ARRIVALS: "new_within_days"}
        field = needs.get(self.target)
        if field and not getattr(self, field if field != "brand" and field != "category" else f"{field}_id"):
            raise ValidationError({field: "Required for this kind of rule."})


class PinRule(ScheduledRule):
    query = models.CharField(max_length=QUERY_MAX,
                             help_text="The query (matched case- and space-insensitively).")

    class Meta:
        ordering = ["query"]

    def __str__(self) -> str:
        return self.query

    def save(self, *args, **kwargs):
        self.query = normalise_query(self.query)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        self.query = clean_rule_query(self.query or "")


class PinnedProduct(RulesVersioned):
    class Action(models.TextChoices):
        PIN = "pin", "Show first"
        HIDE = "hide", "Never show"

    rule = models.ForeignKey(PinRule, on_delete=models.CASCADE, related_name="entries")
    # A deleted product takes its pins along; an inactive one stays pinned but is never
    # shown (the index holds only visible products, and pins are searched in the index).
    product = models.ForeignKey(Product, on_delete=models.CASCADE)
    action = models.CharField(
        max_length=4, choices=Action.choices, default=Action.PIN,
        help_text="Show first (pinned, in position order) or never show for this query.",
    )
    position = models.PositiveSmallIntegerField(default=0, help_text="Pinned products: 0 comes first.")

    class Meta:
        ordering = ["position", "id"]
        unique_together = [("rule", "product")]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.product}"


class Redirect(ScheduledRule):
    query = models.CharField(max_length=QUERY_MAX, unique=True,
                             help_text="The query (matched case- and space-insensitively).")
    url = models.CharField(max_length=500, help_text="A path on this site (/pages/returns/) or an https:// URL.")

    class Meta:
        ordering = ["query"]

    def __str__(self) -> str:
        return f"{self.query} → {self.url}"

    def save(self, *args, **kwargs):
        self.query = normalise_query(self.query)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        errors = {}
        try:
            self.query = clean_rule_query(self.query or "")
        except ValidationError as exc:
            errors.update(exc.message_dict)
        problem = redirect_target_error(self.url or "")
        if problem:
            errors["url"] = [problem]
        if errors:
            raise ValidationError(errors)


class FieldWeights(ScheduledRule):
    """How much each text field counts; the newest live row wins."""

    name = models.DecimalField(max_digits=4, decimal_places=1, default=DEFAULT_FIELD_WEIGHTS["name"])
    brand = models.DecimalField(max_digits=4, decimal_places=1, default=DEFAULT_FIELD_WEIGHTS["brand"])
    category = models.DecimalField(max_digits=4, decimal_places=1, default=DEFAULT_FIELD_WEIGHTS["category_text"])
    attributes = models.DecimalField(max_digits=4, decimal_places=1, default=DEFAULT_FIELD_WEIGHTS["attribute_text"],
                                     help_text="The values of the searchable attributes (colour, material…).")
    description = models.DecimalField(max_digits=4, decimal_places=1, default=DEFAULT_FIELD_WEIGHTS["description"])

    class Meta:
        verbose_name_plural = "field weights"

    def __str__(self) -> str:
        return (f"name {self.name}, brand {self.brand}, category {self.category}, attributes {self.attributes}, "
                f"description {self.description}")

    def clean(self) -> None:
        super().clean()
        for field in ("name", "brand", "category", "attributes", "description"):
            value = getattr(self, field)
            if value is None or not 0 <= value <= 50:
                raise ValidationError({field: "Weights go from 0 to 50."})


class TypoSettings(ScheduledRule):
    """How many typos a word may have and where (search.query.ranking.TypoTolerance, Algolia's
    typo settings); the newest live row wins."""

    min_word_size_for_1_typo = models.PositiveSmallIntegerField(
        default=DEFAULT_TYPOS.min_word_size_for_1_typo,
        help_text="Words of at least this many letters may have one typo (“jaket” finds jackets).")
    min_word_size_for_2_typos = models.PositiveSmallIntegerField(
        default=DEFAULT_TYPOS.min_word_size_for_2_typos,
        help_text="Words of at least this many letters may have two typos.")
    disabled_words = models.TextField(
        blank=True, help_text="Words that always match exactly as typed, comma-separated (“sofa, slides”).")
    typos_on_names = models.BooleanField(default="name" not in DEFAULT_TYPOS.disabled_fields)
    typos_on_categories = models.BooleanField(default="category_text" not in DEFAULT_TYPOS.disabled_fields)
    typos_on_brands = models.BooleanField(default="brand" not in DEFAULT_TYPOS.disabled_fields,
                                          help_text="Off: a brand matches only as typed (“Stride” is not “slides”).")
    typos_on_attributes = models.BooleanField(default="attribute_text" not in DEFAULT_TYPOS.disabled_fields,
                                              help_text="Off: colours, materials… match only as typed "
                                                        "(“wool” is not “wood”).")
    typos_on_numbers = models.BooleanField(default=DEFAULT_TYPOS.typos_on_numbers,
                                           help_text="Off: a word with a digit (a SKU, a model number, a size) "
                                                     "matches only as typed.")

    FIELD_SWITCHES = (("typos_on_names", "name"), ("typos_on_categories", "category_text"),
                      ("typos_on_brands", "brand"), ("typos_on_attributes", "attribute_text"))

    class Meta:
        verbose_name = "typo tolerance"
        verbose_name_plural = "typo tolerance"

    def __str__(self) -> str:
        return (f"1 typo from {self.min_word_size_for_1_typo} letters, 2 from {self.min_word_size_for_2_typos}"
                + (f"; exact: {self.disabled_words}" if self.disabled_words else ""))

    def word_list(self) -> list[str]:
        """The disabled words as the query side sees them (lower-case, folded)."""
        return [w for term in self.disabled_words.split(",") for w in words_of(term)]

    def tolerance(self) -> TypoTolerance:
        return TypoTolerance(
            min_word_size_for_1_typo=self.min_word_size_for_1_typo,
            min_word_size_for_2_typos=self.min_word_size_for_2_typos,
            disabled_words=frozenset(self.word_list()),
            disabled_fields=frozenset(field for switch, field in self.FIELD_SWITCHES if not getattr(self, switch)),
            typos_on_numbers=self.typos_on_numbers,
        )

    def clean(self) -> None:
        super().clean()
        errors = {}
        one, two = self.min_word_size_for_1_typo, self.min_word_size_for_2_typos
        if one is None or not 1 <= one <= MAX_TYPO_WORD_SIZE:
            errors["min_word_size_for_1_typo"] = f"Give a length from 1 to {MAX_TYPO_WORD_SIZE} letters."
        if two is None or not 1 <= two <= MAX_TYPO_WORD_SIZE:
            errors["min_word_size_for_2_typos"] = f"Give a length from 1 to {MAX_TYPO_WORD_SIZE} letters."
        elif one is not None and two < one:
            errors["min_word_size_for_2_typos"] = (f"Two typos need a word at least as long as one typo does "
                                                   f"({one} letters or more).")
        problem = text_input_error(self.disabled_words, "The word list")
        if problem:
            errors["disabled_words"] = problem
        elif self.disabled_words.strip() and not self.word_list():
            errors["disabled_words"] = "The list holds no word: give words separated by commas."
        if errors:
            raise ValidationError(errors)
class SemanticSettings(ScheduledRule):
    """Semantic matching for this shop (search.semantic): on or off, and how much the shop's
    terms it adds for a shopper's unknown word count against the words typed. The newest live
    row wins; without one it is on (where the deployment has the model) at DEFAULT_WEIGHT."""

    DEFAULT_WEIGHT = 0.5

    enabled = models.BooleanField(default=True, help_text="Off: searches are lexical only.")
    weight = models.DecimalField(max_digits=3, decimal_places=2, default=DEFAULT_WEIGHT,
                                 help_text="From 0.05 to 1: how much an added term counts against a typed word.")

    class Meta:
        verbose_name = "semantic matching setting"

    def __str__(self) -> str:
        return f"semantic matching {'on' if self.enabled else 'off'}, weight {self.weight}"

    def clean(self) -> None:
        super().clean()
        if self.weight is None or not 0.05 <= self.weight <= 1:
            raise ValidationError({"weight": "The weight goes from 0.05 to 1."})


# --- Facet curation (read at query time, like the rules) ---------------------------




def category_family_paths(category: Category) -> tuple[list[str], str]:
    """(the slug paths of the category and its ancestors, the path prefix of its descendants)."""
    parts = category.slug_path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts) + 1)], category.slug_path + "/"


# The facets of every listing: a FacetSetting curates them by these names, like attributes.
BUILT_IN_FACETS = curated_names()


def facet_name(setting_key: str) -> str:
    """The facet a FacetSetting's ``attribute`` names: a built-in facet or an attribute's."""
    return setting_key if setting_key in BUILT_IN_FACETS else f"attr_{setting_key}"


class FacetSetting(RulesVersioned):
    """How one facet (an attribute's, or a built-in one: brand, price…) shows in a category
    and below (until a subcategory has settings of its own: the nearest category with
    settings decides)."""

    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="facet_settings",
        help_text="Applies here and in the subcategories that have no settings of their own.",
    )
    attribute = models.SlugField(
        "facet", max_length=40,
        # The built-in facets' names come from the registry: the admin form lists them.
        help_text="The code of an attribute of this category, a parent or a subcategory (e.g. “color”), "
                  "or the name of a built-in facet.",
    )
    label = models.CharField(max_length=FACET_LABEL_MAX, blank=True,
                             help_text="Shown as the facet title (e.g. “Publisher” for Brand); empty: its usual title.")
    position = models.PositiveSmallIntegerField(
        null=True, blank=True,
        help_text=("Smaller first: facets with a position come before the others, which keep their usual order "
                   "(the built-in facets, then the attributes). Empty: its usual place."))
    visible = models.BooleanField(default=True, help_text="Untick to hide this facet in the category.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category__slug_path", "position", "attribute"]
        unique_together = [("category", "attribute")]
        verbose_name = "facet setting"

    def __str__(self) -> str:
        return f"{self.category}: {self.label or self.attribute}"

    def clean(self) -> None:
        if self.label:
            problem = text_input_error(self.label, "The label")
            if problem:
                raise ValidationError({"label": problem})
            self.label = " ".join(self.label.split())
        if self.category_id and self.attribute and self.attribute not in BUILT_IN_FACETS:
            paths, below = category_family_paths(self.category)
            defined = AttributeDefinition.objects.filter(
                models.Q(category__slug_path__in=paths) | models.Q(category__slug_path__startswith=below),
                code=self.attribute,
            )
            if not defined.exists():
                raise ValidationError({"attribute": (
                    f"No attribute “{self.attribute}” is defined for {self.category}, its parents or its "
                    "subcategories, and it is not a built-in facet (" + ", ".join(BUILT_IN_FACETS) + "): "
                    "check the code under Store › Attribute definitions."
                )})


class PriceBucketing(RulesVersioned):
    """How the price facet splits the results of a category (and below, until a
    subcategory has its own choice). Without one: round-number ranges."""

    class Mode(models.TextChoices):
        AUTO = "auto", "Round-number ranges that adapt to the results"
        FIXED = "fixed", "Fixed steps (e.g. every $25)"
        EQUAL_COUNT = "equal_count", "Ranges holding similar numbers of products"

    category = models.OneToOneField(Category, on_delete=models.CASCADE, related_name="price_bucketing")
    mode = models.CharField(max_length=12, choices=Mode.choices, default=Mode.AUTO)
    step = models.PositiveIntegerField(
        null=True, blank=True,
        help_text="Fixed steps only: the width of each range, a whole amount (25: under $25, $25 – $50…).",
    )
    range_count = models.PositiveSmallIntegerField(
        default=4, help_text="Similar-numbers mode only: how many ranges (2 to 8).")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category__slug_path"]
        verbose_name = "price bucketing"
        verbose_name_plural = "price bucketing"

    def __str__(self) -> str:
        detail = f" ({self.step})" if self.mode == self.Mode.FIXED else ""
        return f"{self.category}: {self.get_mode_display()}{detail}"

    def clean(self) -> None:
        if self.mode == self.Mode.FIXED and not self.step:
            raise ValidationError({"step": "Fixed steps need the width of a range (a whole amount above 0)."})
        if self.mode == self.Mode.EQUAL_COUNT and not 2 <= (self.range_count or 0) <= 8:
            raise ValidationError({"range_count": "Choose between 2 and 8 ranges."})


@receiver(post_delete, sender=SynonymSet)
@receiver(post_delete, sender=BoostRule)
@receiver(post_delete, sender=PinRule)
@receiver(post_delete, sender=Redirect)
@receiver(post_delete, sender=FieldWeights)
@receiver(post_delete, sender=PinnedProduct)
@receiver(post_delete, sender=FacetSetting)
@receiver(post_delete, sender=PriceBucketing)
def _bump_after_cascade(sender, **kwargs) -> None:
    """Rows deleted by a queryset (the admin's "delete selected", import_synonyms --replace)
    or along with a product or a category: both skip delete()."""
    bump_rules_version()
