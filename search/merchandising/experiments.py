"""A/B tests of the search configuration: an experiment serves two variants of what changes
the ranking, each to a stable half of the visitors (search.analytics.experiments assigns them,
search.analytics.experiment_report compares them).

A variant is the live configuration plus its own changes: field weights and typo thresholds
(empty: the live ones) and rules that apply in this variant only (a boost, a synonym set or a pin rule that is
switched off for everyone else). Variant A is usually left as it is: the control.

At most one experiment runs at a time (a database constraint): every visitor is in it or
in none. Saving an experiment or a variant bumps the rules version, so every process serves
the new configuration within seconds and no cached page of another configuration is read.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.db.models.signals import m2m_changed, post_delete
from django.dispatch import receiver
from django.utils import timezone

from search.query.ranking import MAX_TYPO_WORD_SIZE, TypoTolerance

from .models import BoostRule, FieldWeights, PinRule, RulesVersioned, SynonymSet, TypoSettings
from .version import bump_rules_version

VARIANT_KEYS = ("a", "b")
WEIGHT_FIELDS = ("name", "brand", "category", "attributes", "description")


class Experiment(RulesVersioned):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft (previewable, not served)"
        RUNNING = "running", "Running"
        STOPPED = "stopped", "Stopped"
        PROMOTED = "promoted", "Promoted (a variant became the default)"

    name = models.CharField(max_length=120)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT, editable=False)
    b_percent = models.PositiveSmallIntegerField(
        "share of visitors in B (%)", default=50, help_text="The others see variant A. 50 for a fair test.")
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    ended_at = models.DateTimeField(null=True, blank=True, editable=False)
    promoted_variant = models.CharField(max_length=1, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["status"], condition=Q(status="running"),
                                               name="one_running_search_experiment")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not 1 <= (self.b_percent or 0) <= 99:
            raise ValidationError({"b_percent": "Between 1 and 99 % of visitors."})

    def variant(self, key: str) -> ExperimentVariant:
        return self.variants.get(key=key)

    def start(self) -> None:
        """Serve both variants from now on."""
        if self.status != self.Status.DRAFT:
            raise ValidationError(f"“{self}” is {self.get_status_display().lower()}: only a draft can start.")
        running = Experiment.objects.filter(status=self.Status.RUNNING).exclude(pk=self.pk).first()
        if running is not None:
            raise ValidationError(f"“{running}” is running: stop it first (one experiment at a time).")
        for key in VARIANT_KEYS:
            ExperimentVariant.objects.get_or_create(experiment=self, key=key)
        self.status, self.started_at = self.Status.RUNNING, timezone.now()
        self.save()

    def stop(self) -> None:
        """Everyone gets the default configuration again; the figures stay."""
        if self.status != self.Status.RUNNING:
            raise ValidationError(f"“{self}” is not running.")
        self.status, self.ended_at = self.Status.STOPPED, timezone.now()
        self.save()

    def promote(self, key: str) -> None:
        """Make variant ``key`` the default for everyone, in one transaction: its field weights
        become the live ones (a new FieldWeights row) and its rules are switched on; then the
        experiment ends."""
        if self.status not in (self.Status.RUNNING, self.Status.STOPPED):
            raise ValidationError(f"“{self}” is {self.get_status_display().lower()}: nothing to promote.")
        with transaction.atomic():
            variant = self.variant(key)
            weights = variant.field_weights()
            if weights is not None:
                FieldWeights.objects.create(**dict(zip(WEIGHT_FIELDS, weights, strict=True)))
            live_typos = TypoSettings.live().order_by("-updated_at").first() or TypoSettings()
            typos = variant.typo_tolerance(live_typos.tolerance())
            if typos is not None:  # a new row, the live one's other settings kept: the newest live row wins
                live_typos.pk = None
                live_typos.starts_at = live_typos.ends_at = None
                live_typos.min_word_size_for_1_typo = typos.min_word_size_for_1_typo
                live_typos.min_word_size_for_2_typos = typos.min_word_size_for_2_typos
                live_typos.is_active = True
                live_typos.save()
            for rules in (variant.boosts, variant.synonyms, variant.pins):
                for rule in rules.filter(is_active=False):
                    rule.is_active = True
                    rule.save()  # save(): each bumps the rules version, as an admin edit would
            self.status, self.promoted_variant = self.Status.PROMOTED, key
            self.ended_at = self.ended_at or timezone.now()
            self.save()


def _weight(label: str) -> models.DecimalField:
    return models.DecimalField(label, max_digits=4, decimal_places=1, null=True, blank=True,
                               help_text="Empty: the live weight.")


class ExperimentVariant(RulesVersioned):
    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="variants")
    key = models.CharField(max_length=1, choices=[(k, k.upper()) for k in VARIANT_KEYS])
    description = models.CharField(max_length=200, blank=True)
    name_weight = _weight("name weight")
    brand_weight = _weight("brand weight")
    category_weight = _weight("category weight")
    attributes_weight = _weight("attributes weight")
    description_weight = _weight("description weight")
    min_word_size_for_1_typo = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Words of at least this many letters may have one typo. Empty: the live "
                                         "setting.")
    min_word_size_for_2_typos = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Words of at least this many letters may have two typos. Empty: the live "
                                         "setting.")
    boosts = models.ManyToManyField(BoostRule, blank=True, related_name="+",
                                    help_text="Applied in this variant only (switch them off for everyone else).")
    synonyms = models.ManyToManyField(SynonymSet, blank=True, related_name="+",
                                      help_text="Applied in this variant only (switch them off for everyone else).")
    pins = models.ManyToManyField(PinRule, blank=True, related_name="+",
                                  help_text="Applied in this variant only (switch them off for everyone else).")

    class Meta:
        ordering = ["experiment", "key"]
        unique_together = [("experiment", "key")]

    def __str__(self) -> str:
        return f"{self.experiment} · {self.key.upper()}"

    @property
    def serving_key(self) -> str:
        """What a search request carries (SearchRequest.variant) and analytics record."""
        return f"{self.experiment_id}:{self.key}"

    def field_weights(self) -> tuple[Decimal, ...] | None:
        """The variant's weights, the live ones filling the empty fields; None: no change."""
        own = [getattr(self, f"{field}_weight") for field in WEIGHT_FIELDS]
        if all(value is None for value in own):
            return None
        live = FieldWeights.live().order_by("-updated_at").first() or FieldWeights()
        return tuple(value if value is not None else getattr(live, field)
                     for value, field in zip(own, WEIGHT_FIELDS, strict=True))

    def typo_tolerance(self, live: TypoTolerance) -> TypoTolerance | None:
        """The live typo tolerance with this variant's thresholds; None: no change."""
        one, two = self.min_word_size_for_1_typo, self.min_word_size_for_2_typos
        if one is None and two is None:
            return None
        return replace(live, min_word_size_for_1_typo=live.min_word_size_for_1_typo if one is None else one,
                       min_word_size_for_2_typos=live.min_word_size_for_2_typos if two is None else two)

    def clean(self) -> None:
        errors = {}
        for field in WEIGHT_FIELDS:
            value = getattr(self, f"{field}_weight")
            if value is not None and not 0 <= value <= 50:
                errors[f"{field}_weight"] = "Weights go from 0 to 50."
        one, two = self.min_word_size_for_1_typo, self.min_word_size_for_2_typos
        for name, value in (("min_word_size_for_1_typo", one), ("min_word_size_for_2_typos", two)):
            if value is not None and not 1 <= value <= MAX_TYPO_WORD_SIZE:
                errors[name] = f"Give a length from 1 to {MAX_TYPO_WORD_SIZE} letters."
        if one is not None and two is not None and two < one and "min_word_size_for_2_typos" not in errors:
            errors["min_word_size_for_2_typos"] = (f"Two typos need a word at least as long as one typo does "
                                                   f"({one} letters or more).")
        if errors:
            raise ValidationError(errors)


def parse_serving_key(key: str) -> tuple[int, str] | None:
    """(experiment id, variant key) of a SearchRequest.variant, or None."""
    experiment, _, variant = (key or "").partition(":")
    if not experiment.isdigit() or variant not in VARIANT_KEYS or len(experiment) > 9:
        return None
    return int(experiment), variant


@receiver(m2m_changed, sender=ExperimentVariant.boosts.through)
@receiver(m2m_changed, sender=ExperimentVariant.synonyms.through)
@receiver(m2m_changed, sender=ExperimentVariant.pins.through)
@receiver(post_delete, sender=Experiment)
@receiver(post_delete, sender=ExperimentVariant)
def _bump_after_relation_change(sender, **kwargs) -> None:
    """A variant's rules change without a save() (the admin's multiple select), and a cascade skips delete()."""
    if kwargs.get("action", "post_").startswith("post_"):
        bump_rules_version()
