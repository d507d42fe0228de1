"""Every change that alters what the index shows for a product writes an outbox row."""

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from store.models import AttributeDefinition, Brand, Category, Product, ProductImage, Vendor, products_changed

from .outbox import record_changes


@receiver(products_changed)
def products_updated(sender, product_ids, fields=None, **kwargs) -> None:
    """A queryset update (stock, prices…): inside its transaction, like a save's rows."""
    record_changes(product_ids, fields)


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


def _record_subtrees(category_ids: set[int]) -> None:
    """The products of these categories and of their descendants."""
    products: set[int] = set()
    for category in Category.objects.filter(pk__in=category_ids):
        subtree = Category.objects.get_tree(category)
        products.update(Product.objects.filter(category__in=subtree).values_list("pk", flat=True))
    record_changes(sorted(products))


@receiver(post_save, sender=Category)
def category_changed(sender, instance: Category, created: bool, **kwargs) -> None:
    if not created:
        _record_subtrees({instance.pk})


def _searched_as(definition: AttributeDefinition) -> tuple[int, str] | None:
    """What the documents take from a definition (search.documents.attribute_text): the
    values of its code in its category's subtree, when it is searchable."""
    return (definition.category_id, definition.code) if definition.searchable else None


@receiver(pre_save, sender=AttributeDefinition)
def attribute_definition_saving(sender, instance: AttributeDefinition, **kwargs) -> None:
    before = AttributeDefinition.objects.filter(pk=instance.pk).first() if instance.pk else None
    instance._searched_before = _searched_as(before) if before else None  # type: ignore[attr-defined]


@receiver(post_save, sender=AttributeDefinition)
def attribute_definition_changed(sender, instance: AttributeDefinition, **kwargs) -> None:
    """A definition made searchable or not (or moved, or renamed while searchable) changes
    the attribute text of its subtree's products: re-index them, as a category edit does."""
    before, after = getattr(instance, "_searched_before", None), _searched_as(instance)
    if before != after:
        _record_subtrees({searched[0] for searched in (before, after) if searched})


@receiver(post_delete, sender=AttributeDefinition)
def attribute_definition_deleted(sender, instance: AttributeDefinition, **kwargs) -> None:
    if instance.searchable:
        _record_subtrees({instance.category_id})


@receiver(post_save, sender=Vendor)
def vendor_changed(sender, instance: Vendor, created: bool, **kwargs) -> None:
    if not created:
        record_changes(Product.objects.filter(vendor=instance).values_list("pk", flat=True))
