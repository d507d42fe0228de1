"""Storefront pages. Thin: reads come from selectors (DB) or the search engine."""

import logging

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from search.backends.base import SearchUnavailable
from search.request import SORTS, InvalidSearchRequest, SearchRequest
from search.services import search_products

from .forms import DUPLICATE_REVIEW_MESSAGE, ReviewForm, SignupForm
from .models import Category, Product, Review
from .roles import CUSTOMER, assign_role
from .selectors import approved_reviews, attribute_rows, category_menu, featured_products, product_for_page

logger = logging.getLogger(__name__)

REVIEWS_PER_PAGE = 10
REVIEW_THANKS = "Thanks — your review will appear after moderation."
# Parameters the sort form must not carry over: a new sort starts at page 1.
_SORT_FORM_RESET = ("sort", "page")


def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "store/home.html",
        # Evaluated once here: the header menu and the tiles share it.
        {"category_menu": category_menu(), "featured_products": featured_products()},
    )


def category_page(request: HttpRequest, slug_path: str) -> HttpResponse:
    category = get_object_or_404(Category, slug_path=slug_path.strip("/"))
    context = {
        "category": category,
        "ancestors": list(Category.objects.get_ancestors(category)),
        "subcategories": list(Category.objects.get_children(category)),
        "sorts": SORTS,
        "sort_form_params": [
            (key, value)
            for key, values in request.GET.lists()
            if key not in _SORT_FORM_RESET
            for value in values
        ],
        "result": None,
        "error": None,
    }
    try:
        search_request = SearchRequest.from_params(request.GET, category=category.slug_path)
    except InvalidSearchRequest as exc:
        context["error"] = str(exc)
        return render(request, "store/category.html", context, status=400)

    context["search_request"] = search_request
    try:
        context["result"] = search_products(search_request)
    except InvalidSearchRequest as exc:
        context["error"] = str(exc)
        return render(request, "store/category.html", context, status=400)
    except SearchUnavailable:
        logger.exception("search engine unavailable for category %s", category.slug_path)
        context["error"] = "Product listings are temporarily unavailable. Please try again in a moment."
        return render(request, "store/category.html", context, status=503)
    return render(request, "store/category.html", context)


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
    reviews_page = Paginator(approved_reviews(product), REVIEWS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "store/product.html",
        {
            "product": product,
            "images": list(product.images.all()),
            "breadcrumbs": [*ancestors, product.category],
            "attributes": attribute_rows(product, [*ancestors, product.category]),
            "reviews_page": reviews_page,
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
