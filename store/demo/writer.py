"""Writer of the demo catalog: the generator's rows into the database, in one transaction.

Bulk inserts fire no signals, so no search outbox rows are written: the caller
reindexes afterwards."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from store.models import AttributeDefinition, Brand, Category, Product, ProductImage, Review, Vendor
from store.roles import CUSTOMER, VENDOR, assign_role

from .generator import DEFAULT_REVIEWS_PER_PRODUCT_MAX, DemoCatalog, customer_count_for
from .images import DemoImages
from .vocabulary import CHOICE

MAX_PRODUCTS = 1_000_000
MAX_REVIEWS_PER_PRODUCT = 50
# Every demo customer (customer1, customer2, …) can log in with this password.
DEMO_CUSTOMER_PASSWORD = "demo-customer"
# The demo vendors' accounts (vendor1 … for the vendors in name order) log in to the back office with this.
DEMO_VENDOR_PASSWORD = "demo-vendor"


@dataclass
class SeedSummary:
    products: int
    images: int
    reviews: int
    categories_created: int
    brands_created: int
    customers_created: int
    seconds: float
    vendor_users_created: int = 0

    @property
    def rate(self) -> float:
        return self.products / self.seconds if self.seconds else 0.0


def seed_demo_catalog(
    products: int,
    seed: int,
    reviews_per_product_max: int = DEFAULT_REVIEWS_PER_PRODUCT_MAX,
    *,
    currency: str = "USD",
    batch_size: int = 2000,
    progress: Callable[[int, int, float], None] | None = None,
) -> SeedSummary:
    """Write the demo catalog for ``seed`` in one transaction.

    Categories, brands, vendors, attribute definitions and customers that
    already exist (matched by slug path, name, code or username) are reused;
    products are always new, so call this on a catalog without products.
    """
    if not 1 <= products <= MAX_PRODUCTS:
        raise ValueError(f"products must be between 1 and {MAX_PRODUCTS:,}")
    if not 0 <= reviews_per_product_max <= MAX_REVIEWS_PER_PRODUCT:
        raise ValueError(f"reviews_per_product_max must be between 0 and {MAX_REVIEWS_PER_PRODUCT}")
    started = time.perf_counter()
    started_at = timezone.now()  # the one clock reading: the listing dates count back from it
    catalog = DemoCatalog(
        seed, reviews_per_product_max, customer_count_for(products, reviews_per_product_max)
    )
    User = get_user_model()

    with transaction.atomic():
        # Categories: a few dozen nodes through treebeard's normal API (it keeps paths and numchild right).
        existing = {c.slug_path: c for c in Category.objects.all()}
        categories_created = 0
        for row in catalog.categories:
            if row.slug_path in existing:
                continue
            if row.parent_path is None:
                node = Category.objects.add_root(create_kwargs={"name": row.name, "slug": row.slug})
            else:
                parent = existing[row.parent_path]
                node = Category.objects.add_child(parent, create_kwargs={"name": row.name, "slug": row.slug})
            existing[row.slug_path] = node
            categories_created += 1
        category_ids = {path: c.pk for path, c in existing.items()}

        have = set(AttributeDefinition.objects.values_list("category_id", "code"))
        definitions = []
        for row in catalog.categories:
            for attr in row.attrs:
                if (category_ids[row.slug_path], attr.code) not in have:
                    choices = list(attr.values) if attr.kind == CHOICE else []
                    definitions.append(
                        AttributeDefinition(
                            category_id=category_ids[row.slug_path],
                            code=attr.code,
                            label=attr.label,
                            kind=attr.kind,
                            choices=choices,
                        )
                    )
        AttributeDefinition.objects.bulk_create(definitions)

        brand_ids, brands_created = _ensure_named(Brand, catalog.brands)
        vendor_ids, _ = _ensure_named(Vendor, catalog.vendors)
        vendor_users_created = _ensure_vendor_users(vendor_ids, catalog.password_salt)

        # Customers: one password hash for all (hashing per user would take minutes).
        usernames = [c.username for c in catalog.customers]
        known = dict(User.objects.filter(username__in=usernames).values_list("username", "pk"))
        password = make_password(DEMO_CUSTOMER_PASSWORD, salt=catalog.password_salt)
        new_users = [
            User(
                username=c.username,
                first_name=c.first_name,
                last_name=c.last_name,
                email=c.email,
                password=password,
            )
            for c in catalog.customers
            if c.username not in known
        ]
        User.objects.bulk_create(new_users, batch_size=1000)
        existed = set(known)
        known = dict(User.objects.filter(username__in=usernames).values_list("username", "pk"))
        author_ids = [known[name] for name in usernames]
        _add_to_customer_role([pk for name, pk in known.items() if name not in existed])

        pictures = DemoImages()  # one per product type × colour, shared
        done = images = reviews = 0
        rows = catalog.products(products)
        while done < products:
            batch = [next(rows) for _ in range(min(batch_size, products - done))]
            objects = [
                Product(
                    name=r.name,
                    slug=r.slug,
                    sku=r.sku,
                    description=r.description,
                    brand_id=brand_ids[r.brand],
                    category_id=category_ids[r.category_path],
                    vendor_id=vendor_ids[r.vendor] if r.vendor else None,
                    price=r.price,
                    currency=currency,
                    compare_at_price=r.compare_at_price,
                    stock_quantity=r.stock_quantity,
                    is_active=True,
                    attributes=r.attributes,
                    rating_average=r.rating_average,
                    rating_count=r.rating_count,
                    sales_count=r.sales_count,
                    created_at=started_at - timedelta(minutes=r.age_minutes),
                )
                for r in batch
            ]
            # bulk_create sends no signals: no outbox rows, the caller reindexes once at the end.
            Product.objects.bulk_create(objects)
            image_objects = []
            review_objects = []
            for product, r in zip(objects, batch, strict=True):
                picture = pictures.source(r.image_kind, r.attributes.get("color"))
                for position, alt in enumerate(r.images):
                    image_objects.append(
                        ProductImage(product_id=product.pk, image=picture, alt=alt[:200], position=position)
                    )
                for review in r.reviews:
                    review_objects.append(
                        Review(
                            product_id=product.pk,
                            author_id=author_ids[review.author_index],
                            rating=review.rating,
                            title=review.title,
                            body=review.body,
                            status=review.status,
                        )
                    )
            ProductImage.objects.bulk_create(image_objects)
            Review.objects.bulk_create(review_objects)
            done += len(batch)
            images += len(image_objects)
            reviews += len(review_objects)
            if progress:
                progress(done, products, time.perf_counter() - started)

    return SeedSummary(
        products=done,
        images=images,
        reviews=reviews,
        categories_created=categories_created,
        brands_created=brands_created,
        customers_created=len(new_users),
        seconds=time.perf_counter() - started,
        vendor_users_created=vendor_users_created,
    )


def _add_to_customer_role(user_ids: list[int]) -> None:
    """What signing up does (store.roles.assign_role), in one insert: customers may write reviews."""
    group = Group.objects.filter(name=CUSTOMER).first()
    if group is None or not user_ids:
        return
    field = get_user_model().groups.field
    membership = field.remote_field.through
    user_column, group_column = f"{field.m2m_field_name()}_id", f"{field.m2m_reverse_field_name()}_id"
    membership.objects.bulk_create(
        [membership(**{user_column: pk, group_column: group.pk}) for pk in user_ids], ignore_conflicts=True
    )


def _ensure_vendor_users(vendor_ids: dict[str, int], salt: str) -> int:
    """One back-office account per demo vendor: vendor1 … in the vendors' name order, each
    with the vendor role and managing its own vendor only. Existing users of those names are
    left as they are; returns how many were created."""
    User = get_user_model()
    created = 0
    password = make_password(DEMO_VENDOR_PASSWORD, salt=salt)
    has_role = Group.objects.filter(name=VENDOR).exists()  # created by migration store/0002_roles
    for number, name in enumerate(sorted(vendor_ids), start=1):
        username = f"vendor{number}"
        if User.objects.filter(username=username).exists():
            continue
        user = User.objects.create(username=username, email=f"{username}@example.com", password=password,
                                   is_staff=True)
        if has_role:
            assign_role(user, VENDOR)
        Vendor.objects.get(pk=vendor_ids[name]).users.add(user)
        created += 1
    return created


def _ensure_named(model, names: list[str]) -> tuple[dict[str, int], int]:
    """Ids by name for ``model`` (Brand, Vendor), creating the missing ones; and how many were created."""
    existing = set(model.objects.filter(name__in=names).values_list("name", flat=True))
    missing = [model(name=n, slug=slugify(n)) for n in names if n not in existing]
    model.objects.bulk_create(missing)
    return dict(model.objects.filter(name__in=names).values_list("name", "pk")), len(missing)
