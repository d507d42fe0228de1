"""Storefront pages. Thin: reads come from selectors (DB) or the search engine."""

import logging

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from .caching import attribute_labels_version, fragment_cache_seconds
from .forms import DUPLICATE_REVIEW_MESSAGE, ReviewForm, SignupForm
from .models import Category, Product, Review
from .roles import CUSTOMER, assign_role
from .selectors import approved_reviews, attribute_rows, category_menu, featured_products, product_for_page

logger = logging.getLogger(__name__)

REVIEWS_PER_PAGE = 10
REVIEW_THANKS = "Thanks — your review will appear after moderation."


def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "store/home.html",
        # Evaluated once here: the header menu and the tiles share it.
        {"category_menu": category_menu(), "featured_products": featured_products()},
    )


@require_http_methods(["GET", "HEAD", "POST"])
def product_page(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        product = product_for_page(slug)
    except Product.DoesNotExist:
        raise Http404("No such product.") from None

    form = None
    user_review = None
    if request.user.is_authenticated:
        if request.method == "POST":
            form = ReviewForm(request.POST, product=product, author=request.user)
            if form.is_valid() and _save_review(form):
                messages.success(request, REVIEW_THANKS)
                return redirect(product.get_absolute_url() + "#reviews")
        else:
            user_review = Review.objects.filter(product=product, author=request.user).first()
            if user_review is None:
                form = ReviewForm(product=product, author=request.user)
    elif request.method == "POST":
        return redirect_to_login(product.get_absolute_url())

    ancestors = list(Category.objects.get_ancestors(product.category))
    page_number = request.GET.get("page", "")
    plain_page = set(request.GET) <= {"page"} and (
        not page_number or (page_number.isdigit() and len(page_number) <= 3))
    return render(
        request,
        "store/product.html",
        {
            "product": product,
            "images": list(product.images.all()),
            "breadcrumbs": [*ancestors, product.category],
            # Lazy: evaluated only when the template's fragment cache misses (store.caching).
            "attributes": SimpleLazyObject(lambda: attribute_rows(product, [*ancestors, product.category])),
            "reviews_page": SimpleLazyObject(
                lambda: Paginator(approved_reviews(product), REVIEWS_PER_PAGE).get_page(page_number)
            ),
            "fragment_cache_seconds": fragment_cache_seconds(),
            # The review pager's links keep the other GET parameters: cache only plain page numbers.
            "reviews_cache_seconds": fragment_cache_seconds() if plain_page else 0,
            "reviews_page_key": page_number or "1",
            "attribute_labels_version": attribute_labels_version(),
            "review_form": form,
            "user_review": user_review,
        },
    )


def _save_review(form: ReviewForm) -> bool:
    """Save a valid review; a concurrent duplicate becomes a form error, not a 500."""
    try:
        with transaction.atomic():
            form.save()
    except IntegrityError:
        form.add_error(None, DUPLICATE_REVIEW_MESSAGE)
        return False
    return True


@require_http_methods(["GET", "HEAD", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    if request.user.is_authenticated:
        return redirect(next_url or reverse("home"))

    form = SignupForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            user = form.save()
            assign_role(user, CUSTOMER)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.get_username()}! Your account is ready.")
        return redirect(next_url or reverse("home"))
    return render(request, "registration/signup.html", {"form": form, "next": next_url})
