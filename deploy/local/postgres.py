"""PostgreSQL clusters of our own: a primary and a streaming replica cloned from it.

Used by ``make prod-local`` (under ``var/prod-local/``) and by the replica fault test (in a
temporary directory). Debian's server binaries (``PG_BIN``, default
``/usr/lib/postgresql/15/bin``); the clusters listen on 127.0.0.1 only (no Unix socket), trust
local connections, and never touch the machine's own PostgreSQL. PostgreSQL refuses to run
as root: as root, every command runs as the ``postgres`` user, which owns the directory.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
OWNER = "postgres"


def _owner_ids() -> tuple[int, int] | None:
    """(uid, gid) to run the server as: the postgres user when we are root, else ourselves."""
    if os.geteuid() != 0:
        return None
    entry = pwd.getpwnam(OWNER)
    return entry.pw_uid, entry.pw_gid


def make_root(path: Path) -> Path:
    """A directory the server's user owns (created, or taken over when we are root)."""
    path.mkdir(parents=True, exist_ok=True)
    ids = _owner_ids()
    if ids is not None:
        os.chown(path, *ids)
    return path


def _run(args: list[str], timeout: float = 120) -> None:
    ids = _owner_ids()
    kwargs = {"user": ids[0], "group": ids[1], "extra_groups": []} if ids else {}
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False,
                            env={**os.environ, "LC_ALL": "C.UTF-8"}, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:2])} failed ({result.returncode}):\n{result.stdout}{result.stderr}")


@dataclass
class Cluster:
    """One PostgreSQL cluster: ``root/name`` holds its data, ``root/name.log`` its log."""

    root: Path
    name: str
    port: int
    # Durability off: for throwaway test clusters only.
    fast: bool = False

    @property
    def data(self) -> Path:
        return self.root / self.name

    @property
    def log(self) -> Path:
        return self.root / f"{self.name}.log"

    def dsn(self, dbname: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def init_primary(self, max_connections: int = 100) -> Cluster:
        _run([str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
              "--encoding=UTF8", "--no-instructions", *(["--no-sync"] if self.fast else [])])
        # wal_level=replica and max_wal_senders=10 are PostgreSQL 15's defaults, and initdb's
        # pg_hba.conf lets 127.0.0.1 replicate: a standby needs nothing more.
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(f"\n# deploy/local/postgres.py\nmax_connections = {max_connections}\n"
                       "wal_keep_size = 256MB\nhot_standby_feedback = on\n")
        return self

    def clone_from(self, primary: Cluster) -> Cluster:
        """A streaming replica of ``primary``: ``pg_basebackup -R`` writes standby.signal and
        primary_conninfo, so it starts as a hot standby following the primary."""
        _run([str(PG_BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
              "-D", str(self.data), "-R", "-X", "stream", "--checkpoint=fast",
              *(["--no-sync"] if self.fast else [])], timeout=300)
        return self

    def start(self) -> Cluster:
        options = (f"-c port={self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' "
                   + ("-c fsync=off -c synchronous_commit=off -c full_page_writes=off" if self.fast else ""))
        _run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
              "-o", options, "start"])
        return self

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            _run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop"])

    @property
    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def sql(self, statement: str, dbname: str = "postgres") -> list[tuple]:
        with psycopg.connect(self.dsn(dbname), autocommit=True, connect_timeout=5) as conn:
            cursor = conn.execute(statement)
            return cursor.fetchall() if cursor.description else []

    def in_recovery(self) -> bool:
        return bool(self.sql("SELECT pg_is_in_recovery()")[0][0])

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.data, ignore_errors=True)
        self.log.unlink(missing_ok=True)
