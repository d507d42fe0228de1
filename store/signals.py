from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .images import make_thumbnails
from .models import ProductImage, Review
from .services import refresh_rating


@receiver(post_save, sender=Review)
@receiver(post_delete, sender=Review)
def keep_rating_in_step(sender, instance: Review, **kwargs) -> None:
    refresh_rating(instance.product_id)


@receiver(post_save, sender=ProductImage)
def make_image_thumbnails(sender, instance: ProductImage, **kwargs) -> None:
    """Pages only name the thumbnails (store.images): write them once the upload is stored."""
    if instance.image:
        name = instance.image.name
        transaction.on_commit(lambda: make_thumbnails(name))
