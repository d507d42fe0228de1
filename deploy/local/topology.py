"""docker-compose.yml's topology as processes of this machine (`make prod-local`).

nginx (Debian's) with TLS in front of two gunicorn replicas on the production settings; a
PostgreSQL primary and its streaming replica (clusters of our own); Redis; osmem-server as the
Elasticsearch endpoint; a Celery worker and beat. Everything lives under ``var/prod-local/``
(data, logs, pid files, the certificate, the static files) and listens on 127.0.0.1 ports
from ``PROD_LOCAL_PORT_BASE`` (default 21600); ``down`` stops every process and deletes the
data, keeping the logs. The shared PostgreSQL (5432) and Redis (6379) are never touched.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from . import nginx, postgres

ROOT = Path(__file__).resolve().parent.parent.parent
STATE = Path(os.environ.get("PROD_LOCAL_DIR", ROOT / "var" / "prod-local"))
BASE = int(os.environ.get("PROD_LOCAL_PORT_BASE", "21600"))
PORTS = {
    "postgres": BASE + 1, "postgres-replica": BASE + 2, "redis": BASE + 3, "elasticsearch": BASE + 4,
    "web1": BASE + 11, "web2": BASE + 12, "worker-metrics": BASE + 13, "http": BASE + 80, "https": BASE + 43,
}
WEB_REPLICAS = ("web1", "web2")
PRODUCTS = int(os.environ.get("PROD_LOCAL_PRODUCTS", "2000"))
DATABASE = "catalog"
BIN = Path(sys.executable).parent
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

LOGS = STATE / "logs"
RUN = STATE / "run"
PG_ROOT = STATE / "postgres"
CERTS = STATE / "nginx" / "certs"
HTTPS_URL = f"https://127.0.0.1:{PORTS['https']}"


def primary() -> postgres.Cluster:
    return postgres.Cluster(PG_ROOT, "primary", PORTS["postgres"])


def replica() -> postgres.Cluster:
    return postgres.Cluster(PG_ROOT, "replica", PORTS["postgres-replica"])


def secret_key() -> str:
    path = STATE / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def app_environment() -> dict[str, str]:
    """The production settings, pointed at this machine's processes (docker-compose.yml's
    app environment, with loopback addresses)."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_", "CELERY_", "ELASTICSEARCH_", "PROMETHEUS_"))}
    origins = [f"https://127.0.0.1:{PORTS['https']}", f"https://localhost:{PORTS['https']}"]
    env.update({
        "DJANGO_SETTINGS_MODULE": "config.settings_production",
        "SECRET_KEY": secret_key(),
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CSRF_TRUSTED_ORIGINS": ",".join(origins),
        # A self-signed certificate on localhost: no HSTS, or the browser keeps it for a year.
        "SECURE_HSTS_SECONDS": "0",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{PORTS['postgres']}/{DATABASE}",
        "DATABASE_REPLICA_URL": f"postgres://postgres@127.0.0.1:{PORTS['postgres-replica']}/{DATABASE}",
        "DATABASE_POOL": "1",
        "DATABASE_POOL_MAX_SIZE": "2",
        "REDIS_URL": f"redis://127.0.0.1:{PORTS['redis']}/1",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{PORTS['redis']}/0",
        "ELASTICSEARCH_URL": f"http://127.0.0.1:{PORTS['elasticsearch']}",
        # osmem-server rejects the ES 9 client's compatibility media type.
        "ELASTICSEARCH_PLAIN_JSON": "1",
        "STATIC_ROOT": str(STATE / "static"),
        "VAR_DIR": str(STATE / "app"),
        "PAYMENT_GATEWAY": "dummy",
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        "LOG_FORMAT": "json",
        # One client address (the drill's) sends everything: the limits stay on, raised.
        "RATELIMIT_SEARCH": "100000/60", "RATELIMIT_AUTOCOMPLETE": "100000/60",
        "RATELIMIT_SEARCH_REACTIVE": "100000/60", "RATELIMIT_LOGIN": "10000/60",
        # Two cores shared with others: 2 workers x 2 threads per replica.
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "2",
        "FORWARDED_ALLOW_IPS": "127.0.0.1",
    })
    return env


