"""The server-rendered storefront: home, category, product, review and account pages."""

import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from store.forms import DUPLICATE_REVIEW_MESSAGE
from store.models import (
    REVIEW_BODY_MAX,
    REVIEW_TITLE_MAX,
    AttributeDefinition,
    Brand,
    Category,
    Product,
    ProductImage,
    Review,
    Vendor,
)
from store.roles import CUSTOMER
from store.views import REVIEW_THANKS
from tests.conftest import sync_index

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE_BREAKER = '"><img src=x onerror=alert(1)>'


def make_product(catalog: SimpleNamespace, name: str, sku: str, **fields) -> Product:
    fields.setdefault("price", Decimal("19.99"))
    fields.setdefault("stock_quantity", 5)
    fields.setdefault("category", catalog.tops)
    return Product.objects.create(name=name, slug=sku.lower(), sku=sku, brand=catalog.brand, **fields)


def make_user(username: str) -> User:
    return User.objects.create_user(username, email=f"{username}@example.com", password="unused-password")


def add_review(product: Product, author: User, status: str = Review.Status.APPROVED, **fields) -> Review:
    fields.setdefault("rating", 4)
    fields.setdefault("title", f"Review by {author.username}")
    fields.setdefault("body", "Does what it says.")
    return Review.objects.create(product=product, author=author, status=status, **fields)


@pytest.fixture
def catalog() -> SimpleNamespace:
    catalog = SimpleNamespace()
    catalog.clothing = Category.objects.add_root(instance=Category(name="Clothing", slug="clothing"))
    catalog.tops = Category.objects.add_child(catalog.clothing, instance=Category(name="Tops", slug="tops"))
    catalog.shoes = Category.objects.add_root(instance=Category(name="Shoes", slug="shoes"))
    catalog.brand = Brand.objects.create(name="Acme", slug="acme")
    catalog.product = make_product(
        catalog,
        "Linen Shirt",
        "SHIRT-1",
        price=Decimal("29.00"),
        compare_at_price=Decimal("39.00"),
        description="Light and airy.\n\nMachine washable.",
        attributes={"color": "blue", "organic": True},
    )
    AttributeDefinition.objects.create(category=catalog.clothing, code="color", label="Colour")
    AttributeDefinition.objects.create(
        category=catalog.tops, code="organic", label="Organic cotton", kind=AttributeDefinition.Kind.BOOLEAN
    )
    return catalog


def product_url(product: Product) -> str:
    return reverse("product", kwargs={"slug": product.slug})


# ---- Layout and home -----------------------------------------------------------


def test_home_shows_category_menu_tiles_and_featured_products(client, catalog):
    make_product(catalog, "Sold Out Sandal", "SANDAL-1", category=catalog.shoes, stock_quantity=0)
    make_product(catalog, "Hidden Hat", "HAT-1", is_active=False)

    response = client.get(reverse("home"))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-label="Categories"' in html
    for category in (catalog.clothing, catalog.tops, catalog.shoes):
        assert f'href="{category.get_absolute_url()}"' in html
    assert "Linen Shirt" in html
    assert f'href="{product_url(catalog.product)}"' in html
    # Featured products are in stock and visible.
    assert "Sold Out Sandal" not in html
    assert "Hidden Hat" not in html


def test_home_query_count_does_not_grow_with_products(client, catalog, django_assert_max_num_queries):
    with CaptureQueriesContext(connection) as one_product:
        client.get(reverse("home"))
    for n in range(6):
        product = make_product(catalog, f"Tee {n}", f"TEE-{n}", sales_count=n)
        ProductImage.objects.create(product=product, url=f"https://img.example/tee-{n}.jpg", alt=f"Tee {n}")
    with django_assert_max_num_queries(len(one_product)):
        response = client.get(reverse("home"))
    assert "Tee 5" in response.content.decode()


