"""Storefront pages. Thin: reads come from selectors (DB) or the search engine."""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from search.related import related_products
from taxes.display import apply_display_rates

from .caching import attribute_labels_version, fragment_cache_seconds
from .forms import DUPLICATE_REVIEW_MESSAGE, ReviewForm
from .images import LARGE_WIDTH, image_url
from .models import Category, FooterPage, Product, Review, WishlistItem
from .recently_viewed import remember, viewed_before
from .selectors import (
    approved_reviews,
    attribute_rows,
    cards_for,
    category_menu,
    featured_products,
    in_wishlist,
    product_for_page,
    wishlist_cards,
)
from .structured_data import breadcrumb_data, product_data

logger = logging.getLogger(__name__)

REVIEWS_PER_PAGE = 10
RECENTLY_VIEWED_SHOWN = 4
REVIEW_THANKS = "Thanks — your review will appear after moderation."


def home(request: HttpRequest) -> HttpResponse:
    featured = featured_products()
    apply_display_rates(featured, {card.id: card.tax_class_id for card in featured})
    return render(
        request,
        "store/home.html",
        # Evaluated once here: the header menu and the tiles share it.
        {"category_menu": category_menu(), "featured_products": featured,
         "canonical_url": request.build_absolute_uri(reverse("home"))},
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
    images = list(product.images.all())
    crumbs = [*ancestors, product.category]
    absolute = request.build_absolute_uri
    large_images = [image_url(i.source, LARGE_WIDTH) for i in images]
    page_number = request.GET.get("page", "")
    plain_page = set(request.GET) <= {"page"} and (
        not page_number or (page_number.isdigit() and len(page_number) <= 3))
    response = render(
        request,
        "store/product.html",
        {
            "product": product,
            "images": images,
            "breadcrumbs": crumbs,
            "canonical_url": absolute(product.get_absolute_url()),
            "og": {"type": "product", "title": product.name, "description": product.description[:200],
                   "image": absolute(large_images[0]) if large_images else ""},
            "structured_data": [product_data(product, absolute, large_images),
                                breadcrumb_data(crumbs, absolute, (product.name, product.get_absolute_url()))],
            "in_wishlist": in_wishlist(request.user, product),
            "related": displayed(related_products(product, crumbs)),
            # Cards of what was viewed before (two queries, whatever their number).
            "recently_viewed": displayed(cards_for(viewed_before(request, product.pk)[:RECENTLY_VIEWED_SHOWN])),
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
    remember(request, response, product.pk)
    return response


def displayed(cards: list) -> list:
    """Cards (or search hits) with their prices as the listings show them (taxes.display)."""
    apply_display_rates(cards, {card.id: card.tax_class_id for card in cards if hasattr(card, "tax_class_id")} or None)
    return cards


def _save_review(form: ReviewForm) -> bool:
    """Save a valid review; a concurrent duplicate becomes a form error, not a 500."""
    try:
        with transaction.atomic():
            form.save()
    except IntegrityError:
        form.add_error(None, DUPLICATE_REVIEW_MESSAGE)
        return False
    return True


# --- Pages around the catalog -------------------------------------------------

@require_safe
def footer_page(request: HttpRequest, slug: str) -> HttpResponse:
    page = get_object_or_404(FooterPage, slug=slug, is_published=True)
    return render(request, "store/footer_page.html", {
        "page": page, "canonical_url": request.build_absolute_uri(page.get_absolute_url())})


# Where crawlers need not go: the shopper's own pages, the API, the admin, and listings
# narrowed by text (category pages canonicalise their filters instead).
ROBOTS_DISALLOW = ("/cart/", "/checkout/", "/orders/", "/accounts/", "/wishlist/", "/api/", "/unicorn/",
                   "/search")


@require_safe
@cache_control(max_age=3600, public=True)
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in (*ROBOTS_DISALLOW, f"/{settings.ADMIN_URL}")),
             "", f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


@require_safe
@cache_control(max_age=86400, public=True)
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page says: the static (hashed, cached) file."""
    return HttpResponsePermanentRedirect(static("img/favicon.ico"))


# --- Wishlist -----------------------------------------------------------------

@login_required
@require_safe
def wishlist(request: HttpRequest) -> HttpResponse:
    return render(request, "store/wishlist.html", {"cards": displayed(wishlist_cards(request.user))})


@login_required
@require_POST
def wishlist_toggle(request: HttpRequest, product_id: int) -> HttpResponse:
    """Save the product, or forget it if it was saved (a plain form: works without JavaScript)."""
    product = get_object_or_404(Product.objects.visible(), pk=product_id)
    removed, _ = WishlistItem.objects.filter(user=request.user, product=product).delete()
    if removed:
        messages.success(request, f"Removed “{product.name}” from your wishlist.")
    else:
        WishlistItem.objects.get_or_create(user=request.user, product=product)
        messages.success(request, f"Saved “{product.name}” to your wishlist.")
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        next_url = product.get_absolute_url()
    return redirect(next_url)
