"""Gunicorn settings for the web tier.

Used as ``gunicorn --config deploy/gunicorn.conf.py config.wsgi:application``
(the image's default command). Every value can be tuned from the environment
without rebuilding the image:

    WEB_CONCURRENCY            worker processes; unset, empty or 0: 2 * cores + 1, at most
                               WEB_MAX_WORKERS (default 8: PostgreSQL's connection budget)
    GUNICORN_THREADS           threads per worker (gthread), default 2
    GUNICORN_TIMEOUT           seconds a request may take, default 30
    GUNICORN_GRACEFUL_TIMEOUT  seconds to finish in-flight requests on stop, default 30
    GUNICORN_KEEPALIVE         idle keep-alive seconds, default 75 (above nginx's 60)
    GUNICORN_MAX_REQUESTS      requests before a worker is recycled, default 1000
    GUNICORN_MAX_REQUESTS_JITTER  random spread of the above, default 100
    FORWARDED_ALLOW_IPS        proxies trusted for X-Forwarded-*, default private ranges
    GUNICORN_BIND              default 0.0.0.0:8000
    GUNICORN_LOG_LEVEL         default info
    PROMETHEUS_MULTIPROC_DIR   where the workers write their metrics, so that one scrape of
                               /metrics adds up every worker (emptied when gunicorn starts)

Each worker process keeps its own PostgreSQL connections: with DATABASE_POOL on, a pool of at
most DATABASE_POOL_MAX_SIZE (default: its threads), else one per thread (CONN_MAX_AGE). So one
replica opens up to workers * that many: size max_connections for
(web replicas * workers * pool size) + Celery concurrency + headroom (deploy/README.md).
"""

import math
import os


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _cpu_count() -> int:
    """CPUs this container may use: the affinity mask, capped by a cgroup v2 quota (``cpus:``)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    try:
        with open("/sys/fs/cgroup/cpu.max") as fh:
            quota, period = fh.read().split()[:2]
        if quota != "max":
            cores = min(cores, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return max(1, cores)


# --- Socket -------------------------------------------------------------------
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
backlog = 2048

# --- Workers ------------------------------------------------------------------
# gunicorn itself parses WEB_CONCURRENCY with int() when it is imported, so
# compose passes "0" rather than an empty value to mean "automatic".
# Automatic: 2 * cores + 1, capped, so that a big host does not open more database connections
# than PostgreSQL accepts (65 workers on 32 cores, times 2 threads, times 2 replicas: 260).
workers = _env_int("WEB_CONCURRENCY", 0) or min(2 * _cpu_count() + 1, _env_int("WEB_MAX_WORKERS", 8))
worker_class = "gthread"
threads = _env_int("GUNICORN_THREADS", 2)
# The most PostgreSQL connections this replica opens (deploy/README.md sizes max_connections).
database_connections = workers * (_env_int("DATABASE_POOL_MAX_SIZE", threads)
                                  if os.environ.get("DATABASE_POOL", "").lower() in ("1", "true", "yes", "on")
                                  else threads)
# Heartbeat files on tmpfs: a disk-backed /tmp can stall workers (Docker's
# overlay filesystem in particular).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# Each worker imports the app after the fork: no connection (database, Redis,
# Elasticsearch) is ever shared between processes.
preload_app = False

# --- Timeouts -----------------------------------------------------------------
timeout = _env_int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Longer than nginx's upstream keepalive_timeout (60s), so that nginx, not
# gunicorn, closes idle upstream connections (no race ending in a 502).
keepalive = _env_int("GUNICORN_KEEPALIVE", 75)

# --- Memory hygiene: recycle each worker after N requests, staggered ----------
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _env_int("GUNICORN_MAX_REQUESTS_JITTER", 100)

# --- Behind nginx -------------------------------------------------------------
# Trust X-Forwarded-Proto etc. only from the reverse proxy. Gunicorn is not
# published outside the compose network; the default covers Docker's networks.
forwarded_allow_ips = os.environ.get(
    "FORWARDED_ALLOW_IPS", "127.0.0.1,::1,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16"
)
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}

# --- Logging: everything to the container's stdout/stderr ---------------------
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# %(L)s: request time in seconds; the request id is the one nginx forwards.
access_log_format = (
    '%(h)s "%({x-forwarded-for}i)s" %(t)s "%(r)s" %(s)s %(b)s %(L)ss '
    '"%(f)s" "%(a)s" rid=%({x-request-id}i)s'
)
capture_output = True
proc_name = "catalog-web"


# --- Prometheus: one /metrics for all workers (prometheus_client multiprocess mode) ----------
def on_starting(server) -> None:
    """Start from an empty metrics directory: files of a previous run would be added in."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        os.makedirs(directory, exist_ok=True)
        for name in os.listdir(directory):
            if name.endswith(".db"):
                os.remove(os.path.join(directory, name))


def when_ready(server) -> None:
    server.log.info("%s workers x %s threads: at most %s PostgreSQL connections per database from this replica",
                    workers, threads, database_connections)


def post_worker_init(worker) -> None:
    """Load semantic matching's model in the background as the worker starts (where the extra is
    installed): the first shopper query with a word the catalog never uses does not wait for it."""
    from search.semantic import embedder

    embedder.preload()


def child_exit(server, worker) -> None:
    """A recycled or crashed worker: its gauges go, its counters stay in the totals."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