def test_base_layout_has_search_form_and_post_logout(client, catalog):
    html = client.get(reverse("home")).content.decode()
    assert 'action="/search"' in html and 'name="q"' in html
    assert reverse("login") in html and reverse("signup") in html

    client.force_login(make_user("sam"))
    html = client.get(reverse("home")).content.decode()
    # Django 5 logs out on POST only: a form with a CSRF token, not a link.
    logout_form = re.search(
        rf'<form method="post" action="{reverse("logout")}">(.*?)</form>', html, re.DOTALL
    )
    assert logout_form is not None
    assert 'name="csrfmiddlewaretoken"' in logout_form.group(1)
    assert f'href="{reverse("logout")}"' not in html


# ---- Product page --------------------------------------------------------------


def test_product_page_shows_details_and_only_approved_reviews(client, catalog):
    ProductImage.objects.create(
        product=catalog.product, url="https://img.example/shirt.jpg", alt="Front view"
    )
    add_review(catalog.product, make_user("ann"), title="Lovely fabric")
    add_review(catalog.product, make_user("bob"), status=Review.Status.PENDING, title="Waiting in the queue")
    add_review(catalog.product, make_user("cat"), status=Review.Status.REJECTED, title="Spammy words")

    response = client.get(product_url(catalog.product))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Linen Shirt" in html and "Acme" in html
    assert "$29.00" in html and "<s" in html and "$39.00" in html
    assert "In stock" in html
    assert 'src="https://img.example/shirt.jpg"' in html and 'alt="Front view"' in html
    assert "<p>Light and airy.</p>" in html
    # Labels come from the definitions of the category and its ancestors.
    assert "Colour" in html and "Organic cotton" in html and "Yes" in html
    # Breadcrumb: the category and its ancestors.
    assert f'href="{catalog.clothing.get_absolute_url()}"' in html
    assert f'href="{catalog.tops.get_absolute_url()}"' in html
    assert "Lovely fabric" in html
    assert "Waiting in the queue" not in html
    assert "Spammy words" not in html


def test_product_page_out_of_stock(client, catalog):
    product = make_product(catalog, "Gone Jacket", "JACKET-1", stock_quantity=0)
    html = client.get(product_url(product)).content.decode()
    assert "Out of stock" in html


@pytest.mark.parametrize("visibility", ["missing", "inactive", "inactive_vendor"])
def test_product_page_404_for_missing_or_hidden_products(client, catalog, visibility):
    if visibility == "missing":
        url = reverse("product", kwargs={"slug": "no-such-product"})
    elif visibility == "inactive":
        url = product_url(make_product(catalog, "Retired", "RETIRED-1", is_active=False))
    else:
        vendor = Vendor.objects.create(name="Closed Shop", slug="closed", is_active=False)
        url = product_url(make_product(catalog, "Orphan", "ORPHAN-1", vendor=vendor))
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("logged_in", [False, True], ids=["anonymous", "logged-in"])
def test_product_page_query_count_is_constant(client, catalog, logged_in):
    product = catalog.product
    if logged_in:
        client.force_login(make_user("viewer"))
    ProductImage.objects.create(product=product, url="https://img.example/0.jpg", alt="Image 0")
    add_review(product, make_user("reviewer0"))

    with CaptureQueriesContext(connection) as small:
        assert client.get(product_url(product)).status_code == 200

    for n in range(1, 5):
        ProductImage.objects.create(product=product, url=f"https://img.example/{n}.jpg", alt=f"Image {n}")
        add_review(product, make_user(f"reviewer{n}"), title=f"Opinion number {n}")

    with CaptureQueriesContext(connection) as large:
        response = client.get(product_url(product))
    html = response.content.decode()
    assert "Image 4" in html and "Opinion number 4" in html
    assert len(large) == len(small), [q["sql"] for q in large.captured_queries]


def test_reviews_are_paginated_newest_first(client, catalog):
    for n in range(12):
        add_review(catalog.product, make_user(f"r{n}"), title=f"Title number {n:02d}")

    first = client.get(product_url(catalog.product)).content.decode()
    assert first.index("Title number 11") < first.index("Title number 10")
    assert "Title number 00" not in first
    assert "?page=2" in first

    second = client.get(product_url(catalog.product), {"page": 2, "ref": "mail"}).content.decode()
    assert "Title number 00" in second and "Title number 11" not in second
    # The links keep the other parameters and mark the current page.
    assert 'href="?page=1&amp;ref=mail"' in second and 'rel="prev"' in second
    assert 'href="?page=2&amp;ref=mail" aria-current="page"' in second


