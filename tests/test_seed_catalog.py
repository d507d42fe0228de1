"""The ``seed_catalog`` command: a reproducible, realistic demo catalog written in one transaction."""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models import Avg, Count, Q
from django.utils import timezone

from indexing.models import OutboxEntry
from store.demo.generator import LISTED_WITHIN_DAYS, DemoCatalog
from store.demo.images import demo_image_name
from store.demo.writer import DEMO_CUSTOMER_PASSWORD, seed_demo_catalog
from store.images import WIDTHS, image_url
from store.models import AttributeDefinition, Brand, Category, Product, ProductImage, Review, Vendor

User = get_user_model()


def seed(products: int = 300, seed: int = 7, **options) -> str:
    out = StringIO()
    call_command("seed_catalog", products=products, seed=seed, stdout=out, **options)
    return out.getvalue()


def snapshot() -> dict[str, list]:
    """Everything the seed decides, without database ids."""
    return {
        "products": list(
            Product.objects.order_by("sku").values_list(
                "sku", "name", "slug", "description", "price", "compare_at_price", "category__slug_path",
                "attributes", "stock_quantity", "sales_count", "brand__name", "vendor__name",
                "rating_average", "rating_count",
            )
        ),
        "images": list(
            ProductImage.objects.order_by("product__sku", "position").values_list(
                "product__sku", "position", "url", "alt"
            )
        ),
        "reviews": list(
            Review.objects.order_by("product__sku", "author__username").values_list(
                "product__sku", "author__username", "rating", "title", "body", "status"
            )
        ),
        "categories": list(Category.objects.order_by("path").values_list("slug_path", "name", "depth")),
        "definitions": list(
            AttributeDefinition.objects.order_by("category__slug_path", "code").values_list(
                "category__slug_path", "code", "kind", "choices"
            )
        ),
    }  # fmt: skip


class _Rollback(Exception):
    pass


def seed_in_fresh_state(**options) -> dict[str, list]:
    """Seed and snapshot inside a savepoint that is then rolled back: the next seed starts from scratch."""
    try:
        with transaction.atomic():
            seed(**options)
            result = snapshot()
            raise _Rollback
    except _Rollback:
        pass
    assert not Product.objects.exists() and not Category.objects.exists()
    return result


def nothing_written() -> bool:
    return not any(
        model.objects.exists()
        for model in (Product, ProductImage, Review, Category, Brand, Vendor, AttributeDefinition, User)
    )


@pytest.mark.django_db
def test_same_seed_gives_the_same_catalog_and_another_seed_a_different_one():
    first = seed_in_fresh_state(seed=7)
    second = seed_in_fresh_state(seed=7)
    other = seed_in_fresh_state(seed=8)

    assert len(first["products"]) == 300
    assert first == second
    assert first["categories"] == other["categories"]  # the tree is fixed vocabulary
    assert other["products"] != first["products"]
    assert [p[1] for p in other["products"]] != [p[1] for p in first["products"]]  # names differ


@pytest.mark.django_db
def test_reseeding_after_deleting_the_products_reuses_categories_brands_and_customers():
    seed(products=60, seed=3)
    before = snapshot()

    def counts() -> tuple[int, ...]:
        return tuple(model.objects.count() for model in (Category, Brand, Vendor, AttributeDefinition, User))

    before_counts = counts()
    # Products (and their reviews and images) only; plain SQL so the test does not depend on
    # what other apps hang off Product.
    with connection.cursor() as cursor:
        for model in (Review, ProductImage, Product):
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")

    seed(products=60, seed=3)

    assert snapshot() == before
    assert counts() == before_counts


def test_the_generator_alone_is_deterministic_and_reviews_do_not_change_products():
    def products(seed: int, reviews_max: int) -> list[tuple]:
        return [
            (p.sku, p.name, p.price, p.category_path, p.attributes, p.stock_quantity, p.sales_count)
            for p in DemoCatalog(seed, reviews_max).products(200)
        ]

    assert products(1, 8) == products(1, 8)
    assert products(1, 0) == products(1, 8)
    assert products(2, 8) != products(1, 8)


