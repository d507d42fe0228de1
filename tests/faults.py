"""What a fault test measured, for docs/RELIABILITY.md and bench/faults.py.

A fault test injects a real fault (a process killed, a port cut, a disk filled…), sends
requests during it and after it, and reports here: the status mix served during the
fault, how long the shop took to recover after the fault ended, and how many updates
were lost. Each report is one JSON file under test-artifacts/faults/ (bench/faults.py
runs the fault tests and prints them as one table).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPORTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "faults"


@dataclass
class FaultReport:
    fault: str  # "Redis stopped", "PostgreSQL cut"…
    engine: str = ""  # the search engine, where it matters
    during: Counter = field(default_factory=Counter)  # status code → requests answered during the fault
    recovery_seconds: float | None = None  # from the fault's end to the first fully good answer
    updates_lost: int | None = None
    notes: str = ""

    def served(self, status: int) -> None:
        self.during[str(status)] += 1

    def write(self) -> Path:
        REPORTS.mkdir(parents=True, exist_ok=True)
        slug = "".join(c if c.isalnum() else "-" for c in f"{self.fault}-{self.engine}".lower()).strip("-")
        path = REPORTS / f"{slug}.json"
        data = asdict(self)
        data["during"] = dict(self.during)
        path.write_text(json.dumps(data, indent=2, sort_keys=True))
        return path


def time_to_recover(healthy: Callable[[], bool], timeout: float = 60.0, pause: float = 0.2) -> float:
    """Seconds until ``healthy()`` holds (raises AssertionError past ``timeout``)."""
    started = time.monotonic()
    while not healthy():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"did not recover within {timeout:.0f} s")
        time.sleep(pause)
    return round(time.monotonic() - started, 2)