@dataclass
class Service:
    """A long-running process: started in a session of its own, its pid in run/<name>.pid."""

    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    port: int | None = None
    ready_path: str | None = None  # an HTTP path answering 200 once it serves

    @property
    def pidfile(self) -> Path:
        return RUN / f"{self.name}.pid"

    @property
    def log(self) -> Path:
        return LOGS / f"{self.name}.log"

    def pid(self) -> int | None:
        with contextlib.suppress(OSError, ValueError):
            pid = int(self.pidfile.read_text())
            if alive(pid):
                return pid
        return None

    def start(self, timeout: float = 60) -> None:
        if self.pid():
            return
        with open(self.log, "a") as log:
            proc = subprocess.Popen(self.argv, cwd=ROOT, env=self.env or None, stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        _CHILDREN[proc.pid] = proc
        self.pidfile.write_text(str(proc.pid))
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            pid = self.pid()
            if pid is None:
                raise RuntimeError(f"{self.name} exited at start; see {self.log}:\n{tail(self.log)}")
            if self.port is None or (port_open(self.port) and self._answers()):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not answer on port {self.port} within {timeout:.0f} s; "
                                   f"see {self.log}")
            time.sleep(0.2)

    def _answers(self) -> bool:
        if self.ready_path is None:
            return True
        with contextlib.suppress(requests.RequestException):
            return requests.get(f"http://127.0.0.1:{self.port}{self.ready_path}", timeout=2).status_code == 200
        return False

    def signal(self, signum: int) -> None:
        pid = self.pid()
        if pid:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signum)

    def kill(self) -> None:
        """SIGKILL to the whole process group (gunicorn's master and workers alike)."""
        pid = self.pid()
        if pid:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            wait_gone(pid, 10)
        self.pidfile.unlink(missing_ok=True)

    def stop(self, timeout: float = 40) -> None:
        """SIGTERM (gunicorn and Celery finish what they are doing), SIGKILL after ``timeout``."""
        pid = self.pid()
        if pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            if not wait_gone(pid, timeout):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
                wait_gone(pid, 10)
        self.pidfile.unlink(missing_ok=True)


_CHILDREN: dict[int, subprocess.Popen] = {}


def alive(pid: int) -> bool:
    if pid in _CHILDREN and _CHILDREN[pid].poll() is not None:
        return False
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def tail(path: Path, lines: int = 30) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


def services() -> dict[str, Service]:
    """Every process but PostgreSQL (pg_ctl runs those), in start order."""
    env = app_environment()
    python = str(BIN / "python")
    from osmem_server import resolve_binary

    def web(name: str) -> Service:
        return Service(name, [python, "-m", "gunicorn", "--config", "deploy/gunicorn.conf.py",
                              "--name", f"catalog-{name}", "config.wsgi:application"],
                       {**env, "GUNICORN_BIND": f"127.0.0.1:{PORTS[name]}",
                        "PROMETHEUS_MULTIPROC_DIR": str(RUN / f"metrics-{name}")},
                       port=PORTS[name], ready_path="/healthz")

    return {
        "redis": Service("redis", ["redis-server", "--bind", "127.0.0.1", "--port", str(PORTS["redis"]),
                                   "--dir", str(STATE / "redis"), "--appendonly", "yes",
                                   "--appendfsync", "everysec", "--maxmemory-policy", "noeviction",
                                   "--save", "", "--daemonize", "no"], port=PORTS["redis"]),
        "elasticsearch": Service("elasticsearch", [resolve_binary(None), "-addr",
                                                   f"127.0.0.1:{PORTS['elasticsearch']}", "-no-ja",
                                                   "-no-stdin-watch"],
                                 port=PORTS["elasticsearch"], ready_path="/"),
        **{name: web(name) for name in WEB_REPLICAS},
        "worker": Service("worker", [python, "-m", "celery", "--app=config", "worker", "--loglevel=INFO",
                                     "--concurrency=2", "--hostname=worker@prod-local", "--without-gossip",
                                     "--without-mingle", "--max-tasks-per-child=1000"],
                          {**env, "CELERY_METRICS_PORT": str(PORTS["worker-metrics"]),
                           "PROMETHEUS_MULTIPROC_DIR": str(RUN / "metrics-worker")},
                          port=PORTS["worker-metrics"], ready_path="/metrics"),
        "beat": Service("beat", [python, "-m", "celery", "--app=config", "beat", "--loglevel=INFO",
                                 f"--schedule={RUN / 'celerybeat-schedule'}"], env),
        "nginx": Service("nginx", [NGINX, "-c", str(STATE / "nginx" / "nginx.conf"), "-p", str(STATE / "nginx"),
                                   "-g", "daemon off;"], port=PORTS["https"]),
    }


def manage(*args: str, timeout: float = 900) -> None:
    result = subprocess.run([str(BIN / "python"), "manage.py", *args], cwd=ROOT, env=app_environment(),
                            capture_output=True, text=True, timeout=timeout, check=False)
    with open(LOGS / "manage.log", "a") as log:
        log.write(f"$ manage.py {' '.join(args)}\n{result.stdout}{result.stderr}\n")
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout[-2000:]}{result.stderr[-3000:]}")


def self_signed_certificate() -> None:
    CERTS.mkdir(parents=True, exist_ok=True)
    if (CERTS / "fullchain.pem").exists():
        return
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", str(CERTS / "privkey.pem"), "-out", str(CERTS / "fullchain.pem")],
                   check=True, capture_output=True, timeout=60)
    (CERTS / "privkey.pem").chmod(0o600)


def write_nginx_conf(drained: tuple[str, ...] = ()) -> Path:
    """nginx's configuration; the replicas in ``drained`` are marked ``down`` (no new requests)."""
    root = STATE / "nginx"
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (root / "tmp" / kind).mkdir(parents=True, exist_ok=True)
    (root / "acme").mkdir(exist_ok=True)
    path = root / "nginx.conf"
    path.write_text(nginx.render(nginx.local_values(
        root, PORTS["http"], PORTS["https"],
        [f"127.0.0.1:{PORTS[name]}" + (" down" if name in drained else "") for name in WEB_REPLICAS])))
    return path


