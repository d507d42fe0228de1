"""Import synonym sets from a Solr / Elasticsearch synonyms file (search.merchandising.synonym_files).

All or nothing: a malformed or refused line is reported with its line number and no
set is saved. Sets identical to an existing one are skipped; ``--replace`` deletes the
existing sets first (in the same transaction)."""

from __future__ import annotations

import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from search.merchandising.models import SynonymSet
from search.merchandising.synonym_files import SynonymFileError, parse_synonyms
from search.merchandising.version import bump_rules_version

MAX_REPORTED_ERRORS = 50


class Command(BaseCommand):
    help = "Import synonym sets from a Solr/Elasticsearch synonyms file ('-' reads standard input)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The synonyms file, UTF-8.")
        parser.add_argument("--replace", action="store_true", help="Delete the existing synonym sets first.")

    def handle(self, *args, file: str, replace: bool, **options) -> None:
        lines = self.read(file)
        try:
            parsed = parse_synonyms(lines)
        except SynonymFileError as exc:
            raise CommandError(self.describe(exc.errors)) from None
        created = skipped = 0
        with transaction.atomic():
            if replace:
                SynonymSet.objects.all().delete()
            existing = {(s.kind, tuple(s.term_list())) for s in SynonymSet.objects.all()}
            errors: list[tuple[int, str]] = []
            for entry in parsed:
                synonym_set = SynonymSet(kind=entry.kind, terms=", ".join(entry.terms))
                key = (synonym_set.kind, tuple(synonym_set.term_list()))
                if key in existing:
                    skipped += 1
                    continue
                try:
                    synonym_set.full_clean()  # e.g. a one-way set circular with another
                except ValidationError as exc:
                    errors.append((entry.line, " ".join(exc.messages)))
                    continue
                synonym_set.save()
                existing.add(key)
                created += 1
            if errors:
                raise CommandError(self.describe(errors))  # rolls the whole import back
            bump_rules_version()
        replaced = ", the previous sets replaced" if replace else ""
        self.stdout.write(self.style.SUCCESS(
            f"{created} synonym set(s) imported, {skipped} already present{replaced}."
        ))

    def read(self, file: str) -> list[str]:
        try:
            if file == "-":
                return sys.stdin.read().splitlines()
            with open(file, encoding="utf-8-sig") as handle:
                return handle.read().splitlines()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}") from None
        except UnicodeDecodeError as exc:
            raise CommandError(f"{file} is not UTF-8 text (byte {exc.start}).") from None

    def describe(self, errors: list[tuple[int, str]]) -> str:
        shown = [f"line {n}: {message}" for n, message in errors[:MAX_REPORTED_ERRORS]]
        if len(errors) > MAX_REPORTED_ERRORS:
            shown.append(f"… and {len(errors) - MAX_REPORTED_ERRORS} more.")
        return "Nothing was imported.\n" + "\n".join(shown)
