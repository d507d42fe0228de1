"""The ``--vendor SLUG`` option of the product import and export commands (a leading underscore:
Django lists no command here)."""

from __future__ import annotations

from django.core.management.base import CommandError

from store.models import Vendor


def vendor_scope(slug: str | None) -> list[int] | None:
    """The ids the command may touch: one vendor's, or None for the whole catalog."""
    if not slug:
        return None
    found = Vendor.objects.filter(slug=slug).values_list("pk", flat=True).first()
    if found is None:
        raise CommandError(f"No vendor “{slug}”.")
    return [found]
