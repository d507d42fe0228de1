"""``manage.py import_products FILE [--vendor SLUG] [--dry-run]``: products from a CSV or XLSX
file (store.product_io), all or nothing. Exit 1, with a line per refused row, when anything
is refused; with ``--vendor`` only that vendor's products may be touched."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from store.product_io import (
    ProductFileError,
    import_products,
    read_products_file,
    result_changes,
    result_counts,
    result_problems,
)

from ._vendor_scope import vendor_scope


class Command(BaseCommand):
    help = "Import products from a CSV or XLSX file (one transaction; --dry-run shows what would change)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")
        parser.add_argument("--vendor", help="Import as this vendor (slug): its own products only.")
        parser.add_argument("--dry-run", action="store_true", help="Show what would change; change nothing.")

    def handle(self, *args, file: str, vendor: str | None, dry_run: bool, **options) -> None:
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No file {file}.")
        vendor_ids = vendor_scope(vendor)
        try:
            dataset = read_products_file(path.read_bytes(), path.name)
        except ProductFileError as exc:
            raise CommandError(str(exc)) from None
        result = import_products(dataset, vendor_ids=vendor_ids, dry_run=dry_run)
        counts = result_counts(result)
        summary = ", ".join(f"{n} {what}" for what, n in (
            ("new", counts["new"]), ("updated", counts["update"]), ("unchanged", counts["skip"]),
            ("refused", counts["invalid"])))
        problems = result_problems(result)
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"Nothing imported: {len(problems)} problem(s). Rows: {summary}.")
        if dry_run:
            for change in result_changes(result):
                self.stdout.write(change)
        verb = "Would import" if dry_run else "Imported"
        self.stdout.write(f"{verb} {len(dataset)} row(s): {summary}.")
