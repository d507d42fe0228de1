"""Benchmark: home and category page throughput with the Redis cache on and off, in one run.

    .venv/bin/python bench/cache_throughput.py [--products 5000] [--seconds 15] [--workers 3]

Creates a throwaway PostgreSQL database (``bench_cache``), migrates it, seeds the demo
catalog and indexes it with tantivy under a temporary directory. Then starts two
gunicorns with deploy/gunicorn.conf.py on loopback (``--workers`` processes × 2 threads
each, Prometheus multiprocess mode) against that database and Redis, one per mode, and
drives each page with wrk (``apt-get install wrk``; without it, a slower Python client)
for ``--seconds`` per case, split
into ``--rounds`` that alternate the modes (so that other load on the machine weighs on
both alike):

* cache on: the settings as deployed (Redis cache: category menu, best sellers,
  category landing listings with their facet counts, sessions);
* cache off: ``CACHE_DISABLED=1`` (Django's DummyCache: every read misses).

Prints requests/s and latency per page and mode, and the cache hit ratio measured
during each cache-on run (from the app's own /metrics, summed over the workers).
wrk and gunicorn share the machine's cores: the figures are for this machine only.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/13"


def machine() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as cpuinfo:
        model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")),
                     model)
    return f"{os.cpu_count()} × {model}, Python {platform.python_version()}"


@contextlib.contextmanager
def throwaway_database(name: str):
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgres://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(env: dict, *args: str) -> str:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, text=True,
                            capture_output=True)
    if result.returncode:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"manage.py {' '.join(args)} failed")
    return result.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers={"Host": "127.0.0.1"})
    response = conn.getresponse()
    return response.status, response.read()


@contextlib.contextmanager
def gunicorn(env: dict, workers: int):
    port = free_port()
    env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers),
           "GUNICORN_THREADS": "2", "GUNICORN_LOG_LEVEL": "warning", "GUNICORN_MAX_REQUESTS": "0"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "deploy/gunicorn.conf.py",
         "--access-logfile", "/dev/null", "config.wsgi:application"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError):
                if http_get(port, "/healthz")[0] == 200:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start:\n" + (proc.stderr.read() if proc.stderr else ""))
            time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


def cache_reads(port: int) -> tuple[float, float]:
    """(hits, misses) of the default cache so far, all workers together."""
    status, body = http_get(port, "/metrics")
    assert status == 200, status
    found = {"hit": 0.0, "miss": 0.0}
    for line in body.decode().splitlines():
        match = re.match(r'catalog_cache_requests_total\{cache="default",result="(hit|miss)"\} ([\d.e+]+)',
                         line)
        if match:
            found[match.group(1)] += float(match.group(2))
    return found["hit"], found["miss"]


def wrk(port: int, path: str, seconds: int, connections: int) -> dict:
    out = subprocess.run(
        ["wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds}s", "--latency", "-H", "Host: 127.0.0.1",
         f"http://127.0.0.1:{port}{path}"],
        capture_output=True, text=True, check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)

    def ms(match) -> float:
        number, unit = float(match.group(1)), match.group(2)
        return number / 1000 if unit == "us" else number * 1000 if unit == "s" else number

    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", out)
    seconds_run = float(done.group(2)) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[done.group(3)]
    return {"rps": rps, "p50": ms(p50), "p99": ms(p99), "errors": int(errors.group(1)) if errors else 0,
            "requests": int(done.group(1)), "seconds": seconds_run}


def python_load(port: int, path: str, seconds: int, connections: int) -> dict:
    """The fallback without wrk: ``connections`` threads with keep-alive connections. Slower than
    wrk (the GIL), so its figures are lower bounds of the server's throughput."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine: list[float] = []
        failed = 0
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            conn.request("GET", path, headers={"Host": "127.0.0.1"})
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - started)
            failed += response.status >= 400
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {"rps": len(latencies) / elapsed, "p50": latencies[len(latencies) // 2] * 1000,
            "p99": latencies[int(len(latencies) * 0.99)] * 1000, "errors": errors[0],
            "requests": len(latencies), "seconds": elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes (2 threads each)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3,
                        help="alternating rounds; each case runs seconds/rounds in each")
    args = parser.parse_args()
    load = wrk if shutil.which("wrk") else python_load
    if load is python_load:
        print("wrk not found (apt-get install -y wrk): using the slower Python load generator")

    with (throwaway_database("bench_cache") as db_url,
          tempfile.TemporaryDirectory(prefix="bench-cache-") as tmp):
        base_env: dict[str, str] = {
            **{k: v for k, v in os.environ.items() if k not in ("ELASTICSEARCH_URL", "CELERY_BROKER_URL")},
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": db_url,
            "VAR_DIR": tmp,
            "TANTIVY_PATH": str(Path(tmp) / "search"),
            "REDIS_URL": REDIS_URL,
            "CACHE_KEY_PREFIX": f"bench-{uuid.uuid4().hex[:8]}",
            "RATELIMIT_ENABLED": "false",
            "LOG_LEVEL": "WARNING",
        }
        print(f"machine: {machine()}")
        load_before = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        started = time.perf_counter()
        manage(base_env, "migrate", "--verbosity", "0")
        manage(base_env, "seed_catalog", "--products", str(args.products), "--seed", "42")
        manage(base_env, "reindex", "--no-input")
        print(f"prepared {args.products} products (migrate, seed, reindex on tantivy) in "
              f"{time.perf_counter() - started:.0f} s")
        with psycopg.connect(db_url) as conn:
            top = conn.execute(
                "SELECT c.slug_path FROM store_category c "
                "JOIN store_category leaf ON leaf.path LIKE c.path || '%' "
                "JOIN store_product p ON p.category_id = leaf.id WHERE c.depth = 1 "
                "GROUP BY c.slug_path ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
        pages = {"home": "/", "category": f"/c/{top}/"}

        # Both servers run side by side and the cases alternate (on, off, off, on…) in rounds, so
        # that other load on the machine weighs on both modes alike.
        envs = {}
        for mode in ("on", "off"):
            envs[mode] = {**base_env, "PROMETHEUS_MULTIPROC_DIR": str(Path(tmp) / f"metrics-{mode}")}
        envs["off"]["CACHE_DISABLED"] = "1"
        runs: dict[tuple[str, str], list[dict]] = {(n, m): [] for n in pages for m in envs}
        per_run = max(3, args.seconds // args.rounds)
        with gunicorn(envs["on"], args.workers) as port_on, gunicorn(envs["off"], args.workers) as port_off:
            ports = {"on": port_on, "off": port_off}
            for port in ports.values():
                for path in pages.values():
                    for _ in range(20):  # warm: connections, templates, the cache (when on)
                        status, _ = http_get(port, path)
                        assert status == 200, (path, status)
            cases = [(n, m) for n in pages for m in ("on", "off")]
            for round_number in range(args.rounds):
                for name, mode in cases if round_number % 2 == 0 else list(reversed(cases)):
                    port = ports[mode]
                    hits0, misses0 = cache_reads(port)
                    result = load(port, pages[name], per_run, args.connections)
                    hits1, misses1 = cache_reads(port)
                    result["hits"], result["reads"] = hits1 - hits0, (hits1 - hits0) + (misses1 - misses0)
                    runs[(name, mode)].append(result)
        results = {}
        for case, case_runs in runs.items():
            reads = sum(r["reads"] for r in case_runs)
            results[case] = {
                "rps": sum(r["requests"] for r in case_runs) / sum(r["seconds"] for r in case_runs),
                "p50": sum(r["p50"] for r in case_runs) / len(case_runs),
                "p99": max(r["p99"] for r in case_runs),
                "errors": sum(r["errors"] for r in case_runs),
                "hit_ratio": sum(r["hits"] for r in case_runs) / reads if reads else 0.0,
                "rounds": [round(r["rps"], 1) for r in case_runs],
            }

    print(f"\ngunicorn {args.workers} workers × 2 threads per mode, {load.__name__} × {args.connections} "
          f"connections, {args.rounds} rounds of {per_run} s per case, {args.products} products, "
          f"category page /c/{top}/, load average before: {load_before}\n")
    print(f"{'page':<10}{'cache':<7}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'hit ratio':>11}{'errors':>8}"
          "  req/s per round")
    for (name, mode), r in results.items():
        print(f"{name:<10}{mode:<7}{r['rps']:>9.1f}{r['p50']:>9.1f}{r['p99']:>9.1f}{r['hit_ratio']:>10.1%}"
              f"{r['errors']:>8}  {r['rounds']}")
    for name in pages:
        on, off = results[(name, "on")]["rps"], results[(name, "off")]["rps"]
        print(f"{name}: cache on is {on / off:.2f}× the throughput of cache off")


if __name__ == "__main__":
    main()
