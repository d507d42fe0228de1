"""The catalog: the source of truth that the search index follows."""

import re
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone
from treebeard.mp_tree import MP_Node

NAME_MAX = 200
REVIEW_TITLE_MAX = 120
REVIEW_BODY_MAX = 4000


class Category(MP_Node):
    """A node of the category tree; ``slug_path`` ("clothing/tops/t-shirts") is its URL."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120)
    slug_path = models.CharField(max_length=600, unique=True, editable=False)
    description = models.TextField(blank=True)

    node_order_by = ["name"]

    class Meta:
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.slug_path or self.name

    def compute_slug_path(self) -> str:
        parent = Category.objects.get_parent(self) if self.depth and self.depth > 1 else None
        return f"{parent.slug_path}/{self.slug}" if parent else self.slug

    def save(self, *args, **kwargs):
        old_path = self.slug_path
        self.slug_path = self.compute_slug_path()
        super().save(*args, **kwargs)
        if old_path and old_path != self.slug_path:
            # Keep the descendants' URLs in step with a renamed or moved parent.
            for child in Category.objects.get_children(self):
                child.save()

    def get_absolute_url(self) -> str:
        return reverse("category", kwargs={"slug_path": self.slug_path})

    def ancestors_and_self(self) -> list["Category"]:
        return [*Category.objects.get_ancestors(self), self]


class Brand(models.Model):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Vendor(models.Model):
    """A seller; its users manage only its own products."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="vendors", blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AttributeDefinition(models.Model):
    """A typed, filterable attribute (color, size…) of the products of a category subtree."""

    class Kind(models.TextChoices):
        CHOICE = "choice", "Choice"
        TEXT = "text", "Text"
        NUMBER = "number", "Number"
        BOOLEAN = "boolean", "Yes/No"

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="attribute_definitions")
    code = models.SlugField(max_length=40, help_text="Key in Product.attributes, e.g. 'color'.")
    label = models.CharField(max_length=80)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CHOICE)
    choices = models.JSONField(default=list, blank=True, help_text="Allowed values for a choice attribute.")
    searchable = models.BooleanField(
        default=True,
        help_text="Shoppers' words find its values (\"bamboo comforter\"). Usually on for choices and "
                  "text, off for numbers and yes/no.",
    )

    # Words a shopper types: choice and text values. Numbers and yes/no are filters, not words.
    SEARCHABLE_KINDS = frozenset({Kind.CHOICE.value, Kind.TEXT.value})

    class Meta:
        unique_together = [("category", "code")]
        ordering = ["category", "code"]

    def __init__(self, *args, **kwargs) -> None:
        # A new definition (keyword arguments only; the database's rows come positionally)
        # without an explicit flag is searchable by its kind: a field default cannot see the kind.
        if not args and "searchable" not in kwargs:
            kwargs["searchable"] = kwargs.get("kind", self.Kind.CHOICE) in self.SEARCHABLE_KINDS
        super().__init__(*args, **kwargs)

    def __str__(self) -> str:
        return f"{self.category}: {self.label}"

    def validate_value(self, value) -> None:
        if self.kind == self.Kind.NUMBER and not isinstance(value, (int, float)):
            raise ValidationError(f"{self.label} must be a number.")
        if self.kind == self.Kind.BOOLEAN and not isinstance(value, bool):
            raise ValidationError(f"{self.label} must be true or false.")
        if self.kind in (self.Kind.CHOICE, self.Kind.TEXT) and not isinstance(value, str):
            raise ValidationError(f"{self.label} must be text.")
        if self.kind == self.Kind.CHOICE and self.choices and value not in self.choices:
            raise ValidationError(f"{value!r} is not an allowed {self.label}.")


# Sent with ``product_ids`` and ``fields`` (the names the update wrote) when products change
# without a save() (a queryset update), inside the change's transaction. The catalog knows
# nothing of who listens (the indexing app).
products_changed = Signal()


class ProductQuerySet(models.QuerySet):
    def update(self, **kwargs) -> int:
        """Every bulk update says which products changed (``products_changed``, sent inside
        the update's transaction): the index follows them as it follows saves."""
        kwargs.setdefault("updated_at", timezone.now())
        with transaction.atomic(using=self.db):
            ids = list(self.values_list("pk", flat=True))
            count = super().update(**kwargs)
            products_changed.send(sender=Product, product_ids=ids, fields=frozenset(kwargs))
        return count

    def visible(self) -> "ProductQuerySet":
        """What shoppers may see: active products of active (or no) vendors."""
        return self.filter(is_active=True).exclude(vendor__is_active=False)


