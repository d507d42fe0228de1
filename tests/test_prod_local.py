"""The nginx configuration of `make prod-local`, on Debian's nginx for real, and the compose one
kept in step with the template they both come from (deploy/local/nginx.py).

The full topology and its failover drill run with `make prod-local` and `make prod-drill`."""

from __future__ import annotations

import contextlib
import http.server
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
import requests

from deploy.local import nginx

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def test_the_compose_nginx_conf_is_the_template_rendered():
    assert nginx.COMPOSE_CONF.read_text() == nginx.render(nginx.COMPOSE), (
        "deploy/nginx/nginx.conf differs from deploy/nginx/nginx.conf.template: edit the template and run "
        "`.venv/bin/python -m deploy.local nginx-conf`")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Upstream(http.server.BaseHTTPRequestHandler):
    """One app replica's stand-in: answers which port served the request."""

    def do_GET(self):  # noqa: N802 - http.server's name
        body = f"{self.server.server_port} {self.headers['X-Forwarded-Proto']} {self.headers['Host']}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def local_nginx():
    if not os.path.exists(NGINX):
        pytest.skip("nginx is not installed: `make prod-local` installs Debian's (apt-get install nginx)")
    # Readable by nginx's workers (nobody, when the master runs as root): not pytest's 0700 tmp.
    root = Path(tempfile.mkdtemp(prefix="nginx-test-"))
    root.chmod(0o755)
    conf_root = root / "nginx"
    (conf_root / "certs").mkdir(parents=True)
    (root / "static" / "css").mkdir(parents=True)
    (root / "static" / "css" / "site.0123456789ab.css").write_text("body{}")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(conf_root / "certs" / "privkey.pem"),
                    "-out", str(conf_root / "certs" / "fullchain.pem")], check=True, capture_output=True)
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (conf_root / "tmp" / kind).mkdir(parents=True)
    (conf_root / "acme").mkdir()
    alive = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=alive.serve_forever, daemon=True).start()
    dead_port = free_port()  # a replica that is down: nothing listens there
    http_port, https_port = free_port(), free_port()
    conf = conf_root / "nginx.conf"
    conf.write_text(nginx.render(nginx.local_values(conf_root, http_port, https_port,
                                                    [f"127.0.0.1:{dead_port}", f"127.0.0.1:{alive.server_port}"])))
    checked = subprocess.run([NGINX, "-t", "-c", str(conf), "-p", str(conf_root)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    proc = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(conf_root), "-g", "daemon off;"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 10
        while True:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", https_port)) == 0:
                    break
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
            time.sleep(0.05)
        session = requests.Session()
        session.trust_env = False
        session.verify = str(conf_root / "certs" / "fullchain.pem")
        yield session, f"https://127.0.0.1:{https_port}", http_port, alive.server_port
    finally:
        proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(10)
        alive.shutdown()
        shutil.rmtree(root)


def test_the_local_nginx_conf_runs_on_debians_nginx_tls_static_and_a_dead_replica(local_nginx):
    session, url, http_port, alive_port = local_nginx
    # Every request is served although one of the two replicas refuses connections.
    answers = [session.get(url + "/healthz", timeout=5) for _ in range(6)]
    assert [a.status_code for a in answers] == [200] * 6
    assert {a.text for a in answers} == {f"{alive_port} https 127.0.0.1:{url.rsplit(':', 1)[1]}"}
    static = session.get(url + "/static/css/site.0123456789ab.css", timeout=5)
    assert static.status_code == 200 and static.text == "body{}"
    assert static.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert session.get(url + "/static/css/missing.0123456789ab.css", timeout=5).status_code == 404
    assert session.get(url + "/metrics", timeout=5).status_code == 404  # never through the edge
    redirect = session.get(f"http://127.0.0.1:{http_port}/c/shoes/?page=2", allow_redirects=False, timeout=5)
    assert redirect.status_code == 301 and redirect.headers["Location"] == url + "/c/shoes/?page=2"
