"""The embedded engine's disk fills up: writes wait in the outbox, searches answer from the
last commit, and the same process drains by itself once space is freed.

The fault is real: the tantivy index lives on a small filesystem of its own (a 4 MB tmpfs,
or a loop-mounted ext4 image where tmpfs cannot be mounted) that a file fills to ENOSPC.
"""

from __future__ import annotations

import errno
import shutil
import subprocess
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from indexing.models import OutboxEntry
from indexing.sync import drain_outbox
from indexing.verify import compare
from search.backends import SearchBackend, SearchUnavailable, get_backend
from store.models import Product
from tests.catalog import build_catalog
from tests.conftest import WorkerControl, engine_config, sync_index, wait_for
from tests.faults import FaultReport, time_to_recover

DISK_MB = 4
EDITED = 10  # products edited while the disk is full


def _mount_small_filesystem(mountpoint: Path, image: Path) -> str:
    """Mount a DISK_MB filesystem at ``mountpoint``; say which kind, or skip saying why not."""
    if not shutil.which("mount"):
        pytest.skip("no mount(8) here: cannot give the index a small filesystem of its own")
    tmpfs = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK_MB}m", "tmpfs", str(mountpoint)],
                           capture_output=True, text=True)
    if tmpfs.returncode == 0:
        return "tmpfs"
    reasons = [f"tmpfs: {tmpfs.stderr.strip()}"]
    if shutil.which("mkfs.ext4"):
        with open(image, "wb") as f:
            f.truncate(DISK_MB * 4 * 1024 * 1024)  # ext4's own metadata needs room too
        subprocess.run(["mkfs.ext4", "-q", "-F", str(image)], check=True, capture_output=True)
        loop = subprocess.run(["mount", "-o", "loop", str(image), str(mountpoint)], capture_output=True, text=True)
        if loop.returncode == 0:
            return "loop-mounted ext4"
        reasons.append(f"loop ext4: {loop.stderr.strip()}")
    pytest.skip("cannot mount a small filesystem for the index (" + "; ".join(reasons) + ")")


def _unmount(mountpoint: Path) -> None:
    for _ in range(20):  # a process that just stopped may still hold a file for a moment
        if subprocess.run(["umount", str(mountpoint)], capture_output=True).returncode == 0:
            return
        time.sleep(0.25)
    subprocess.run(["umount", "-l", str(mountpoint)], capture_output=True)  # detach it anyway


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A DISK_MB filesystem of the test's own, unmounted afterwards whatever happened."""
    mountpoint = tmp_path / "disk"
    mountpoint.mkdir()
    image = tmp_path / "disk.img"
    kind = _mount_small_filesystem(mountpoint, image)
    try:
        yield mountpoint, kind
    finally:
        _unmount(mountpoint)
        image.unlink(missing_ok=True)


@pytest.fixture
def index_on_small_disk(small_disk, settings, request) -> SearchBackend:
    """The embedded engine with its index on the small filesystem."""
    mountpoint, _kind = small_disk
    config = engine_config("tantivy", mountpoint, request)
    config["OPTIONS"]["WRITER_WAIT_SECONDS"] = 1.0
    settings.SEARCH_ENGINE = config
    backend = get_backend()
    backend.ensure_index()
    return backend


def fill(mountpoint: Path) -> Path:
    """Write a file until the filesystem answers ENOSPC; return it (unlink it to free the space)."""
    filler = mountpoint / "filler"
    with open(filler, "wb", buffering=0) as f:
        for chunk in (1 << 20, 1 << 16, 1 << 12, 1):
            block = b"\0" * chunk
            try:
                while True:
                    f.write(block)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc
    return filler


def edit_products(count: int) -> list[Product]:
    products = list(Product.objects.visible().order_by("pk")[:count])
    for p in products:
        p.price = p.price + Decimal("1.00")
        p.save()
    return products


def search_status(client) -> int:
    return client.get(reverse("search"), {"q": "shirt"}).status_code



def assert_nothing_lost(backend, report: FaultReport, edited) -> None:
    """The index equals the database again (drift 0), the edits made during the fault included."""
    backend.refresh()
    drift = compare(backend)
    report.updates_lost = len(drift.product_ids())
    report.write()
    assert drift.clean, drift
    for p in edited:
        assert backend.get_document(p.pk)["price"] == float(p.price)

@pytest.mark.django_db
def test_disk_full_keeps_the_rows_and_the_same_process_drains_once_space_is_freed(
        index_on_small_disk, small_disk, client):
    backend = index_on_small_disk
    mountpoint, kind = small_disk
    build_catalog()
    sync_index()
    assert OutboxEntry.objects.count() == 0
    report = FaultReport("tantivy disk full", engine=backend.name, notes=f"index on a {DISK_MB} MB {kind}; "
                         "drains in the test process")

    filler = fill(mountpoint)
    edited = edit_products(EDITED)
    assert OutboxEntry.objects.count() == EDITED
    for _ in range(2):  # a second drain must meet the disk again, not a writer lock left behind
        with pytest.raises(SearchUnavailable) as failure:
            drain_outbox()
        assert "locked" not in str(failure.value), failure.value
        assert OutboxEntry.objects.count() == EDITED  # nothing acknowledged, nothing lost
        for _ in range(5):
            status = search_status(client)
            report.served(status)
            assert status in (200, 503)
    assert set(report.during) == {"200"}  # the last commit still answers
    assert search_status(client) == 200

    filler.unlink()

    def drained() -> bool:
        try:
            drain_outbox()
        except SearchUnavailable:
            return False
        return OutboxEntry.objects.count() == 0

    report.recovery_seconds = time_to_recover(drained, timeout=30)
    assert_nothing_lost(backend, report, edited)


@pytest.mark.django_db(transaction=True)
def test_disk_full_a_running_worker_keeps_going_and_drains_by_itself(
        index_on_small_disk, small_disk, client, tmp_path, monkeypatch):
    backend = index_on_small_disk
    mountpoint, kind = small_disk
    monkeypatch.setenv("TANTIVY_WRITER_WAIT", "1")  # the worker's wait for the writer lock
    worker = WorkerControl(tmp_path)
    try:
        worker.start()
        assert worker.proc is not None
        pid = worker.proc.pid
        build_catalog()
        assert wait_for(lambda: OutboxEntry.objects.count() == 0, timeout=30), worker.log_path.read_text()
        report = FaultReport("tantivy disk full, worker", engine=backend.name,
                             notes=f"index on a {DISK_MB} MB {kind}; a real Celery worker drains")

        filler = fill(mountpoint)
        failures_before = worker.log_path.read_text().count("search engine unavailable")
        edited = edit_products(EDITED)  # each commit hands the worker a drain
        assert wait_for(lambda: worker.log_path.read_text().count("search engine unavailable")
                        >= failures_before + 2, timeout=30), worker.log_path.read_text()
        assert OutboxEntry.objects.count() == EDITED
        for _ in range(10):
            status = search_status(client)
            report.served(status)
            assert status in (200, 503)
        assert OutboxEntry.objects.count() == EDITED  # kept through the retries
        assert worker.proc.poll() is None  # the worker kept running
        assert "raised unexpected" not in worker.log_path.read_text()  # every failed drain is retried

        filler.unlink()
        report.recovery_seconds = time_to_recover(lambda: OutboxEntry.objects.count() == 0, timeout=90)
        assert worker.proc.poll() is None and worker.proc.pid == pid  # the same process, not a restart
        assert_nothing_lost(backend, report, edited)
    finally:
        worker.close()
