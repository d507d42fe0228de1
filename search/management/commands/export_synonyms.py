"""Export the active synonym sets in the Solr / Elasticsearch synonyms format
(search.merchandising.synonym_files); import_synonyms reads it back."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from search.merchandising.models import SynonymSet
from search.merchandising.synonym_files import export_lines


class Command(BaseCommand):
    help = "Export the active synonym sets as a Solr/Elasticsearch synonyms file (default: standard output)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", default="-",
                            help="Where to write ('-' or nothing: standard output).")
        parser.add_argument("--include-inactive", action="store_true", help="Also the sets switched off.")

    def handle(self, *args, file: str, include_inactive: bool, **options) -> None:
        sets = SynonymSet.objects.order_by("kind", "terms", "id")
        if not include_inactive:
            sets = sets.filter(is_active=True)
        lines = export_lines(sets)
        text = "\n".join([
            f"# Synonym sets exported {timezone.now():%Y-%m-%d %H:%M} UTC (Solr/Elasticsearch format).",
            "# Two-way: “a, b, c”. One-way: “a => a, b” (a also finds b). Schedules are not exported.",
            *lines,
        ]) + "\n"
        if file == "-":
            self.stdout.write(text, ending="")
            return
        try:
            with open(file, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            raise CommandError(f"Cannot write {file}: {exc.strerror or exc}") from None
        self.stderr.write(f"{len(lines)} synonym set(s) written to {file}.")