def test_product_page_escapes_user_content(client, catalog):
    hostile = f"{SCRIPT}{ATTRIBUTE_BREAKER}"
    product = make_product(
        catalog,
        f"Bad {hostile}",
        "BAD-1",
        description=f"About {hostile}",
        attributes={"color": hostile, "unknown_thing": hostile},
    )
    ProductImage.objects.create(
        product=product, url=f"https://img.example/x.jpg{ATTRIBUTE_BREAKER}", alt=hostile
    )
    add_review(product, make_user("eve"), title=f"T {SCRIPT}", body=f"B {hostile}")
    Brand.objects.filter(pk=catalog.brand.pk).update(name=f"Acme {ATTRIBUTE_BREAKER}")

    response = client.get(product_url(product))

    assert response.status_code == 200
    html = response.content.decode()
    assert SCRIPT not in html
    assert "<img src=x" not in html
    assert "onerror=alert(1)>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in html


def test_unsafe_image_urls_fall_back_to_the_placeholder(client, catalog):
    ProductImage.objects.create(product=catalog.product, url="javascript:alert(1)", alt="Bad")
    html = client.get(product_url(catalog.product)).content.decode()
    assert "javascript:" not in html
    assert "img/placeholder.svg" in html


# ---- Reviews -------------------------------------------------------------------


def test_anonymous_user_sees_no_review_form_and_cannot_post(client, catalog):
    html = client.get(product_url(catalog.product)).content.decode()
    assert 'name="rating"' not in html
    assert "Log in" in html

    response = client.post(product_url(catalog.product), {"rating": 5, "title": "Hi", "body": "There"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert not Review.objects.exists()


def test_logged_in_user_sees_the_review_form(client, catalog):
    client.force_login(make_user("rita"))
    html = client.get(product_url(catalog.product)).content.decode()
    assert 'name="rating"' in html and 'name="title"' in html and 'name="body"' in html
    assert f'maxlength="{REVIEW_TITLE_MAX}"' in html
    assert f'maxlength="{REVIEW_BODY_MAX}"' in html


def test_review_is_created_pending_with_a_thank_you(client, catalog):
    user = make_user("rita")
    client.force_login(user)

    response = client.post(
        product_url(catalog.product), {"rating": "5", "title": "Great shirt", "body": "Fits well."}
    )

    assert response.status_code == 302
    review = Review.objects.get()
    assert (review.product, review.author, review.rating) == (catalog.product, user, 5)
    assert review.status == Review.Status.PENDING
    assert [str(m) for m in get_messages(response.wsgi_request)] == [REVIEW_THANKS]
    page = client.get(response.url).content.decode()
    assert "Great shirt" not in page  # pending until a moderator approves it
    assert 'name="rating"' not in page  # one review per shopper and product


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"rating": "0", "title": "Title", "body": "Body"}, "rating"),
        ({"rating": "6", "title": "Title", "body": "Body"}, "rating"),
        ({"rating": "", "title": "Title", "body": "Body"}, "rating"),
        ({"rating": "4", "title": "x" * (REVIEW_TITLE_MAX + 1), "body": "Body"}, "title"),
        ({"rating": "4", "title": "Title", "body": "x" * (REVIEW_BODY_MAX + 1)}, "body"),
        ({"rating": "4", "title": "   ", "body": "Body"}, "title"),
    ],
    ids=["rating-0", "rating-6", "rating-missing", "title-too-long", "body-too-long", "title-blank"],
)
def test_invalid_review_is_a_form_error(client, catalog, data, field):
    client.force_login(make_user("rita"))

    response = client.post(product_url(catalog.product), data)

    assert response.status_code == 200
    assert field in response.context["review_form"].errors
    assert 'class="errorlist"' in response.content.decode()
    assert not Review.objects.exists()


