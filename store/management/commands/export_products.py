"""``manage.py export_products FILE.csv|FILE.xlsx [--vendor SLUG]``: the catalog's products (or
one vendor's) in the import's format; formula-like cells are neutralised (store.product_io)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from store.models import Product
from store.product_io import ProductFileError, export_products

from ._vendor_scope import vendor_scope


class Command(BaseCommand):
    help = "Export products to a CSV or XLSX file."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")
        parser.add_argument("--vendor", help="Only this vendor's products (slug).")

    def handle(self, *args, file: str, vendor: str | None, **options) -> None:
        vendor_ids = vendor_scope(vendor)
        try:
            data = export_products(Product.objects.order_by("pk"), file, vendor_ids=vendor_ids)
        except ProductFileError as exc:
            raise CommandError(str(exc)) from None
        Path(file).write_bytes(data)
        self.stdout.write(f"Wrote {file}.")
