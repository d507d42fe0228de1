"""``manage.py seed_catalog``: fill an empty catalog with a realistic, reproducible demo catalog."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from store.demo.generator import DEFAULT_REVIEWS_PER_PRODUCT_MAX
from store.demo.writer import (
    DEMO_CUSTOMER_PASSWORD,
    DEMO_VENDOR_PASSWORD,
    MAX_PRODUCTS,
    MAX_REVIEWS_PER_PRODUCT,
    seed_demo_catalog,
)
from store.models import Product


class Command(BaseCommand):
    help = (
        "Seed a demo catalog: about 110 categories in 6 top categories, 58 brands, 5 vendors, "
        "attribute definitions, and N products with images, stock and reviews. The same --seed always "
        "gives the same catalog. Reviews come from demo customers customer1, customer2, … whose password "
        f"is {DEMO_CUSTOMER_PASSWORD!r}; new ones get the customer role (existing users of those names are "
        "reused, never changed). Each vendor gets a back-office account, vendor1 … (vendors in name order), "
        f"password {DEMO_VENDOR_PASSWORD!r}. "
        "Refuses to run when products exist, unless --if-empty makes that a no-op. Writes with bulk inserts "
        "in one transaction and bypasses the search outbox: run `manage.py reindex` afterwards."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--products",
            type=int,
            default=1000,
            help=f"How many products (1 to {MAX_PRODUCTS:,}; default 1000).",
        )
        parser.add_argument("--seed", type=int, default=42, help="Random seed (default 42).")
        parser.add_argument(
            "--reviews-per-product-max",
            type=int,
            default=DEFAULT_REVIEWS_PER_PRODUCT_MAX,
            help=f"Most reviews one product gets (0 to {MAX_REVIEWS_PER_PRODUCT}; default "
            f"{DEFAULT_REVIEWS_PER_PRODUCT_MAX}).",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (and succeed) when the catalog already has products.",
        )

    def handle(self, *args, **options) -> None:
        count: int = options["products"]
        reviews_max: int = options["reviews_per_product_max"]
        if not 1 <= count <= MAX_PRODUCTS:
            raise CommandError(f"--products must be between 1 and {MAX_PRODUCTS:,} (got {count:,}).")
        if not 0 <= reviews_max <= MAX_REVIEWS_PER_PRODUCT:
            raise CommandError(
                f"--reviews-per-product-max must be between 0 and {MAX_REVIEWS_PER_PRODUCT} "
                f"(got {reviews_max})."
            )
        existing = Product.objects.count()
        if existing:
            if options["if_empty"]:
                self.stdout.write(
                    f"The catalog already has {existing:,} products: nothing to do (--if-empty)."
                )
                return
            raise CommandError(
                f"The catalog already has {existing:,} products. Seeding needs an empty catalog: pass "
                "--if-empty to skip quietly, or delete the products first (e.g. `manage.py flush` on a "
                "demo database)."
            )

        self.stdout.write(f"Seeding {count:,} products (seed {options['seed']})…")
        next_report = [0.0]

        def report(done: int, total: int, elapsed: float) -> None:
            # About ten lines whatever the size.
            if done / total >= next_report[0] or done == total:
                self.stdout.write(f"  {done:>9,} / {total:,} products  {elapsed:6.1f} s")
                next_report[0] = done / total + 0.1

        summary = seed_demo_catalog(
            count, options["seed"], reviews_max, currency=settings.SHOP_CURRENCY, progress=report
        )
        self.stdout.write(
            f"Created {summary.categories_created} categories, {summary.brands_created} brands, "
            f"{summary.customers_created:,} customers, {summary.vendor_users_created} vendor accounts, "
            f"{summary.images:,} images, "
            f"{summary.reviews:,} reviews."
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {summary.products:,} products in {summary.seconds:.1f} s "
                f"({summary.rate:,.0f} products/s)."
            )
        )
        self.stdout.write("Bulk inserts bypass the search outbox: now run `manage.py reindex`.")