def drain(*replicas: str) -> None:
    """Take replicas out of nginx's upstream (or, with none, put them all back): a graceful
    reload, so requests already sent to a drained replica finish there and no new one (nor a
    kept-alive upstream connection) reaches it."""
    write_nginx_conf(drained=replicas)
    services()["nginx"].signal(signal.SIGHUP)
    time.sleep(1.0)  # the new nginx workers take over; the old ones finish their requests


def rolling_restart(log=print) -> None:
    """A zero-downtime deploy of the app replicas, one at a time: drain it in nginx, stop it
    (SIGTERM: gunicorn finishes its requests), start it, wait until it answers, put it back."""
    replicas = services()
    for name in WEB_REPLICAS:
        drain(name)
        replicas[name].stop()
        replicas[name].start()
        drain()
        log(f"{name} restarted")


def check_tools() -> None:
    missing = [tool for tool, path in (("nginx (apt-get install nginx)", NGINX),
                                      ("redis-server", shutil.which("redis-server")),
                                      ("openssl", shutil.which("openssl")),
                                      (f"PostgreSQL server binaries in {postgres.PG_BIN}",
                                       str(postgres.PG_BIN / "initdb")))
               if not path or not Path(path).exists()]
    if missing:
        raise SystemExit("prod-local needs: " + ", ".join(missing))
    busy = [f"{name} ({port})" for name, port in PORTS.items() if port_open(port)]
    if busy and not running():
        raise SystemExit(f"ports already in use: {', '.join(busy)} (another run? `make prod-local-stop`, or set "
                         "PROD_LOCAL_PORT_BASE)")


def running() -> bool:
    return (RUN / "up").exists()


def up(log=print) -> None:
    """Start everything (nothing that already runs is started twice), then check it."""
    check_tools()
    for path in (LOGS, RUN, STATE / "redis", STATE / "app"):
        path.mkdir(parents=True, exist_ok=True)
    postgres.make_root(PG_ROOT)
    all_services = services()

    first_start = not primary().data.exists()
    if first_start:
        log(f"PostgreSQL primary: initdb in {primary().data}")
        primary().init_primary(max_connections=100)
    if not primary().running:
        primary().start()
    if first_start:
        primary().sql(f"CREATE DATABASE {DATABASE}")
    if not replica().data.exists():
        log(f"PostgreSQL replica: pg_basebackup -R from 127.0.0.1:{PORTS['postgres']}")
        replica().clone_from(primary())
    if not replica().running:
        replica().start()
    log(f"PostgreSQL primary :{PORTS['postgres']}, streaming replica :{PORTS['postgres-replica']} "
        f"(in recovery: {replica().in_recovery()})")

    for name in ("redis", "elasticsearch"):
        all_services[name].start()
        log(f"{name} :{all_services[name].port}")

    log("migrate, collectstatic (hashed names)" + (f", seed_catalog {PRODUCTS} products" if first_start else "")
        + ", reindex into osmem")
    manage("migrate", "--noinput")
    manage("collectstatic", "--noinput")
    if first_start:
        manage("seed_catalog", "--products", str(PRODUCTS), "--seed", "42", "--if-empty")
    # osmem keeps its indices in memory: every start builds the index again.
    manage("reindex", "--no-input")

    for name in (*WEB_REPLICAS, "worker", "beat"):
        all_services[name].start()
        log(f"{name}" + (f" :{all_services[name].port}" if all_services[name].port else ""))
    self_signed_certificate()
    write_nginx_conf()
    result = subprocess.run([NGINX, "-t", "-c", str(STATE / "nginx" / "nginx.conf"), "-p", str(STATE / "nginx")],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"nginx -t failed:\n{result.stderr}")
    all_services["nginx"].start()
    (RUN / "up").write_text(str(time.time()))
    log(f"nginx {HTTPS_URL}/ (http :{PORTS['http']} redirects)")


def down(log=print, keep_data: bool = False) -> None:
    """Stop every process (nginx first, PostgreSQL last), then delete the data; logs stay."""
    all_services = services()
    for name in ("nginx", "beat", "worker", *WEB_REPLICAS, "elasticsearch", "redis"):
        service = all_services[name]
        if service.pid():
            log(f"stopping {name}")
        service.stop()
    for cluster in (replica(), primary()):
        if cluster.running:
            log(f"stopping PostgreSQL {cluster.name}")
            cluster.stop()
    (RUN / "up").unlink(missing_ok=True)
    if not keep_data:
        for path in (PG_ROOT, STATE / "redis", STATE / "app", STATE / "static", STATE / "nginx", RUN,
                     STATE / "secret_key"):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
    left = [f"{name} ({port})" for name, port in PORTS.items() if port_open(port)]
    if left:
        raise SystemExit(f"still listening after stop: {', '.join(left)}")
