"""What the benchmark scripts share: the machine, a throwaway PostgreSQL database and
var directory, ``manage.py`` in a child process, percentiles.

Imported by the scripts in ``bench/`` (run as ``.venv/bin/python bench/<name>.py``,
which puts ``bench/`` on the import path)."""

from __future__ import annotations

import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine() -> str:
    """One line naming what the figures were measured on."""
    from importlib.metadata import version

    return (f"machine: {os.cpu_count()} CPUs ({cpu_model()}), Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}, tantivy {version('tantivy')}, Django {version('django')}")


def database_url(server_url: str, name: str) -> str:
    parts = urlsplit(server_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _drop(server_url: str, name: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextmanager
def throwaway_database(server_url: str, name: str) -> Iterator[str]:
    """A fresh, empty database; dropped afterwards whatever happens. Yields its URL."""
    _drop(server_url, name)
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield database_url(server_url, name)
    finally:
        _drop(server_url, name)


@contextmanager
def throwaway_dir(prefix: str) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def bench_env(db_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of the project under test: the throwaway database, the tantivy
    engine under ``var_dir``, no broker (unless given), nothing from the project's var/."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": db_url,
        "VAR_DIR": str(var_dir),
        "TANTIVY_PATH": str(var_dir / "search"),
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
    }
    for name in ("ELASTICSEARCH_URL", "CELERY_BROKER_URL", "REDIS_URL", "SEARCH_INDEX_NAME"):
        env.pop(name, None)
    env.update(extra)
    return env


@dataclass
class ChildRun:
    stdout: str
    stderr: str
    seconds: float
    peak_rss_mb: float  # of this child alone (wait4), not of every child so far
    cpu_seconds: float  # user + system, all its threads


def manage(env: dict[str, str], *args: str) -> ChildRun:
    """``manage.py <args>`` in a child process; exits the benchmark with its output if it fails."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT,
                                stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        run = ChildRun(out.read(), err.read(), seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime)
    if proc.returncode:
        sys.stderr.write(run.stdout + run.stderr)
        raise SystemExit(f"manage.py {' '.join(args)} failed with exit code {proc.returncode}")
    return run


def seed(env: dict[str, str], products: int, seed_value: int = 1) -> None:
    manage(env, "migrate", "--verbosity", "0")
    manage(env, "seed_catalog", "--products", str(products), "--seed", str(seed_value))


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0–100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def setup_django(env: dict[str, str]) -> None:
    """Configure Django in this process on the benchmark's environment."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
