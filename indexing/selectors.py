"""What the index status page shows: the engine, the database and the sync backlog, read once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from search.backends import get_backend
from store.models import Product

from .models import OutboxEntry, ReindexRun

FAILING_SHOWN = 50
RECENT_RUNS_SHOWN = 5


@dataclass
class IndexStatus:
    engine: str
    alias: str
    database_count: int
    backlog: int
    oldest_entry_at: datetime | None
    failing: list[OutboxEntry]
    failing_count: int
    recent_runs: list[ReindexRun]
    current_index: str | None = None
    indices: list[str] = field(default_factory=list)
    index_count: int | None = None
    engine_error: str = ""  # set when the engine did not answer; the rest of the page still shows

    @property
    def count_difference(self) -> int | None:
        return None if self.index_count is None else self.index_count - self.database_count

    @property
    def last_run(self) -> ReindexRun | None:
        return self.recent_runs[0] if self.recent_runs else None


def index_status() -> IndexStatus:
    backend = get_backend()
    failing = OutboxEntry.objects.filter(attempts__gt=0)
    status = IndexStatus(
        engine=backend.name,
        alias=backend.alias,
        database_count=Product.objects.visible().count(),
        backlog=OutboxEntry.objects.count(),
        oldest_entry_at=OutboxEntry.objects.order_by("id").values_list("created_at", flat=True).first(),
        failing=list(failing.order_by("-attempts", "id")[:FAILING_SHOWN]),
        failing_count=failing.count(),
        recent_runs=list(ReindexRun.objects.select_related("requested_by")[:RECENT_RUNS_SHOWN]),
    )
    try:
        status.current_index = backend.current_index()
        status.indices = backend.list_indices()
        status.index_count = backend.count() if status.current_index else 0
    except Exception as exc:  # noqa: BLE001 - an engine that is down is what this page must show
        status.engine_error = f"{type(exc).__name__}: {exc}"[:500]
    return status


def run_progress(run: ReindexRun | None) -> dict:
    """The JSON the status page polls while a reindex runs."""
    if run is None:
        return {"run": None}
    return {
        "run": {
            "id": run.pk,
            "status": run.status,
            "running": run.running,
            "index_name": run.index_name,
            "total": run.total,
            "done": run.done,
            "percent": run.percent,
            "rate": round(run.rate) if run.rate else None,
            "elapsed_seconds": round(run.duration.total_seconds(), 1),
            "started_at": run.started_at.isoformat(),
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
            "started_by": run.started_by,
            "error": run.error,
        }
    }
