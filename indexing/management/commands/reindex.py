"""Rebuild the search index with zero downtime (see indexing.reindex.run_reindex).

Builds a new concrete index from a streaming read of the database, switches the
alias (or tantivy's CURRENT pointer) atomically, then reconciles whatever
changed during the build through the outbox, and drops the old index.
"""

import sys
from typing import TextIO

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from indexing.models import ReindexRun
from indexing.reindex import (
    DEFAULT_BATCH_SIZE,
    MAX_BATCH_SIZE,
    MIN_BATCH_SIZE,
    EngineUnreachable,
    ReindexAlreadyRunning,
    check_engine,
    run_reindex,
)
from search.backends import SearchUnavailable, get_backend
from search.semantic import embedder
from search.semantic.vocabulary import refresh_vocabulary


class Command(BaseCommand):
    help = "Rebuild the product search index into a new index and switch to it atomically."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE,
                            help=f"Products per bulk write ({MIN_BATCH_SIZE}–{MAX_BATCH_SIZE}).")
        parser.add_argument("--keep-old", action="store_true", help="Keep the previous index instead of dropping it.")
        parser.add_argument("--no-input", "--noinput", action="store_true", dest="no_input",
                            help="Do not ask for confirmation.")

    def handle(self, *args, batch_size: int, keep_old: bool, no_input: bool, **options) -> None:
        if not MIN_BATCH_SIZE <= batch_size <= MAX_BATCH_SIZE:
            raise CommandError(f"--batch-size must be between {MIN_BATCH_SIZE} and {MAX_BATCH_SIZE}.")
        engine = get_backend().name
        try:
            check_engine()  # before asking: no point confirming a rebuild that cannot run
        except EngineUnreachable as exc:
            raise CommandError(str(exc)) from exc
        if not no_input and self.interactive_prompt_declined(engine):
            raise CommandError("Reindex cancelled.")

        bar: tqdm | None = None

        def show_progress(run: ReindexRun) -> None:
            nonlocal bar
            if bar is None:
                self.stdout.write(f"Building {run.index_name} on {engine} from {run.total} products…")
                self.stdout.flush()
                # The raw stream (OutputWrapper.write would end every redraw with a newline). django-stubs
                # does not declare OutputWrapper._out: its __getattr__ makes it a Callable.
                stream: TextIO = self.stderr._out  # type: ignore[assignment]
                bar = tqdm(total=run.total, unit="products", file=stream, disable=None, smoothing=0.1)
            bar.update(run.done - bar.n)

        try:
            outcome = run_reindex(batch_size, keep_old, show_progress)
        except ReindexAlreadyRunning as exc:
            raise CommandError(str(exc)) from exc
        except EngineUnreachable as exc:
            raise CommandError(str(exc)) from exc
        except SearchUnavailable as exc:
            raise CommandError(f"The search engine ({engine}) became unreachable: {exc}") from exc
        finally:
            if bar is not None:
                bar.close()
        run = outcome.run
        self.stdout.write(self.style.SUCCESS(
            f"Indexed {run.done} products into {run.index_name} in {run.build_seconds:.1f}s "
            f"({run.rate or 0:,.0f} products/s); switched from {outcome.previous_index or 'nothing'}; "
            f"reconciled {outcome.reconciled} changed during the build."
        ))
        self._refresh_semantic_vocabulary()

    def _refresh_semantic_vocabulary(self) -> None:
        """Semantic matching's vocabulary follows the catalog just indexed (only the terms the
        embedding cache lacks are embedded). Its failure is reported, never the reindex's."""
        if not embedder.enabled():
            self.stdout.write(f"Semantic matching {embedder.status()}.")
            return
        try:
            report = refresh_vocabulary()
        except Exception as exc:  # noqa: BLE001 - the index is live; the beat task retries the vocabulary
            self.stderr.write(f"Semantic vocabulary not refreshed ({type(exc).__name__}: {exc}); searches stay "
                              f"lexical for new words until the next refresh.")
            return
        self.stdout.write(f"Semantic vocabulary: {report.terms} terms ({report.embedded} embedded now, the others "
                          f"from the cache) in {report.seconds:.1f}s.")

    def interactive_prompt_declined(self, engine: str) -> bool:
        if not sys.stdin.isatty():
            return False
        answer = input(f"Rebuild the {engine} product index? Searches keep working meanwhile. [y/N] ")
        return answer.strip().lower() not in ("y", "yes")
