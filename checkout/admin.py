"""Orders in the back office. Status changes go through checkout.orders (the state machine,
restocking, refunds at the gateway); nothing here edits money or lines by hand.
Vendors see only the order lines of their own products, never whole orders."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from store.admin import own_vendor_ids, sees_all_products

from .fulfilment import SHIPPABLE, FulfilmentError, lines_for, ship_lines
from .gateways import PaymentError
from .models import Order, OrderLine, Payment, Shipment
from .orders import TransitionError, cancel_order, refund_order, transition

SHIP_PERMISSION = "checkout.add_shipment"


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ("product_name", "sku", "vendor", "unit_price", "quantity", "line_total")
    readonly_fields = fields


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = (
        "gateway",
        "external_id",
        "amount",
        "currency",
        "status",
        "received_amount",
        "message",
        "refund_id",
        "created_at",
    )
    readonly_fields = fields


class ShipmentInline(ReadOnlyInline):
    model = Shipment
    fields = ("vendor", "carrier", "tracking_number", "shipped_by", "shipped_at")
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("number", "created_at", "email", "status", "total", "currency", "needs_review")
    list_filter = ("status", "needs_review", "shipping_method", "created_at")
    search_fields = ("=id", "email", "full_name", "user__username", "lines__sku", "payments__external_id")
    date_hierarchy = "created_at"
    list_select_related = ("user",)
    inlines = (OrderLineInline, ShipmentInline, PaymentInline)
    actions = ("mark_fulfilled", "cancel_orders", "refund_orders", "clear_review_flag")
    fieldsets = (
        (None, {"fields": ("status", "user", "email", "created_at", "paid_at", "idempotency_key")}),
        ("Totals", {"fields": ("currency", "subtotal", "shipping_cost", "tax_rate", "tax", "total")}),
        (
            "Shipping",
            {
                "fields": (
                    "shipping_method_label",
                    "full_name",
                    "address_line1",
                    "address_line2",
                    "city",
                    "postal_code",
                    "country",
                    "phone",
                )
            },
        ),
        ("Review", {"fields": ("needs_review", "review_note")}),
    )
    readonly_fields = (
        "status",
        "user",
        "email",
        "created_at",
        "paid_at",
        "idempotency_key",
        "currency",
        "subtotal",
        "shipping_cost",
        "tax_rate",
        "tax",
        "total",
        "shipping_method_label",
        "needs_review",
    )

    @admin.display(description="Order", ordering="id")
    def number(self, order: Order) -> str:
        return order.number

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # orders come from the checkout only

    def has_delete_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return False  # business records: cancel or refund instead

    def _each(self, request: HttpRequest, queryset: QuerySet[Order], change, done: str) -> None:
        ok = 0
        for order in queryset:
            try:
                change(order)
            except (TransitionError, PaymentError) as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                ok += 1
        if ok:
            self.message_user(request, f"{ok} order(s) {done}.", messages.SUCCESS)

    @admin.action(description="Mark selected orders fulfilled", permissions=["change"])
    def mark_fulfilled(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        self._each(request, queryset, lambda o: transition(o, Order.Status.FULFILLED), "fulfilled")

    @admin.action(description="Cancel selected unpaid orders (returns stock)", permissions=["change"])
    def cancel_orders(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        self._each(request, queryset, cancel_order, "cancelled")

    @admin.action(description="Refund selected orders through the payment gateway", permissions=["change"])
    def refund_orders(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        self._each(request, queryset, refund_order, "refunded")

    @admin.action(description="Clear the review flag of selected orders", permissions=["change"])
    def clear_review_flag(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        count = queryset.filter(needs_review=True).update(needs_review=False)
        self.message_user(request, f"{count} order(s) cleared.", messages.SUCCESS)


class ShipmentForm(forms.Form):
    carrier = forms.ChoiceField(choices=())
    tracking_number = forms.CharField(max_length=40)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["carrier"].choices = [(code, c["label"]) for code, c in settings.SHIPPING_CARRIERS.items()]


@admin.register(OrderLine)
class OrderLineAdmin(admin.ModelAdmin):
    """What was sold, line by line: a vendor's view of the orders of its products, where it
    ships them (the "Ship" page: its own lines of one order, the address, carrier and tracking)."""

    list_display = (
        "order_number",
        "order_date",
        "order_status",
        "product_name",
        "sku",
        "quantity",
        "unit_price",
        "line_total",
        "vendor",
        "shipping",
    )
    list_filter = (
        "order__status", ("vendor", admin.RelatedOnlyFieldListFilter), ("shipment", admin.EmptyFieldListFilter)
    )
    search_fields = ("product_name", "sku", "order__id")
    list_select_related = ("order", "vendor", "shipment")
    fields = (
        "order_number",
        "order_date",
        "order_status",
        "product_name",
        "sku",
        "vendor",
        "unit_price",
        "quantity",
        "line_total",
        "shipping",
        "ship_to",
    )
    readonly_fields = fields

    @admin.display(description="Shipping")
    def shipping(self, line: OrderLine) -> str:
        if line.shipment_id:
            return f"{line.shipment} ({line.shipment.shipped_at:%Y-%m-%d})"
        if line.order.status in SHIPPABLE:
            url = reverse("admin:checkout_orderline_ship", kwargs={"order_id": line.order_id})
            return format_html('<a class="button" href="{}">Ship…</a>', url)
        return "—"

    @admin.display(description="Ship to")
    def ship_to(self, line: OrderLine) -> str:
        order = line.order
        parts = [order.full_name, order.address_line1, order.address_line2,
                 f"{order.postal_code} {order.city}", order.country_area, order.country.name, order.phone]
        return format_html("{}", " · ".join(p for p in parts if p))

    def get_urls(self):
        return [
            path("ship/<int:order_id>/", self.admin_site.admin_view(self.ship_view), name="checkout_orderline_ship"),
            *super().get_urls(),
        ]

    def ship_view(self, request: HttpRequest, order_id: int) -> HttpResponse:
        """Ship some of the user's own lines of one order. Another vendor's line: 403, nothing changed."""
        if not request.user.has_perm(SHIP_PERMISSION):
            raise PermissionDenied
        order = get_object_or_404(Order, pk=order_id)
        lines = lines_for(request.user, order)
        if not lines:
            raise Http404("No lines of yours in this order.")
        form = ShipmentForm(request.POST or None)
        if request.method == "POST":
            try:
                line_ids = [int(value) for value in request.POST.getlist("lines")]
            except ValueError:
                return HttpResponseBadRequest("Lines are given by their ids.")
            if form.is_valid():
                try:
                    shipment = ship_lines(user=request.user, order=order, line_ids=line_ids,
                                          carrier=form.cleaned_data["carrier"],
                                          tracking_number=form.cleaned_data["tracking_number"])
                except FulfilmentError as exc:
                    form.add_error(None, str(exc))
                else:
                    self.message_user(request, f"Order {order.number}: {shipment.lines.count()} line(s) shipped "
                                               f"with {shipment}. The customer is e-mailed the tracking number.",
                                      messages.SUCCESS)
                    return redirect("admin:checkout_orderline_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": f"Ship order {order.number}",
            "order": order,
            "lines": lines,
            "form": form,
            "shippable": order.status in SHIPPABLE,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/checkout/orderline/ship.html", context)

    @admin.display(description="Order", ordering="order_id")
    def order_number(self, line: OrderLine) -> str:
        return line.order.number

    @admin.display(description="Date", ordering="order__created_at")
    def order_date(self, line: OrderLine):
        return line.order.created_at

    @admin.display(description="Status", ordering="order__status")
    def order_status(self, line: OrderLine) -> str:
        return line.order.get_status_display()

    def get_queryset(self, request: HttpRequest) -> QuerySet[OrderLine]:
        queryset = super().get_queryset(request)
        if sees_all_products(request):
            return queryset
        return queryset.filter(vendor__in=own_vendor_ids(request))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: OrderLine | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: OrderLine | None = None) -> bool:
        return False
