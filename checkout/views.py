"""Cart, checkout, orders and payment pages. Thin: plain forms, POST for every change, the
writes in checkout.cart, orders and payments. Everything works without JavaScript except
Stripe's card field."""

from __future__ import annotations

import functools
import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from search.analytics.attribution import attribute_order, record_add_to_cart
from store.models import Product
from taxes.display import display_country
from taxes.rates import rates_for

from . import guest_orders
from .cart import CartError, add_to_cart, get_cart, remove_item, set_item_quantity
from .forms import AddToCartForm, CartQuantityForm, CheckoutForm, OrderLookupForm
from .gateways import PaymentError, gateway_named, get_gateway
from .gateways.dummy import DummyGateway
from .models import CartItem, Order, Payment
from .orders import ADDRESS_FIELDS, CheckoutError, TransitionError, cancel_order, place_order
from .payments import PaymentOutcome
from .pricing import compute_totals
from .selectors import CartView, cart_view, cart_view_for_display, order_of, orders_of

logger = logging.getLogger(__name__)


# --- Cart ---------------------------------------------------------------------------------


def _quantity_form(item: CartItem, data=None) -> CartQuantityForm:
    # One small form per line; a per-line auto_id keeps the ids on the page unique.
    return CartQuantityForm(data, initial={"quantity": item.quantity}, auto_id=f"id_item{item.pk}_%s")


def _render_cart(
    request: HttpRequest,
    view: CartView,
    bound: CartQuantityForm | None = None,
    bound_item_id: int | None = None,
) -> HttpResponse:
    for line in view.lines:
        line.form = bound if line.item.pk == bound_item_id else _quantity_form(line.item)
    return render(request, "checkout/cart.html", {"cart": view})


@require_GET
def cart_page(request: HttpRequest) -> HttpResponse:
    return _render_cart(request, cart_view_for_display(get_cart(request)))


def _purchasable_product(raw_id: str | None) -> Product:
    try:
        product_id = int(raw_id or "")
    except ValueError:
        raise Http404("No such product.") from None
    product = Product.objects.visible().select_related("brand", "vendor").filter(pk=product_id).first()
    if product is None:
        raise Http404("No such product.")
    return product


@require_POST
def cart_add(request: HttpRequest) -> HttpResponse:
    product = _purchasable_product(request.POST.get("product"))
    form = AddToCartForm(request.POST)
    if form.is_valid():
        try:
            add_to_cart(get_cart(request, create=True), product, form.cleaned_data["quantity"])
        except CartError as exc:
            form.add_error("quantity", str(exc))
        else:
            quantity = form.cleaned_data["quantity"]
            record_add_to_cart(request, product.pk, quantity)  # for the search that led here, if any
            messages.success(request, f"Added {quantity} × “{product.name}” to your cart.")
            return redirect("cart")
    # Re-shown on a page of its own: the product page belongs to the store app.
    return render(request, "checkout/add_to_cart.html", {"product": product, "form": form})


def _own_item(request: HttpRequest, item_id: int) -> CartItem:
    cart = get_cart(request)
    if cart is None:
        raise Http404("Your cart is empty.")
    return get_object_or_404(CartItem.objects.select_related("product"), pk=item_id, cart=cart)


@require_POST
def cart_update(request: HttpRequest, item_id: int) -> HttpResponse:
    item = _own_item(request, item_id)
    form = _quantity_form(item, request.POST)
    if form.is_valid():
        try:
            set_item_quantity(item, form.cleaned_data["quantity"])
        except CartError as exc:
            form.add_error("quantity", str(exc))
        else:
            messages.success(request, f"Updated the quantity of “{item.product.name}”.")
            return redirect("cart")
    return _render_cart(request, cart_view_for_display(item.cart), bound=form, bound_item_id=item.pk)


@require_POST
def cart_remove(request: HttpRequest, item_id: int) -> HttpResponse:
    item = _own_item(request, item_id)
    remove_item(item)
    messages.success(request, f"Removed “{item.product.name}” from your cart.")
    return redirect("cart")


# --- Checkout -----------------------------------------------------------------------------


