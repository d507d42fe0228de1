"""A saved or deleted rate drops its country's cached rates (taxes.display), so shown prices
follow at once where the cache is shared."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .display import forget_rates
from .models import TaxRate


@receiver([post_save, post_delete], sender=TaxRate)
def rate_changed(sender, instance: TaxRate, **kwargs) -> None:
    forget_rates(str(instance.country))
