"""Compare the database with the search index; optionally repair through the outbox."""

from django.core.management.base import BaseCommand, CommandError

from indexing.outbox import record_changes
from indexing.reindex import ReindexAlreadyRunning, run_reindex
from indexing.sync import drain_outbox
from indexing.verify import Drift, compare
from search.backends import SearchUnavailable, get_backend

SHOW_IDS = 20


class Command(BaseCommand):
    help = "Compare every product id and version stamp in the database with the index. Exit 1 when they differ."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--repair", action="store_true",
                            help="Queue the differing products in the outbox and drain it, then verify again.")

    def handle(self, *args, repair: bool, **options) -> None:
        backend = get_backend()
        try:
            drift = compare(backend)
            self.report(drift)
            if drift.clean:
                self.stdout.write(self.style.SUCCESS("The index matches the database."))
                return
            if not repair:
                raise CommandError("The index differs from the database (run with --repair to fix).", returncode=1)
            if drift.definition:
                # Refilling an index of the wrong mapping would not make searches work: rebuild it.
                self.stdout.write("The index's mapping differs from ours: reindexing…")
                run_reindex()
            else:
                record_changes(drift.product_ids())
                drain_outbox()
            backend.refresh()
            after = compare(backend)
        except ReindexAlreadyRunning as exc:
            raise CommandError(str(exc), returncode=2) from exc
        except SearchUnavailable as exc:
            raise CommandError(f"The search engine is unreachable: {exc}", returncode=2) from exc
        if not after.clean:
            self.report(after)
            raise CommandError("The index still differs after the repair.", returncode=1)
        what = "the index definition" if drift.definition else f"{len(drift.product_ids())} products"
        self.stdout.write(self.style.SUCCESS(f"Repaired {what}; the index now matches."))

    def report(self, drift: Drift) -> None:
        self.stdout.write(f"database: {drift.database_count} products, index: {drift.index_count} documents")
        for label, ids in (("missing", drift.missing), ("stale", drift.stale), ("orphaned", drift.orphaned)):
            shown = ", ".join(map(str, ids[:SHOW_IDS])) + (" …" if len(ids) > SHOW_IDS else "")
            self.stdout.write(f"{label}: {len(ids)}" + (f" ({shown})" if ids else ""))
        self.stdout.write("mapping: " + ("matches" if not drift.definition else
                                         f"differs ({'; '.join(drift.definition[:SHOW_IDS])})"))
