"""Rebuild semantic matching's vocabulary from the catalog now (search.semantic.vocabulary);
``reindex`` and a beat task do it too. Only the terms the embedding cache lacks are embedded."""

from django.core.management.base import BaseCommand, CommandError

from search.semantic import embedder
from search.semantic.vocabulary import refresh_vocabulary


class Command(BaseCommand):
    help = "Recompute semantic matching's vocabulary from the catalog and embed its new terms."

    def handle(self, *args, **options) -> None:
        if not embedder.enabled():
            raise CommandError(f"Semantic matching is {embedder.status()}.")
        report = refresh_vocabulary()
        self.stdout.write(self.style.SUCCESS(
            f"{report.terms} terms, {report.embedded} embedded now, {'changed' if report.changed else 'unchanged'}, "
            f"in {report.seconds:.1f}s."))
