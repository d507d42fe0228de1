"""Every change that alters what the index shows for a product writes an outbox row."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from store.models import Brand, Category, Product, ProductImage, Vendor, products_changed

from .outbox import record_changes


@receiver(products_changed)
def products_updated(sender, product_ids, **kwargs) -> None:
    """A queryset update (stock, prices…): inside its transaction, like a save's rows."""
    record_changes(product_ids)


@receiver(post_save, sender=Product)
@receiver(post_delete, sender=Product)
def product_changed(sender, instance: Product, **kwargs) -> None:
    record_changes([instance.pk])


@receiver(post_save, sender=ProductImage)
@receiver(post_delete, sender=ProductImage)
def image_changed(sender, instance: ProductImage, **kwargs) -> None:
    record_changes([instance.product_id])


@receiver(post_save, sender=Brand)
def brand_changed(sender, instance: Brand, created: bool, **kwargs) -> None:
    if not created:
        record_changes(Product.objects.filter(brand=instance).values_list("pk", flat=True))


@receiver(post_save, sender=Category)
def category_changed(sender, instance: Category, created: bool, **kwargs) -> None:
    if not created:
        subtree = Category.objects.get_tree(instance)
        record_changes(Product.objects.filter(category__in=subtree).values_list("pk", flat=True))


@receiver(post_save, sender=Vendor)
def vendor_changed(sender, instance: Vendor, created: bool, **kwargs) -> None:
    if not created:
        record_changes(Product.objects.filter(vendor=instance).values_list("pk", flat=True))
