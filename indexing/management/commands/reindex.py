"""Rebuild the search index with zero downtime.

Builds a new concrete index from a streaming read of the database, switches the
alias (or tantivy's CURRENT pointer) atomically, then reconciles whatever
changed during the build through the outbox, and drops the old index.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from indexing.outbox import record_changes
from indexing.sync import drain_outbox
from indexing.verify import compare
from search.backends import SearchUnavailable, get_backend
from search.documents import iter_all_documents
from store.models import Product


class Command(BaseCommand):
    help = "Rebuild the product search index into a new index and switch to it atomically."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch-size", type=int, default=2000, help="Products per bulk write (10–20000).")
        parser.add_argument("--keep-old", action="store_true", help="Keep the previous index instead of dropping it.")
        parser.add_argument("--no-input", "--noinput", action="store_true", dest="no_input",
                            help="Do not ask for confirmation.")

    def handle(self, *args, batch_size: int, keep_old: bool, no_input: bool, **options) -> None:
        if not 10 <= batch_size <= 20000:
            raise CommandError("--batch-size must be between 10 and 20000.")
        backend = get_backend()
        engine = backend.config["ENGINE"]
        try:
            backend.ensure_index()
        except SearchUnavailable as exc:
            raise CommandError(f"The search engine ({engine}) is unreachable: {exc}") from exc
        except Exception as exc:  # noqa: BLE001 - transport errors of either engine
            raise CommandError(f"The search engine ({engine}) is unreachable: {exc}") from exc
        if not no_input and self.interactive_prompt_declined(engine):
            raise CommandError("Reindex cancelled.")

        total = Product.objects.visible().count()
        started = time.monotonic()
        try:
            new_index = backend.create_index()
            self.stdout.write(f"Building {new_index} on {engine} from {total} products…")
            with tqdm(total=total, unit="products", file=self.stderr._out, disable=None, smoothing=0.1) as bar:
                backend.load(new_index, iter_all_documents(batch_size), progress=bar.update)
            built = time.monotonic() - started
            previous = backend.switch(new_index)
            # Changes committed while we were building: repair them through the outbox.
            drift = compare(backend)
            record_changes(drift.product_ids())
            drain_outbox()
        except SearchUnavailable as exc:
            raise CommandError(f"The search engine ({engine}) became unreachable: {exc}") from exc
        if previous and previous != new_index and not keep_old:
            backend.drop_index(previous)
        rate = total / built if built > 0 else float("inf")
        self.stdout.write(self.style.SUCCESS(
            f"Indexed {total} products into {new_index} in {built:.1f}s ({rate:,.0f} products/s); "
            f"switched from {previous or 'nothing'}; reconciled {len(drift.product_ids())} changed during the build."
        ))

    def interactive_prompt_declined(self, engine: str) -> bool:
        import sys

        if not sys.stdin.isatty():
            return False
        answer = input(f"Rebuild the {engine} product index? Searches keep working meanwhile. [y/N] ")
        return answer.strip().lower() not in ("y", "yes")
