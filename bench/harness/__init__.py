"""What the benchmark scripts share: the machine, a throwaway PostgreSQL database and
var directory, ``manage.py`` in a child process, a seeded and indexed catalog, gunicorn
with the deployed configuration, the HTTP load generator, percentiles, and the
``FIGURE`` lines ``make bench`` (bench/run_all.py) builds its summary table from.

Imported by the scripts in ``bench/`` (run as ``.venv/bin/python bench/<name>.py``,
which puts ``bench/`` on the import path).

Every throughput figure (bench/reference.py, bench/cache_throughput.py) is measured
the same way: gunicorn with deploy/gunicorn.conf.py, ``GUNICORN_WORKERS`` processes ×
``GUNICORN_THREADS`` threads, driven with ``CONNECTIONS`` keep-alive connections for
``LOAD_SECONDS`` per case in ``LOAD_ROUNDS`` rounds."""

from __future__ import annotations

import contextlib
import http.client
import json
import math
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379/13"

# How every throughput figure is measured (the reference and the pages alike).
GUNICORN_WORKERS = 3
GUNICORN_THREADS = 2
CONNECTIONS = 8
LOAD_SECONDS = 15  # per case, split into LOAD_ROUNDS rounds
LOAD_ROUNDS = 3
WRK = Path("/usr/bin/wrk")
HOST = "127.0.0.1"


# --- The machine -------------------------------------------------------------------------------

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

    return (f"{os.cpu_count()} CPUs ({cpu_model()}), Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}, tantivy {version('tantivy')}, Django {version('django')}")


def load_average() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def print_header() -> None:
    """The first lines of every script's output: the machine and how busy it is."""
    print(f"machine: {machine()}")
    print(f"load average before: {load_average()} (other work on the machine slows every figure)", flush=True)


def figure(what: str, value: float, unit: str, *, target: str | None = None, met: bool | None = None,
           catalog: int | None = None, reference: float | None = None) -> None:
    """One machine-readable line for the summary table of docs/PERFORMANCE.md: ``FIGURE {json}``.
    ``reference``: the bare view's requests/s measured beside this figure, when it was."""
    print("FIGURE " + json.dumps({"what": what, "value": value, "unit": unit, "target": target, "met": met,
                                  "catalog": catalog, "reference": reference}, ensure_ascii=False))


# --- PostgreSQL, var directory, environment ----------------------------------------------------

