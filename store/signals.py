from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Review
from .services import refresh_rating


@receiver(post_save, sender=Review)
@receiver(post_delete, sender=Review)
def keep_rating_in_step(sender, instance: Review, **kwargs) -> None:
    refresh_rating(instance.product_id)