def _checkout_initial(request: HttpRequest) -> dict:
    """Prefill from the last order: returning customers rarely move."""
    if not request.user.is_authenticated:
        return {}
    initial = {"email": request.user.email}
    last = Order.objects.filter(user=request.user).order_by("-created_at").first()
    if last is not None:
        initial.update({name: getattr(last, name) for name in ADDRESS_FIELDS})
        initial["email"] = initial["email"] or last.email
        if last.shipping_method in settings.SHIPPING_METHODS:
            initial["shipping_method"] = last.shipping_method
    return initial


def _render_checkout(
    request: HttpRequest, form: CheckoutForm, view: CartView, method: str | None, status: int = 200
) -> HttpResponse:
    if method not in settings.SHIPPING_METHODS:
        method = next(iter(settings.SHIPPING_METHODS))
    # The tax of the country typed so far (the last order's, or the display country's).
    country = str(form["country"].value() or "") or display_country()
    totals = compute_totals(view.tax_at(rates_for(country)), method)
    context = {
        "form": form,
        "cart": view,
        "totals": totals,
        "shipping_label": settings.SHIPPING_METHODS[method]["label"],
        "shipping_costs": {code: m["cost"] for code, m in settings.SHIPPING_METHODS.items()},
    }
    return render(request, "checkout/checkout.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def checkout(request: HttpRequest) -> HttpResponse:
    """With an account or as a guest: the e-mail address on the form is where the order's news goes."""
    cart = get_cart(request, create=request.method == "POST")
    if request.method != "POST":
        view = cart_view(cart)
        if view.is_empty:
            messages.info(request, "Your cart is empty.")
            return redirect("cart")
        form = CheckoutForm(initial=_checkout_initial(request))
        return _render_checkout(request, form, view, form["shipping_method"].value())

    if request.POST.get("action") == "update":
        # "Update total" without JavaScript: show the chosen method's cost, keep the typing.
        form = CheckoutForm(initial=request.POST.dict())
        return _render_checkout(request, form, cart_view(cart), request.POST.get("shipping_method"))

    form = CheckoutForm(request.POST)
    if form.is_valid():
        try:
            order = place_order(
                user=request.user if request.user.is_authenticated else None,
                cart=cart,
                email=form.cleaned_data["email"],
                address=form.address(),
                shipping_method=form.cleaned_data["shipping_method"],
                idempotency_key=form.cleaned_data["idempotency_key"],
                expected_subtotal=form.cleaned_data.get("expected_subtotal"),
            )
        except CheckoutError as exc:
            for problem in exc.problems:
                form.add_error(None, problem)
        else:
            attribute_order(request, order)  # each line's search, if one led to it (search analytics)
            if order.user_id is None:
                guest_orders.remember(request, order)
            return redirect("order_pay", pk=order.pk)
    view = cart_view(cart)
    if view.is_empty:  # nothing left to order (e.g. a stale tab): the cart says why
        messages.info(request, "Your cart is empty.")
        return redirect("cart")
    return _render_checkout(request, form, view, request.POST.get("shipping_method"))


# --- Orders -------------------------------------------------------------------------------


def login_for_others(view):
    """An order page a visitor cannot see sends an anonymous one to log in (the link in an
    account's e-mail), whatever the order: which numbers exist is never told."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except Http404:
            if request.user.is_authenticated:
                raise
            return redirect_to_login(request.get_full_path())

    return wrapper


def _own_order(request: HttpRequest, pk: int) -> Order:
    try:
        return order_of(request.user, pk, guest_orders.remembered_ids(request))
    except Order.DoesNotExist:
        raise Http404("No such order.") from None


@require_GET
def order_access(request: HttpRequest, token: str) -> HttpResponse:
    """The link in a guest's e-mails: opens that order in this browser."""
    order = guest_orders.order_for_token(token)
    if order is None:
        messages.info(request, "This link has expired. Find your order with your e-mail address and its number.")
        return redirect("order_lookup")
    if order.user_id is None:
        guest_orders.remember(request, order)
    return redirect(order)  # an account's order: its page sends a visitor to log in


@require_http_methods(["GET", "HEAD", "POST"])
def order_lookup(request: HttpRequest) -> HttpResponse:
    """A guest finds an order by its e-mail address and number (rate-limited: ops.ratelimit)."""
    form = OrderLookupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        order = guest_orders.find(form.cleaned_data["email"], form.cleaned_data["number"])
        if order is not None and order.user_id is None:
            guest_orders.remember(request, order)
            return redirect(order)
        if order is not None and request.user.is_authenticated and order.user_id == request.user.pk:
            return redirect(order)
        if order is not None:
            messages.info(request, f"Order {order.number} belongs to an account: log in to see it.")
            return redirect_to_login(order.get_absolute_url())
        form.add_error(None, "No order matches this e-mail address and order number.")
    return render(request, "checkout/order_lookup.html", {"form": form})


@login_required
@require_GET
def order_list(request: HttpRequest) -> HttpResponse:
    return render(request, "checkout/order_list.html", {"orders": orders_of(request.user)})


@require_GET
@login_for_others
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = _own_order(request, pk)
    return render(request, "checkout/order_detail.html", {"order": order, "lines": list(order.lines.all())})


@require_POST
def order_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    order = _own_order(request, pk)
    try:
        cancel_order(order)
    except (TransitionError, PaymentError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Order {order.number} is cancelled.")
    return redirect(order)


# --- Payment ------------------------------------------------------------------------------


@require_GET
@login_for_others
def order_pay(request: HttpRequest, pk: int) -> HttpResponse:
    order = _own_order(request, pk)
    if not order.is_awaiting_payment:
        messages.info(request, f"Order {order.number} is {order.get_status_display().lower()}.")
        return redirect(order)
    try:
        start = get_gateway().start_payment(order)
    except PaymentError as exc:
        messages.error(request, str(exc))
        return redirect(order)
    context = {
        "order": order,
        "lines": list(order.lines.all()),
        "payment": start.payment,
        "payment_template": start.template_name,
        "return_url": request.build_absolute_uri(reverse("order_payment_return", kwargs={"pk": order.pk})),
        **start.context,
    }
    return render(request, "checkout/pay.html", context)


@require_POST
def order_pay_dummy(request: HttpRequest, pk: int) -> HttpResponse:
    """The dummy gateway's "pay" and "decline" buttons (only while it is the gateway)."""
    gateway = get_gateway()
    if not isinstance(gateway, DummyGateway):
        raise Http404("The dummy gateway is not in use.")
    order = _own_order(request, pk)
    payment = order.payments.filter(gateway="dummy", status=Payment.Status.PENDING).first()
    if not order.is_awaiting_payment or payment is None:
        return redirect(order)
    outcome = request.POST.get("outcome")
    if outcome not in ("pay", "decline"):
        return HttpResponseBadRequest("Choose pay or decline.")
    result = gateway.complete(payment, approve=outcome == "pay")
    if result == PaymentOutcome.PAID:
        messages.success(request, f"Thank you! Order {order.number} is paid; a confirmation is on its way.")
        return redirect(order)
    if result == PaymentOutcome.FAILED:
        messages.error(request, "The payment was declined. Try again or use another card.")
        return redirect("order_pay", pk=order.pk)
    return redirect(order)


@require_GET
@login_for_others
def order_payment_return(request: HttpRequest, pk: int) -> HttpResponse:
    """Where Stripe sends the browser after the card step. The webhook is the source of
    truth; asking Stripe here only spares the customer a wait for it."""
    order = _own_order(request, pk)
    for payment in order.payments.filter(status__in=[Payment.Status.PENDING, Payment.Status.FAILED]):
        try:
            gateway_named(payment.gateway).sync_payment(payment)
        except PaymentError:
            logger.info("payment %s: provider unreachable on return; the webhook will tell", payment.pk)
    order.refresh_from_db()
    if order.status == Order.Status.PAID:
        messages.success(request, f"Thank you! Order {order.number} is paid; a confirmation is on its way.")
    elif request.GET.get("redirect_status") == "failed":
        messages.error(request, "The payment did not go through. Please try again.")
        return redirect("order_pay", pk=order.pk)
    elif order.is_awaiting_payment:
        messages.info(request, "Your payment is being processed; this page will show it once confirmed.")
    return redirect(order)


@csrf_exempt  # Stripe cannot send our CSRF token; the signature authenticates instead.
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    from .gateways.stripe_gateway import StripeGateway, WebhookError

    try:
        outcome = StripeGateway().handle_webhook(request.body, request.headers.get("Stripe-Signature"))
    except WebhookError as exc:
        logger.warning("stripe webhook refused: %s", exc)
        return HttpResponseBadRequest("Invalid webhook.")
    return JsonResponse({"received": True, "outcome": outcome})
