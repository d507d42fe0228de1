"""The reference for every throughput figure: a bare Django view (/healthz, no
database, no template) under the same gunicorn and load generator."""

import os
import tempfile

from _common import gunicorn, load, machine

SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))

if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as var:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "0", "VAR_DIR": var,
               "ALLOWED_HOSTS": "127.0.0.1"}
        for key in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "ELASTICSEARCH_URL"):
            env.pop(key, None)
        print(f"machine: {machine()}")
        with gunicorn(env, workers=2) as port:
            result = load(port, "/healthz", seconds=SECONDS, concurrency=4)
        print(f"bare Django view (/healthz), gunicorn 2 workers, 4 keep-alive clients, {SECONDS:.0f} s: "
              f"{result['rps']:,.0f} requests/s, p50 {result['p50_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms, "
              f"errors {result['errors']}")
