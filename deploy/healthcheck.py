"""Container healthcheck for the web role: GET /healthz (or /readyz with --ready)
from the local gunicorn; exit 0 on HTTP 200, 1 otherwise.

The request carries a Host from ALLOWED_HOSTS (Django answers 400 to an unknown
host) and X-Forwarded-Proto: https (production settings redirect plain HTTP),
as nginx would send them. Redirects are not followed.
"""

import http.client
import os
import sys


def _host() -> str:
    for entry in os.environ.get("ALLOWED_HOSTS", "").split(","):
        entry = entry.strip()
        if entry and entry != "*":
            return entry.lstrip(".")  # ".example.com" allows "example.com"
    return "localhost"


def main() -> int:
    path = "/readyz" if "--ready" in sys.argv[1:] else "/healthz"
    port = int(os.environ.get("HEALTHCHECK_PORT", "8000"))
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", path, headers={"Host": _host(), "X-Forwarded-Proto": "https"})
        response = conn.getresponse()
        body = response.read(300)
    except OSError as exc:
        print(f"{path}: {exc}", file=sys.stderr)
        return 1
    if response.status != 200:
        print(f"{path}: HTTP {response.status} {body!r}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