def database_url(server_url: str, name: str) -> str:
    parts = urlsplit(server_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _drop(server_url: str, name: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextmanager
def throwaway_database(server_url: str, name: str, *, keep: bool = False) -> Iterator[str]:
    """A fresh, empty database; dropped afterwards whatever happens (unless ``keep``). Yields its URL."""
    _drop(server_url, name)
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield database_url(server_url, name)
    finally:
        if not keep:
            _drop(server_url, name)


@contextmanager
def throwaway_dir(prefix: str) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def bench_env(db_url: str | None, var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of the project under test: the throwaway database (none: SQLite under
    ``var_dir``), the tantivy engine under ``var_dir``, no broker and no Redis (unless given),
    nothing from the project's var/."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "VAR_DIR": str(var_dir),
        "TANTIVY_PATH": str(var_dir / "search"),
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
    }
    for name in ("DATABASE_URL", "ELASTICSEARCH_URL", "CELERY_BROKER_URL", "REDIS_URL", "SEARCH_INDEX_NAME"):
        env.pop(name, None)
    if db_url:
        env["DATABASE_URL"] = db_url
    env.update(extra)
    return env


# --- manage.py -----------------------------------------------------------------------------------

@dataclass
class ChildRun:
    stdout: str
    stderr: str
    seconds: float
    peak_rss_mb: float  # of this child alone (wait4), not of every child so far
    cpu_seconds: float  # user + system, all its threads


def manage(env: dict[str, str], *args: str, root: Path = ROOT) -> ChildRun:
    """``manage.py <args>`` (of the checkout at ``root``) in a child process; exits the benchmark
    with its output if it fails."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, str(root / "manage.py"), *args], env=env, cwd=root,
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
    """Migrate and seed; then VACUUM ANALYZE, which autovacuum would otherwise run in the
    background after the bulk insert, on the same CPUs as the measurement."""
    manage(env, "migrate", "--verbosity", "0")
    manage(env, "seed_catalog", "--products", str(products), "--seed", str(seed_value))
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


@contextmanager
def indexed_catalog(server_url: str, database: str, products: int, seed_value: int = 1,
                    **extra: str) -> Iterator[tuple[dict[str, str], Path]]:
    """A throwaway database seeded with ``products`` products and indexed on tantivy in a
    throwaway directory; both removed afterwards. Yields the environment and the directory."""
    with throwaway_database(server_url, database) as db_url, throwaway_dir(f"{database}-") as var_dir:
        env = bench_env(db_url, var_dir, **extra)
        print(f"seeding {products:,} products and indexing them on tantivy…", flush=True)
        seed(env, products, seed_value)
        manage(env, "reindex", "--no-input")
        yield env, var_dir


@dataclass
class KeptCatalog:
    env: dict[str, str]
    products: int
    seeded_seconds: float | None  # None: reused as it was
    indexed_seconds: float | None


def kept_catalog(server_url: str, database: str, products: int, index_root: Path, seed_value: int = 1,
                 root: Path = ROOT, **extra: str) -> KeptCatalog:
    """A catalog kept between runs (large ones take minutes to seed): the database ``database``
    seeded with ``products`` products unless it already holds them, and its tantivy index under
    ``index_root``, rebuilt only when the database changed since (a stamp file says what it
    indexed). ``root``: the checkout whose code builds the index (another tree's schema may
    differ: it gets an index of its own). Nothing is dropped afterwards."""
    with psycopg.connect(server_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    index_root.mkdir(parents=True, exist_ok=True)
    env = bench_env(database_url(server_url, database), index_root, **extra)
    manage(env, "migrate", "--verbosity", "0")

    def stamp() -> str:
        with psycopg.connect(env["DATABASE_URL"]) as conn:
            row = conn.execute("SELECT count(*), max(updated_at) FROM store_product").fetchone()
        return f"{row[0]} {row[1]}"

    seeded = indexed = None
    if not stamp().startswith(f"{products} "):
        print(f"seeding {products:,} products into {database} (kept for the next run)…", flush=True)
        started = time.perf_counter()
        with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
            conn.execute("TRUNCATE store_product, store_brand, store_category, store_vendor RESTART IDENTITY CASCADE")
        manage(env, "seed_catalog", "--products", str(products), "--seed", str(seed_value))
        with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
        seeded = time.perf_counter() - started
    marker = index_root / "indexed-stamp"
    current = stamp()
    if not marker.exists() or marker.read_text() != current:
        print(f"indexing {products:,} products on tantivy under {index_root}…", flush=True)
        started = time.perf_counter()
        run = manage(env, "reindex", "--no-input", root=root)
        indexed = time.perf_counter() - started
        print(f"reindex of {products:,} products: {indexed:.0f} s, peak RSS {run.peak_rss_mb:.0f} MB, "
              f"CPU {run.cpu_seconds:.0f} s; {run.stdout.strip().splitlines()[-1] if run.stdout.strip() else ''}",
              flush=True)
        marker.write_text(current)
    return KeptCatalog(env, products, seeded, indexed)


def delete_redis_keys(url: str, *names: str, pattern: str | None = None) -> int:
    """Remove what a benchmark left in Redis: the keys named and those matching ``pattern``."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        doomed = [*names, *(client.scan_iter(match=pattern, count=1000) if pattern else ())]
        return client.delete(*doomed) if doomed else 0
    finally:
        client.close()


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


# --- The web tier ----------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def http_get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.request("GET", path, headers={"Host": HOST})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def stop(proc: subprocess.Popen, timeout: float = 20) -> None:
    """Terminate a child process (gunicorn, a Celery worker), killing it if it lingers."""
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def gunicorn(env: dict[str, str], workers: int = GUNICORN_WORKERS,
             threads: int = GUNICORN_THREADS, root: Path = ROOT) -> Iterator[int]:
    """gunicorn as deployed (deploy/gunicorn.conf.py: gthread workers, Prometheus multiprocess
    mode) on a free loopback port; yields the port once /healthz answers. No access log, no
    worker recycling, no rate limit (every request comes from one address)."""
    port = free_port()
    env = {
        "ALLOWED_HOSTS": HOST,
        "PROMETHEUS_MULTIPROC_DIR": str(Path(env["VAR_DIR"]) / f"metrics-{port}"),
        **env,
        "GUNICORN_BIND": f"{HOST}:{port}",
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_THREADS": str(threads),
        "GUNICORN_LOG_LEVEL": "warning",
        "GUNICORN_MAX_REQUESTS": "0",
        "RATELIMIT_ENABLED": "false",
    }
    with tempfile.TemporaryFile("w+") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "deploy/gunicorn.conf.py",
             "--access-logfile", "/dev/null", "config.wsgi:application"],
            cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=log, stdin=subprocess.DEVNULL,
        )
        _servers[port] = proc.pid
        try:
            deadline = time.monotonic() + 60
            while True:
                with contextlib.suppress(OSError, http.client.HTTPException):
                    if http_get(port, "/healthz")[0] == 200:
                        break
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError("gunicorn did not start:\n" + log.read())
                time.sleep(0.2)
            yield port
        finally:
            _servers.pop(port, None)
            stop(proc)