class Product(models.Model):
    name = models.CharField(max_length=NAME_MAX)
    slug = models.SlugField(max_length=NAME_MAX + 20, unique=True)
    sku = models.CharField("SKU", max_length=64, unique=True)
    description = models.TextField(blank=True, max_length=20000)
    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="products")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="products", null=True, blank=True)
    price = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    currency = models.CharField(max_length=3, default="USD")
    compare_at_price = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(Decimal("0"))]
    )
    stock_quantity = models.PositiveIntegerField(default=0)
    # Which rates apply (taxes.TaxRate, per country); none: the destination's standard rate.
    tax_class = models.ForeignKey(
        "taxes.TaxClass", on_delete=models.PROTECT, null=True, blank=True, related_name="products",
        help_text="Empty: the standard rate of the country the order ships to.",
    )
    is_active = models.BooleanField(default=True)
    attributes = models.JSONField(default=dict, blank=True)
    # Kept equal to the approved reviews by store.services.refresh_rating.
    rating_average = models.DecimalField(max_digits=3, decimal_places=2, default=Decimal("0"))
    rating_count = models.PositiveIntegerField(default=0)
    sales_count = models.PositiveIntegerField(default=0, help_text="Units sold: the popularity signal.")
    # Set on creation (a default, not auto_now_add, so that the demo seeding can date its products).
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        permissions = [("manage_all_products", "Can manage the products of every vendor")]
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gte=0), name="product_price_non_negative"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("product", kwargs={"slug": self.slug})

    @property
    def in_stock(self) -> bool:
        return self.stock_quantity > 0

    @property
    def on_sale(self) -> bool:
        return self.compare_at_price is not None and self.compare_at_price > self.price

    def clean(self) -> None:
        self.validate_attributes(self.attribute_definitions() if self.category_id else None)

    def attribute_definitions(self) -> dict[str, AttributeDefinition]:
        """The attributes defined on the product's category and its ancestors, by code."""
        return {d.code: d for d in AttributeDefinition.objects.filter(category__in=self.category.ancestors_and_self())}

    def validate_attributes(self, definitions: dict[str, AttributeDefinition] | None) -> None:
        """``attributes`` against its category's definitions (none: no category to judge by).
        An import passes the definitions it loaded once per category."""
        if not isinstance(self.attributes, dict):
            raise ValidationError({"attributes": "Attributes must be an object of code → value."})
        if definitions is None:
            return
        errors = []
        for code, value in self.attributes.items():
            definition = definitions.get(code)
            if definition is None:
                errors.append(f"Unknown attribute {code!r} for category {self.category}.")
                continue
            try:
                definition.validate_value(value)
            except ValidationError as exc:
                errors.extend(exc.messages)
        if errors:
            raise ValidationError({"attributes": errors})


def image_url_is_safe(url: str) -> bool:
    """Whether the pages show an image URL as it is (store.templatetags.storefront.image_src,
    the same rule): http(s), a path on this site, or a relative path under the static root.
    Any other scheme (``javascript:``, ``data:``) or a protocol-relative ``//host`` is not."""
    # Read as a browser reads it: tabs and newlines dropped, a backslash is a slash ("/\\host"
    # and "/\t/host" are "//host", another site).
    seen = re.sub(r"[\t\n\r]", "", url.strip()).replace("\\", "/")
    if seen.lower().startswith(("https://", "http://")):
        return True
    if seen.startswith("//"):
        return False
    return bool(seen) and (seen.startswith("/") or ":" not in seen.split("/", 1)[0])


MEDIA_SOURCE_PREFIX = "media:"


def image_source(url: str, image_name: str) -> str:
    """``ProductImage.source`` from a row's two columns (the index reads them without models)."""
    return f"{MEDIA_SOURCE_PREFIX}{image_name}" if image_name else url


class ProductImage(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    # An upload (stored through Django's storage API: the file system, or S3 with django-storages)
    # or an address: the upload wins when both are given. Thumbnails: store.images.
    image = models.ImageField(upload_to="products/%Y/%m/", blank=True, max_length=300)
    url = models.CharField(max_length=500, blank=True,
                           help_text="Or an absolute URL or a path under the static root.")
    alt = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.alt or self.url

    @property
    def source(self) -> str:
        """What the pages and the index know the image by: ``media:<storage name>`` for an
        upload (store.images makes its thumbnails), else the address."""
        return f"{MEDIA_SOURCE_PREFIX}{self.image.name}" if self.image else self.url

    def clean(self) -> None:
        if not self.image and not self.url:
            raise ValidationError("Upload an image or give its address.")
        # In clean(), not a field validator: no migration, and the admin's inline runs it.
        if self.url and not image_url_is_safe(self.url):
            raise ValidationError({"url": "Use an http(s) URL or a path on this site; "
                                          "javascript:, data: and //host addresses are refused."})


class Review(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending moderation"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="reviews")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews")
    rating = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    title = models.CharField(max_length=REVIEW_TITLE_MAX)
    body = models.TextField(max_length=REVIEW_BODY_MAX)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        unique_together = [("product", "author")]
        constraints = [
            models.CheckConstraint(condition=models.Q(rating__gte=1, rating__lte=5), name="review_rating_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.rating}★ {self.title}"


class ShopSettings(models.Model):
    """The shop's identity, edited in the admin: one row (``ShopSettings.current()``)."""

    name = models.CharField(max_length=80, default="Catalog")
    tagline = models.CharField(max_length=160, blank=True, default="Everything in the catalog, one search away.")
    logo = models.ImageField(upload_to="shop/", blank=True, help_text="Shown in the header; square works best.")

    class Meta:
        verbose_name = verbose_name_plural = "shop settings"

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.pk = 1  # one row, whoever saves
        super().save(*args, **kwargs)


class FooterPage(models.Model):
    """A page linked from every page's footer: shipping, returns, contact…"""

    title = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120, unique=True)
    body = models.TextField(help_text="Plain text; blank lines start paragraphs.")
    position = models.PositiveSmallIntegerField(default=0)
    is_published = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("footer-page", kwargs={"slug": self.slug})


class WishlistItem(models.Model):
    """A product a signed-in customer keeps for later."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wishlist_items")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="wishlist_items")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-added_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "product"], name="wishlist_item_once_per_user")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.product_id}"