def test_second_review_by_the_same_user_is_a_form_error(client, catalog):
    user = make_user("rita")
    add_review(catalog.product, user, status=Review.Status.PENDING)
    client.force_login(user)

    response = client.post(product_url(catalog.product), {"rating": "3", "title": "Again", "body": "More."})

    assert response.status_code == 200
    assert DUPLICATE_REVIEW_MESSAGE in response.context["review_form"].non_field_errors()
    assert DUPLICATE_REVIEW_MESSAGE in response.content.decode()
    assert Review.objects.count() == 1


# ---- Category page -------------------------------------------------------------


def test_unknown_category_is_404(client, catalog):
    assert client.get("/c/no-such-category/").status_code == 404
    assert client.get("/c/clothing/no-such-child/").status_code == 404


def test_category_page_lists_search_hits_with_breadcrumb_sort_and_pagination(client, catalog, tantivy_backend):
    make_product(catalog, "Listed product 1", "LIST-1", price=Decimal("10.00"),
                 compare_at_price=Decimal("15.00"))
    make_product(catalog, f"Odd {SCRIPT}", "ODD-1", price=Decimal("11.00"), stock_quantity=0)
    for n in range(2, 7):
        make_product(catalog, f"Listed product {n}", f"LIST-{n}", price=Decimal("20.00") + n)
    sync_index()
    url = catalog.tops.get_absolute_url()

    response = client.get(url, {"sort": "price_asc", "page": "2", "brand": "acme", "page_size": "2"})

    assert response.status_code == 200
    search_request = response.context["search_request"]
    assert search_request.category == "clothing/tops"
    assert (search_request.sort, search_request.page, search_request.selection("brand")) == ("price_asc", 2, ("acme",))
    html = response.content.decode()
    assert f'href="{catalog.clothing.get_absolute_url()}"' in html  # breadcrumb
    total = Product.objects.visible().filter(category=catalog.tops).count()
    assert f"{total} products" in html
    # By price: 10.00, 11.00 | 22.00, 23.00 | 24.00, 25.00 | 26.00, 29.00 (the Linen Shirt).
    assert [hit.name for hit in response.context["result"].hits] == ["Listed product 2", "Listed product 3"]
    assert "$22.00" in html and "In stock" in html
    # Pagination keeps the other parameters; the sort form drops only sort and page.
    assert "sort=price_asc" in html and "brand=acme" in html and "page=3" in html
    assert f"{url}?sort=price_asc&amp;page=3&amp;brand=acme&amp;page_size=2" in html
    assert '<option value="price_asc" selected>' in html
    assert '<input type="hidden" name="brand" value="acme">' in html

    first = client.get(url, {"sort": "price_asc", "brand": "acme", "page_size": "2"}).content.decode()
    assert "Listed product 1" in first and "$15.00" in first and "Out of stock" in first
    # Product names are escaped; the engine's highlighted name adds only <mark>.
    assert SCRIPT not in first and "Odd &lt;script&gt;alert(1)&lt;/script&gt;" in first
    found = client.get(url, {"q": "odd"}).content.decode()
    assert "<mark>Odd</mark> &lt;script&gt;alert(1)&lt;/script&gt;" in found
    assert SCRIPT not in found


def test_category_page_shows_subcategories(client, catalog, tantivy_backend):
    sandals = Category.objects.add_child(catalog.shoes, instance=Category(name="Sandals", slug="sandals"))
    sync_index()

    response = client.get(catalog.shoes.get_absolute_url())

    html = response.content.decode()
    assert response.status_code == 200
    assert f'href="{sandals.get_absolute_url()}"' in html
    assert "No products in Shoes yet." in html
    # A category with products lists its subcategories too.
    html = client.get(catalog.clothing.get_absolute_url()).content.decode()
    assert f'href="{catalog.tops.get_absolute_url()}"' in html
    assert "Linen Shirt" in html


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"sort": "cheapest"}, "Sort must be one of"),
        ({"page": "abc"}, "The page must be a whole number."),
        ({"price_min": "lots"}, "The minimum price must be a number."),
    ],
)
def test_category_page_invalid_parameters_are_400_with_a_message(
    client, catalog, tantivy_backend, params, message
):
    sync_index()

    response = client.get(catalog.tops.get_absolute_url(), params)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert response.context["result"] is None  # refused before searching
    assert "Linen Shirt" not in response.content.decode()