@pytest.mark.django_db
def test_products_are_listed_over_two_years_so_newest_means_something():
    before = timezone.now()
    seed(products=300, seed=7)
    dates = list(Product.objects.order_by("sku").values_list("created_at", flat=True))
    assert all(before - timedelta(days=LISTED_WITHIN_DAYS, minutes=1) <= d <= timezone.now() for d in dates)
    assert max(dates) - min(dates) > timedelta(days=365)
    assert len(set(dates)) > 290  # hardly two products listed in the same minute
    newest = list(Product.objects.order_by("-created_at", "-id").values_list("sku", flat=True))
    assert newest != list(Product.objects.order_by("-id").values_list("sku", flat=True))
    # The ages come from a stream of their own: the same seed, the same order of listing.
    ages = [row.age_minutes for row in DemoCatalog(7, 8).products(300)]
    assert ages == [row.age_minutes for row in DemoCatalog(7, 8).products(300)]
    by_age = sorted(range(300), key=lambda i: (ages[i], -i))
    assert [f"{i + 1:07d}" for i in by_age][:20] == [sku[-7:] for sku in newest[:20]]


@pytest.mark.django_db
def test_catalog_shape():
    output = seed(products=300, seed=11)

    assert "Seeded 300 products" in output and "products/s" in output
    # Six top categories, products only in leaves two or three levels below them.
    assert set(Category.objects.filter(depth=1).values_list("slug", flat=True)) == {
        "clothing", "electronics", "home-kitchen", "sports-outdoors", "books", "beauty",
    }  # fmt: skip
    assert Category.objects.filter(slug_path="clothing/tops/t-shirts", depth=3).exists()
    used = Category.objects.filter(products__isnull=False).distinct()
    assert all(c.is_leaf() and c.depth in (3, 4) for c in used)
    assert {c.depth for c in used} == {3, 4}
    assert Category.objects.filter(depth__gt=4).count() == 0
    assert Category.objects.find_problems() == ([], [], [], [], [])

    assert Brand.objects.count() >= 40
    assert Product.objects.values("brand").distinct().count() >= 20
    assert Vendor.objects.count() >= 3

    products = list(Product.objects.select_related("category"))
    out_of_stock = sum(p.stock_quantity == 0 for p in products) / len(products)
    assert 0.03 <= out_of_stock <= 0.15
    assert any(p.on_sale for p in products)
    assert all(p.compare_at_price is None or p.compare_at_price > p.price for p in products)
    assert all(p.price > 0 and p.currency == settings.SHOP_CURRENCY for p in products)
    assert len({p.price for p in products}) > 50  # a spread, not a handful of prices
    assert max(p.sales_count for p in products) > 10 * sorted(p.sales_count for p in products)[150]

    # Attributes: valid per the definitions of the category and its ancestors, and complete.
    for product in products:
        product.full_clean(validate_unique=False, validate_constraints=False)
        ancestry = product.category.ancestors_and_self()
        codes = set(AttributeDefinition.objects.filter(category__in=ancestry).values_list("code", flat=True))
        assert set(product.attributes) == codes, product.name

    # Images: 1–3 per product, in order, the stored picture of its type and colour (shared),
    # with every thumbnail the pages name.
    pictures = set()
    for product in Product.objects.prefetch_related("images").select_related("category"):
        images = list(product.images.all())
        assert 1 <= len(images) <= 3
        assert [i.position for i in images] == list(range(len(images)))
        expected = demo_image_name(product.category.name, product.attributes.get("color"))
        assert {i.image.name for i in images} == {expected}, product.name
        pictures.add(expected)
    assert len(pictures) > 20
    for name in pictures:
        assert default_storage.exists(name)
        for url in [image_url(f"media:{name}", w) for w in WIDTHS]:
            assert default_storage.exists(url.removeprefix(settings.MEDIA_URL)), url

    # Reviews: mostly 4–5 stars with some 1s, mostly approved with some pending, from demo customers.
    reviews = list(Review.objects.values_list("rating", "status", "author__username"))
    assert len(reviews) > 300
    ratings = [r for r, _, _ in reviews]
    assert sum(r >= 4 for r in ratings) / len(ratings) > 0.6
    assert ratings.count(1) > 0
    statuses = [s for _, s, _ in reviews]
    assert statuses.count("approved") / len(statuses) > 0.7
    assert statuses.count("pending") > 0
    assert all(username.startswith("customer") for _, _, username in reviews)
    customer = User.objects.get(username="customer1")
    assert customer.check_password(DEMO_CUSTOMER_PASSWORD)
    assert not customer.is_staff
    assert customer.has_perm("store.add_review")  # the customer role, as after signing up

    # Bulk inserts: nothing queued for the search index (the caller reindexes).
    assert not OutboxEntry.objects.exists()


