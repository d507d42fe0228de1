"""Writes to the catalog that keep its invariants (HackSoft style: services for writes)."""

from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Avg, Count

from .models import Product, Review


def refresh_rating(product_id: int) -> None:
    """Make the product's rating average and count equal its approved reviews."""
    with transaction.atomic():
        summary = Review.objects.filter(product_id=product_id, status=Review.Status.APPROVED).aggregate(
            average=Avg("rating"), count=Count("id")
        )
        average = Decimal(str(summary["average"] or 0)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        # ProductQuerySet.update() records the change for the search index.
        Product.objects.filter(pk=product_id).update(rating_average=average, rating_count=summary["count"])