# ---- Accounts ------------------------------------------------------------------


def test_signup_creates_a_customer_and_logs_in(client, catalog):
    response = client.post(
        reverse("signup"),
        {
            "username": "newshopper",
            "email": "new@example.com",
            "password1": "a-Long-unusual-passphrase-42",
            "password2": "a-Long-unusual-passphrase-42",
        },
    )

    assert response.status_code == 302
    assert response.url == reverse("home")
    user = User.objects.get(username="newshopper")
    assert user.email == "new@example.com"
    assert list(user.groups.values_list("name", flat=True)) == [CUSTOMER]
    assert not user.is_staff
    assert client.session["_auth_user_id"] == str(user.pk)


def test_signup_form_errors_create_nobody(client, catalog):
    response = client.post(
        reverse("signup"),
        {"username": "x", "email": "not-an-email", "password1": "abc", "password2": "abd"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not User.objects.filter(username="x").exists()


def test_signup_redirects_to_a_safe_next_only(client, catalog):
    data = {
        "username": "shopper2",
        "email": "s2@example.com",
        "password1": "a-Long-unusual-passphrase-42",
        "password2": "a-Long-unusual-passphrase-42",
        "next": "https://evil.example/",
    }
    assert client.post(reverse("signup"), data).url == reverse("home")


def test_login_and_signup_pages_render(client, catalog):
    assert client.get(reverse("login")).status_code == 200
    assert client.get(reverse("signup")).status_code == 200
    user = make_user("lena")
    response = client.post(reverse("login"), {"login": "lena", "password": "unused-password"})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


# ---- Category pages: the search scoped to a subtree (what the engines find there is the
# behaviour suite's, on every engine) ------------------------------------------------------


@pytest.fixture
def indexed_catalog(one_engine_catalog):
    return one_engine_catalog


def listed_names(response) -> list[str]:
    return [hit.name for hit in response.context["result"].hits]


def test_category_page_lists_the_subtree_from_the_engine(client, indexed_catalog):
    tops = indexed_catalog.categories["clothing/tops"]

    response = client.get(tops.get_absolute_url())

    assert response.status_code == 200
    expected = {
        p.name
        for key, p in indexed_catalog.products.items()
        if key != "hidden" and p.category.slug_path.startswith("clothing/tops/")
    }
    assert set(listed_names(response)) == expected
    html = response.content.decode()
    assert f"{len(expected)} products" in html
    assert "Discontinued Crew Neck T-Shirt" not in html
    assert f'href="{indexed_catalog.categories["clothing"].get_absolute_url()}"' in html
    for sub in ("clothing/tops/t-shirts", "clothing/tops/sweaters"):
        assert f'href="{indexed_catalog.categories[sub].get_absolute_url()}"' in html
    assert "Trail Running Shoes" not in html


def test_category_page_sorts_and_pages_through_the_engine(client, indexed_catalog):
    tops = indexed_catalog.categories["clothing/tops"]
    by_price = sorted(
        (
            p
            for key, p in indexed_catalog.products.items()
            if key != "hidden" and p.category.slug_path.startswith("clothing/tops/")
        ),
        key=lambda p: (p.price, p.pk),
    )

    first = client.get(tops.get_absolute_url(), {"sort": "price_asc", "page_size": "3"})
    second = client.get(tops.get_absolute_url(), {"sort": "price_asc", "page_size": "3", "page": "2"})

    assert listed_names(first) == [p.name for p in by_price[:3]]
    assert listed_names(second) == [p.name for p in by_price[3:6]]
    html = first.content.decode()
    assert "?sort=price_asc&amp;page_size=3&amp;page=2" in html
    assert html.index(by_price[0].name) < html.index(by_price[1].name) < html.index(by_price[2].name)