@pytest.mark.django_db
def test_rating_aggregates_equal_the_approved_reviews():
    seed(products=300, seed=5)
    approved = Q(reviews__status=Review.Status.APPROVED)
    rows = Product.objects.annotate(
        approved_count=Count("reviews", filter=approved),
        approved_average=Avg("reviews__rating", filter=approved),
    )
    with_reviews = 0
    for p in rows:
        expected = Decimal(str(p.approved_average or 0)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        assert (p.rating_count, p.rating_average) == (p.approved_count, expected), p.sku
        with_reviews += p.approved_count > 0
    assert 0 < with_reviews < 300  # some products have reviews, some have none
    assert Review.objects.exclude(status=Review.Status.APPROVED).exists()


@pytest.mark.django_db
def test_no_reviews_when_the_maximum_is_zero():
    seed(products=50, seed=1, reviews_per_product_max=0)
    assert not Review.objects.exists()
    assert set(Product.objects.values_list("rating_count", "rating_average")) == {(0, Decimal("0.00"))}


@pytest.mark.django_db
@pytest.mark.parametrize("count", [0, -5, 1_000_001])
def test_an_absurd_product_count_is_refused_and_nothing_is_written(count):
    with pytest.raises(CommandError, match="--products must be between 1 and 1,000,000"):
        seed(products=count)
    assert nothing_written()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--products", "many"], "invalid int value"),
        (["--products", "10", "--reviews-per-product-max", "-1"], "--reviews-per-product-max must be"),
        (["--products", "10", "--reviews-per-product-max", "51"], "--reviews-per-product-max must be"),
    ],
)
def test_bad_arguments_are_refused_and_nothing_is_written(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("seed_catalog", *args, stdout=StringIO())
    assert nothing_written()


@pytest.mark.django_db
def test_if_empty_skips_a_catalog_with_products_and_without_it_the_command_refuses():
    seed(products=40, seed=2)
    before = snapshot()

    output = seed(products=40, seed=9, if_empty=True)
    assert "already has 40 products" in output
    assert snapshot() == before

    with pytest.raises(CommandError, match="already has 40 products"):
        seed(products=40, seed=9)
    assert snapshot() == before


@pytest.mark.django_db
def test_if_empty_seeds_an_empty_catalog():
    seed(products=25, seed=2, if_empty=True)
    assert Product.objects.count() == 25


@pytest.mark.django_db
def test_a_failure_half_way_leaves_nothing_behind(monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    # Reviews are written after the categories, brands, customers, products and images.
    monkeypatch.setattr(Review.objects, "bulk_create", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        seed(products=30, seed=4)
    assert nothing_written()


@pytest.mark.django_db
def test_each_demo_vendor_gets_a_back_office_account_of_its_own(client):
    from checkout.fulfilment import vendor_ids_of
    from store.demo.writer import DEMO_VENDOR_PASSWORD

    seed_demo_catalog(20, seed=3, reviews_per_product_max=0)
    vendors = list(Vendor.objects.order_by("name"))
    for number, vendor in enumerate(vendors, start=1):
        user = User.objects.get(username=f"vendor{number}")
        assert user.is_staff and not user.is_superuser
        assert vendor_ids_of(user) == frozenset({vendor.pk})
        assert user.groups.filter(name="vendor").exists()
    # They log in to the back office with the documented password, and a second seed adds no one.
    assert client.login(username="vendor1", password=DEMO_VENDOR_PASSWORD)
    assert client.get("/admin/").status_code == 200
    users = User.objects.count()
    seed_demo_catalog(5, seed=4, reviews_per_product_max=0)
    assert User.objects.count() == users
