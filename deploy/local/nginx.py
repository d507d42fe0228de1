"""The two nginx configurations written from deploy/nginx/nginx.conf.template.

``compose``: deploy/nginx/nginx.conf, for the nginx:1.28 image of docker-compose.yml: Docker's
DNS names the replicas (``server web:8000 resolve``, re-read every 10 s), the standard ports,
the volumes' paths. ``local``: for ``make prod-local`` on Debian's nginx 1.22, which knows
neither ``http2 on`` nor ``resolve``: fixed replica addresses, the ports of ``deploy.local``,
and every file (pid, temporary files, certificate, static files) under one directory.
"""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent.parent / "nginx" / "nginx.conf.template"
COMPOSE_CONF = TEMPLATE.with_name("nginx.conf")
GENERATED = "# Generated from deploy/nginx/nginx.conf.template by deploy/local/nginx.py: edit the template.\n"

COMPOSE = {
    "USER": "user  nginx;\n",
    "PID": "/run/nginx.pid",
    "TEMP_PATHS": "",
    "UPSTREAM_COMMENT": (
        "    # Docker's embedded DNS (127.0.0.11) returns one address per `web`\n"
        "    # replica; `resolve` re-reads it every 10s, so `docker compose up\n"
        "    # --scale web=N` and restarted replicas (new addresses) are picked up\n"
        "    # without reloading nginx.\n"
        "    resolver          127.0.0.11 valid=10s ipv6=off;\n"
        "    resolver_timeout  5s;"),
    "UPSTREAM_SERVERS": "        server web:8000 resolve max_fails=3 fail_timeout=10s;",
    "HTTP_PORT": "80",
    "ACME_ROOT": "/var/www/acme",
    "HTTPS_ORIGIN": "https://$host",
    "HTTPS_LISTEN": "        listen 443 ssl default_server;\n        http2 on;",
    "CERTS": "/etc/nginx/certs",
    "HOST_HEADER": "$host",
    "STATIC_PARENT": "/srv",
}


def local_values(root: Path, http_port: int, https_port: int, upstreams: list[str]) -> dict[str, str]:
    """The local variant: ``root`` holds nginx.pid, tmp/, certs/ and acme/; static files are
    ``root.parent/static``."""
    temp = "\n".join(f"    {kind}_temp_path {root / 'tmp' / kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return {
        # As root the workers run as nobody; as anyone else, as that user.
        "USER": "",
        "PID": str(root / "nginx.pid"),
        "TEMP_PATHS": "\n    # Temporary files under var/, not /var/lib/nginx.\n" + temp + "\n",
        "UPSTREAM_COMMENT": "    # The replicas of `make prod-local`, on loopback ports (deploy/local).",
        # A replica that refuses connections is skipped for 5 s after one failure.
        "UPSTREAM_SERVERS": "\n".join(f"        server {address} max_fails=1 fail_timeout=5s;"
                                      for address in upstreams),
        "HTTP_PORT": f"127.0.0.1:{http_port}",
        "ACME_ROOT": str(root / "acme"),
        "HTTPS_ORIGIN": f"https://$host:{https_port}",
        # nginx 1.22: http2 is a parameter of listen (1.25.1 deprecated it for `http2 on`).
        "HTTPS_LISTEN": f"        listen 127.0.0.1:{https_port} ssl http2 default_server;",
        "CERTS": str(root / "certs"),
        # With the port: Django's CSRF origin check compares it with the browser's Origin.
        "HOST_HEADER": "$http_host",
        "STATIC_PARENT": str(root.parent),
    }


def render(values: dict[str, str]) -> str:
    text = TEMPLATE.read_text()
    for name, value in values.items():
        text = text.replace(f"@{name}@", value)
    left = set(re.findall(r"@([A-Z_]+)@", text))
    if left:
        raise ValueError(f"nginx.conf.template: no value for {sorted(left)}")
    return GENERATED + text


def write_compose_conf() -> Path:
    COMPOSE_CONF.write_text(render(COMPOSE))
    return COMPOSE_CONF