# port → the gunicorn master's pid, while it serves
_servers: dict[int, int] = {}


def server_cpu_seconds(port: int) -> float:
    """CPU time (user + system) used so far by the gunicorn serving ``port``: its master and
    its workers, read from /proc (0 where /proc is missing). Sampled before and after a load,
    the difference divided by the requests is the server's CPU cost of one request."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pending = [_servers[port]]
    while pending:
        pid = pending.pop()
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
        pending.extend(int(child) for child in children)
    return total


# --- Load --------------------------------------------------------------------------------------------

def cache_reads(port: int) -> tuple[float, float]:
    """(hits, misses) of the app's default cache so far, all workers together (its /metrics)."""
    status, body = http_get(port, "/metrics")
    assert status == 200, status
    found = {"hit": 0.0, "miss": 0.0}
    for line in body.decode().splitlines():
        match = re.match(r'catalog_cache_requests_total\{cache="default",result="(hit|miss)"\} ([\d.e+]+)',
                         line)
        if match:
            found[match.group(1)] += float(match.group(2))
    return found["hit"], found["miss"]


def load_generator() -> str:
    """``wrk`` when /usr/bin/wrk exists, else ``python`` (threads with keep-alive connections:
    slower than wrk because of the GIL, so its figures are lower bounds of the server's)."""
    return "wrk" if WRK.exists() else "python"


_UNIT_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}
_UNIT_S = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


