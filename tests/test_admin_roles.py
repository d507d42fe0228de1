"""Back office: roles as groups, vendor isolation enforced by the server, moderation
keeping the ratings right, and every registered admin page rendering."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.db.models import Avg, Count
from django.test import RequestFactory
from django.urls import reverse

from indexing.models import OutboxEntry
from store.admin import ProductAdmin
from store.models import Brand, Category, Product, Review, Vendor
from store.roles import ADMINISTRATOR, CUSTOMER, MERCHANDISER, VENDOR, assign_role

pytestmark = pytest.mark.django_db


def make_user(username: str, role: str | None = None, vendors: tuple[Vendor, ...] = ()) -> User:
    user = User.objects.create_user(username, password="unused-password")
    if role:
        assign_role(user, role)
    for vendor in vendors:
        vendor.users.add(user)
    return user


def make_product(name: str, sku: str, catalog: SimpleNamespace, vendor: Vendor | None) -> Product:
    return Product.objects.create(
        name=name,
        slug=sku.lower(),
        sku=sku,
        brand=catalog.brand,
        category=catalog.category,
        vendor=vendor,
        price=Decimal("10.00"),
        stock_quantity=3,
    )


@pytest.fixture
def catalog() -> SimpleNamespace:
    catalog = SimpleNamespace()
    catalog.category = Category.objects.add_root(instance=Category(name="Shoes", slug="shoes"))
    catalog.brand = Brand.objects.create(name="Acme", slug="acme")
    catalog.vendor_a = Vendor.objects.create(name="Alpha Goods", slug="alpha")
    catalog.vendor_b = Vendor.objects.create(name="Bravo Goods", slug="bravo")
    catalog.product_a = make_product("Alpha Runner", "A-1", catalog, catalog.vendor_a)
    catalog.product_b = make_product("Bravo Boot", "B-1", catalog, catalog.vendor_b)
    return catalog


@pytest.fixture
def vendor_a_client(client, catalog):
    client.force_login(make_user("alice", VENDOR, vendors=(catalog.vendor_a,)))
    return client


def product_post_data(catalog: SimpleNamespace, **overrides) -> dict:
    """A complete add/change form for ProductAdmin, with an empty image inline."""
    data = {
        "name": "New Sneaker",
        "slug": "new-sneaker",
        "sku": "N-1",
        "description": "",
        "brand": catalog.brand.pk,
        "category": catalog.category.pk,
        "price": "25.00",
        "currency": "USD",
        "compare_at_price": "",
        "stock_quantity": "5",
        "is_active": "on",
        "attributes": "{}",
        "images-TOTAL_FORMS": "0",
        "images-INITIAL_FORMS": "0",
        "images-MIN_NUM_FORMS": "0",
        "images-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def group_permissions(name: str) -> set[str]:
    group = Group.objects.get(name=name)
    return {
        f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")
    }


# --- Roles --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "granted", "withheld"),
    [
        (CUSTOMER, {"store.add_review", "store.view_review"}, {"store.change_review", "store.view_product"}),
        (
            VENDOR,
            {
                "store.add_product",
                "store.change_product",
                "store.delete_product",
                "store.view_product",
                "store.add_productimage",
                "store.delete_productimage",
                "store.view_brand",
                "store.view_category",
                "store.view_attributedefinition",
                "store.view_review",
            },
            {"store.manage_all_products", "store.change_brand", "store.change_review", "store.view_vendor"},
        ),
        (
            MERCHANDISER,
            {
                "store.change_product",
                "store.manage_all_products",
                "store.add_category",
                "store.change_brand",
                "store.add_attributedefinition",
                "store.change_review",
                "store.view_vendor",
            },
            {"store.delete_product", "store.change_vendor", "auth.change_user"},
        ),
        (
            ADMINISTRATOR,
            {
                "store.manage_all_products",
                "store.delete_product",
                "store.change_vendor",
                "indexing.view_outboxentry",
                "auth.change_user",
                "auth.add_group",
            },
            set(),
        ),
    ],
)
def test_role_groups_exist_with_their_key_permissions(role, granted, withheld):
    permissions = group_permissions(role)
    assert granted <= permissions
    assert not withheld & permissions


def test_assign_role_gives_admin_access_to_staff_roles_only():
    customer = make_user("carol", CUSTOMER)
    vendor = make_user("victor", VENDOR)
    assert not customer.is_staff
    assert customer.has_perm("store.add_review")
    assert vendor.is_staff
    assert vendor.has_perm("store.change_product")
    assert not vendor.has_perm("store.manage_all_products")
    with pytest.raises(ValueError):
        assign_role(customer, "overlord")


# --- Vendor isolation -----------------------------------------------------------


def test_vendor_changelist_lists_only_own_products(vendor_a_client, catalog):
    response = vendor_a_client.get(reverse("admin:store_product_changelist"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Alpha Runner" in html
    assert "Bravo Boot" not in html
    # Not even through the filter sidebar.
    assert "Bravo Goods" not in html


@pytest.mark.parametrize("view", ["change", "history", "delete"])
def test_vendor_cannot_open_another_vendors_product(vendor_a_client, catalog, view):
    url = reverse(f"admin:store_product_{view}", args=[catalog.product_b.pk])
    response = vendor_a_client.get(url)
    # Same answer as for a product that does not exist: no hint that it does.
    assert response.status_code in (302, 404)
    followed = vendor_a_client.get(url, follow=True)
    assert "Bravo Boot" not in followed.content.decode()


def test_vendor_opens_own_product_with_vendor_read_only(vendor_a_client, catalog):
    response = vendor_a_client.get(reverse("admin:store_product_change", args=[catalog.product_a.pk]))
    assert response.status_code == 200
    assert 'name="vendor"' not in response.content.decode()


def test_vendor_post_to_another_vendors_product_changes_nothing(vendor_a_client, catalog):
    product_b = catalog.product_b
    change_url = reverse("admin:store_product_change", args=[product_b.pk])
    data = product_post_data(
        catalog, name="Hijacked", slug=product_b.slug, sku=product_b.sku, vendor=catalog.vendor_a.pk
    )
    response = vendor_a_client.post(change_url, data)
    assert response.status_code != 200
    delete_url = reverse("admin:store_product_delete", args=[product_b.pk])
    vendor_a_client.post(delete_url, {"post": "yes"})

    product_b.refresh_from_db()
    assert product_b.name == "Bravo Boot"
    assert product_b.vendor == catalog.vendor_b


def test_vendor_creating_a_product_gets_its_own_vendor_whatever_the_post_says(vendor_a_client, catalog):
    data = product_post_data(catalog, vendor=catalog.vendor_b.pk)
    response = vendor_a_client.post(reverse("admin:store_product_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Product.objects.get(sku="N-1").vendor == catalog.vendor_a


def test_vendor_of_several_vendors_cannot_pick_a_foreign_vendor(client, catalog):
    vendor_c = Vendor.objects.create(name="Charlie Goods", slug="charlie")
    client.force_login(make_user("multi", VENDOR, vendors=(catalog.vendor_a, vendor_c)))
    add_url = reverse("admin:store_product_add")

    refused = client.post(add_url, product_post_data(catalog, vendor=catalog.vendor_b.pk))
    assert refused.status_code == 200  # the form again, with an error
    assert "vendor" in refused.context["adminform"].form.errors
    assert not Product.objects.filter(sku="N-1").exists()

    accepted = client.post(add_url, product_post_data(catalog, vendor=vendor_c.pk))
    assert accepted.status_code == 302
    assert Product.objects.get(sku="N-1").vendor == vendor_c


def test_vendor_bulk_action_only_touches_own_products_and_records_outbox(vendor_a_client, catalog):
    product_a, product_b = catalog.product_a, catalog.product_b
    outbox_a = OutboxEntry.objects.filter(product_id=product_a.pk).count()
    outbox_b = OutboxEntry.objects.filter(product_id=product_b.pk).count()

    response = vendor_a_client.post(
        reverse("admin:store_product_changelist"),
        {"action": "deactivate", "_selected_action": [product_a.pk, product_b.pk], "index": "0"},
    )
    assert response.status_code == 302

    product_a.refresh_from_db()
    product_b.refresh_from_db()
    assert not product_a.is_active
    assert product_b.is_active
    # The action went through ProductQuerySet.update(), which feeds the search index.
    assert OutboxEntry.objects.filter(product_id=product_a.pk).count() == outbox_a + 1
    assert OutboxEntry.objects.filter(product_id=product_b.pk).count() == outbox_b


def test_object_permissions_refuse_another_vendors_product(catalog):
    request = RequestFactory().get("/")
    request.user = make_user("alice", VENDOR, vendors=(catalog.vendor_a,))
    model_admin = ProductAdmin(Product, admin.site)
    assert model_admin.has_change_permission(request, catalog.product_a)
    assert not model_admin.has_change_permission(request, catalog.product_b)
    assert not model_admin.has_delete_permission(request, catalog.product_b)
    assert not model_admin.has_view_permission(request, catalog.product_b)


def test_vendor_user_cannot_manage_vendors(vendor_a_client, catalog):
    response = vendor_a_client.get(reverse("admin:store_vendor_changelist"))
    assert response.status_code == 403


# --- Merchandiser ----------------------------------------------------------------


def approved_rating(product: Product) -> tuple[Decimal, int]:
    summary = product.reviews.filter(status=Review.Status.APPROVED).aggregate(
        avg=Avg("rating"), n=Count("id")
    )
    return Decimal(str(summary["avg"] or 0)).quantize(Decimal("0.01")), summary["n"]


def test_merchandiser_sees_every_vendors_products(client, catalog):
    client.force_login(make_user("mia", MERCHANDISER))
    html = client.get(reverse("admin:store_product_changelist")).content.decode()
    assert "Alpha Runner" in html
    assert "Bravo Boot" in html


def test_merchandiser_moderation_keeps_the_rating_equal_to_approved_reviews(client, catalog):
    product = catalog.product_a
    shoppers = [make_user(f"shopper{i}", CUSTOMER) for i in range(3)]
    already = Review.objects.create(
        product=product, author=shoppers[0], rating=4, title="Good", body="ok", status=Review.Status.APPROVED
    )
    great = Review.objects.create(product=product, author=shoppers[1], rating=5, title="Great", body="yes")
    poor = Review.objects.create(product=product, author=shoppers[2], rating=2, title="Meh", body="no")
    product.refresh_from_db()
    assert (product.rating_average, product.rating_count) == (Decimal("4.00"), 1)

    client.force_login(make_user("mia", MERCHANDISER))
    changelist = reverse("admin:store_review_changelist")
    response = client.post(
        changelist, {"action": "approve", "_selected_action": [great.pk, poor.pk, already.pk], "index": "0"}
    )
    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.rating_average, product.rating_count) == (Decimal("3.67"), 3)
    assert (product.rating_average, product.rating_count) == approved_rating(product)

    client.post(changelist, {"action": "reject", "_selected_action": [great.pk], "index": "0"})
    product.refresh_from_db()
    assert (product.rating_average, product.rating_count) == (Decimal("3.00"), 2)
    assert (product.rating_average, product.rating_count) == approved_rating(product)


# --- Every admin page ---------------------------------------------------------------


@pytest.fixture
def superuser_client(client, catalog):
    superuser = User.objects.create_superuser("root", "root@example.com", "unused-password")
    Review.objects.create(product=catalog.product_a, author=superuser, rating=5, title="Mine", body="b")
    OutboxEntry.objects.create(product_id=catalog.product_a.pk, attempts=2, last_error="engine said no")
    client.force_login(superuser)
    client.superuser = superuser
    return client


def test_every_registered_admin_page_renders_for_a_superuser(superuser_client):
    request = RequestFactory().get("/")
    request.user = superuser_client.superuser
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        changelist = superuser_client.get(reverse("admin:{}_{}_changelist".format(*info)))
        assert changelist.status_code == 200, f"{model.__name__} changelist"

        add = superuser_client.get(reverse("admin:{}_{}_add".format(*info)))
        expected = 200 if model_admin.has_add_permission(request) else 403
        assert add.status_code == expected, f"{model.__name__} add page"

        obj = model_admin.get_queryset(request).first()
        if obj is not None:
            change = superuser_client.get(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
            assert change.status_code == 200, f"{model.__name__} change page"


def test_outbox_admin_is_read_only(superuser_client):
    entry = OutboxEntry.objects.get(last_error="engine said no")
    original_product_id = entry.product_id
    assert superuser_client.get(reverse("admin:indexing_outboxentry_add")).status_code == 403

    change_url = reverse("admin:indexing_outboxentry_change", args=[entry.pk])
    page = superuser_client.get(change_url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()

    response = superuser_client.post(change_url, {"product_id": "999", "attempts": "0", "last_error": ""})
    assert response.status_code == 403
    delete_url = reverse("admin:indexing_outboxentry_delete", args=[entry.pk])
    assert superuser_client.post(delete_url, {"post": "yes"}).status_code == 403

    entry.refresh_from_db()
    assert (entry.product_id, entry.attempts, entry.last_error) == (original_product_id, 2, "engine said no")

    listing = superuser_client.get(reverse("admin:indexing_outboxentry_changelist")).content.decode()
    assert "engine said no" in listing
    assert "delete_selected" not in listing


def test_category_admin_builds_the_path_and_refuses_a_taken_one(superuser_client, catalog):
    add_url = reverse("admin:store_category_add")
    child = {
        "name": "Running",
        "slug": "running",
        "description": "",
        "treebeard_position": "sorted-child",
        "treebeard_ref_node": catalog.category.pk,
    }
    assert superuser_client.post(add_url, child).status_code == 302
    assert Category.objects.get(slug="running").slug_path == "shoes/running"

    again = superuser_client.post(add_url, {**child, "name": "Running again"})
    assert again.status_code == 200
    assert "slug" in again.context["adminform"].form.errors
    assert Category.objects.filter(slug="running").count() == 1