# wrk runs this Lua script: ``done`` prints the p50/p95/p99 latency in microseconds (wrk's own
# --latency table has no p95); with a list of paths, each thread also cycles through them,
# starting at its own place in the list (its number × paths ÷ threads, the count passed after
# ``--``), so that no single URL is repeated.
_WRK_DONE = """
function done(summary, latency, requests)
  io.write(string.format("LATENCY_US p50=%d p95=%d p99=%d\\n",
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""
_WRK_PATHS = """
local threads = {}
function setup(thread)
  thread:set("thread_number", #threads)
  table.insert(threads, thread)
end
local next_path = 1
function init(args)
  local thread_count = tonumber(args[1]) or 1
  next_path = math.floor((thread_number or 0) * #paths / thread_count) % #paths + 1
end
function request()
  local path = paths[next_path]
  next_path = next_path % #paths + 1
  return wrk.format(nil, path)
end
"""
_LATENCY_US = re.compile(r"^LATENCY_US p50=(\d+) p95=(\d+) p99=(\d+)$", re.MULTILINE)


def _lua_string(text: str) -> str:
    if not text.isascii() or not text.isprintable():
        raise ValueError(f"not a URL path wrk can send as is (percent-encode it): {text!r}")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _wrk_script(paths: list[str] | None) -> str:
    if not paths:
        return _WRK_DONE
    return "paths = {\n" + ",\n".join(_lua_string(p) for p in paths) + "\n}\n" + _WRK_PATHS + _WRK_DONE


def _wrk(port: int, path: str, seconds: float, connections: int, paths: list[str] | None = None,
         threads: int = 1) -> dict:
    threads = max(1, min(threads, connections))
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="wrk-") as script:
        script.write(_wrk_script(paths))
        script.flush()
        out = subprocess.run(
            [str(WRK), "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(seconds))}s",
             "--latency", "-s", script.name, "-H", f"Host: {HOST}",
             f"http://{HOST}:{port}{paths[0] if paths else path}", "--", str(threads)],
            capture_output=True, text=True, check=True,
        ).stdout

    def ms(percent: int) -> float:
        match = re.search(rf"\b{percent}%\s+([\d.]+)(us|ms|s|m)\b", out)
        return float(match.group(1)) * _UNIT_MS[match.group(2)] if match else float("nan")

    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", out)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    requests, elapsed = int(done.group(1)), float(done.group(2)) * _UNIT_S[done.group(3)]
    errors = (int(bad.group(1)) if bad else 0) + (sum(map(int, socket_errors.groups())) if socket_errors else 0)
    exact = _LATENCY_US.search(out)
    p50, p95, p99 = ((int(v) / 1000 for v in exact.groups()) if exact
                     else (ms(50), float("nan"), ms(99)))
    return {"rps": requests / elapsed, "p50": p50, "p95": p95, "p99": p99, "errors": errors,
            "requests": requests, "seconds": elapsed}


def _python_load(port: int, path: str, seconds: float, connections: int, paths: list[str] | None = None,
                 threads: int = 1) -> dict:
    """``threads`` is wrk's; here every connection has a thread of its own."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    cycle = paths or [path]
    deadline = time.perf_counter() + seconds

    def client(number: int) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=10)
        mine: list[float] = []
        failed = 0
        position = number * len(cycle) // connections
        while time.perf_counter() < deadline:
            target = cycle[position]
            position = (position + 1) % len(cycle)
            started = time.perf_counter()
            try:
                conn.request("GET", target, headers={"Host": HOST})
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                failed += 1
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=10)
                continue
            mine.append(time.perf_counter() - started)
            failed += not 200 <= response.status < 400
        conn.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    started = time.perf_counter()
    workers = [threading.Thread(target=client, args=(n,)) for n in range(connections)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    ms = [s * 1000 for s in latencies]

    def pct(p: float) -> float:
        return percentile(ms, p) if ms else float("nan")

    return {"rps": len(ms) / elapsed, "p50": pct(50), "p95": pct(95), "p99": pct(99), "errors": errors[0],
            "requests": len(ms), "seconds": elapsed}


def load(port: int, path: str, seconds: float = LOAD_SECONDS, connections: int = CONNECTIONS, *,
         paths: list[str] | None = None, threads: int = 1) -> dict:
    """GET ``path`` over ``connections`` keep-alive connections for ``seconds``: requests/s,
    p50, p95 and p99 latency (ms), errors (status ≥ 400 or socket errors), requests, seconds run,
    and ``generator``: which load generator measured it (see load_generator()).

    ``paths``: a list of paths to cycle through instead of ``path`` alone (each connection
    or wrk thread starting at its own place in it), so that no single URL is repeated.
    ``threads``: wrk's threads (``-t``), at most ``connections``."""
    generator = load_generator()
    run = _wrk if generator == "wrk" else _python_load
    return {**run(port, path, seconds, connections, paths=paths, threads=threads), "generator": generator}


def round_seconds(seconds: float = LOAD_SECONDS, rounds: int = LOAD_ROUNDS) -> int:
    """How long each round of a case runs: ``seconds`` split into ``rounds``, 3 s at least."""
    return max(3, round(seconds / rounds))


def alternating(cases: list, rounds: int = LOAD_ROUNDS) -> Iterator:
    """Each case once per round, in order, then in reverse order (a, b, b, a, a, b…), so that
    other load on the machine weighs on every case alike."""
    for round_number in range(rounds):
        yield from cases if round_number % 2 == 0 else reversed(cases)


def combine(runs: Iterable[dict]) -> dict:
    """The rounds of one case together: requests/s over all of them, the mean p50, the worst
    round's p95 and p99."""
    runs = list(runs)
    return {
        "rps": sum(r["requests"] for r in runs) / sum(r["seconds"] for r in runs),
        "p50": statistics.fmean(r["p50"] for r in runs),
        "p95": max(r.get("p95", float("nan")) for r in runs),
        "p99": max(r["p99"] for r in runs),
        "errors": sum(r["errors"] for r in runs),
        # The server's CPU per request (ms), when the runs measured it (server_cpu_seconds).
        "cpu_ms": (1000 * sum(r["cpu_seconds"] for r in runs) / sum(r["requests"] for r in runs)
                   if all("cpu_seconds" in r for r in runs) else None),
        "rounds": [round(r["rps"], 1) for r in runs],
        "generator": runs[0]["generator"],
    }


def load_settings(workers: int, threads: int, connections: int, rounds: int, per_round: int) -> str:
    """How a throughput figure was measured, in words."""
    generator = load_generator()
    fallback = "" if generator == "wrk" else f" (no {WRK}: the slower Python client, figures are lower bounds)"
    return (f"gunicorn (deploy/gunicorn.conf.py) {workers} workers × {threads} threads, {generator}{fallback} "
            f"with {connections} keep-alive connections, {rounds} rounds of {per_round} s per case")


THROUGHPUT_HEADER = f"{'page':<12}{'cache':<7}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'hit ratio':>11}{'errors':>8}" \
                    "  req/s per round"


def throughput_row(page: str, cache: str, result: dict, hit_ratio: float | None = None) -> str:
    ratio = f"{hit_ratio:>11.1%}" if hit_ratio is not None else f"{'—':>11}"
    return (f"{page:<12}{cache:<7}{result['rps']:>9.1f}{result['p50']:>9.1f}{result['p99']:>9.1f}{ratio}"
            f"{result['errors']:>8}  {result['rounds']}")
