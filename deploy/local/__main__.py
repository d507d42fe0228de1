"""`python -m deploy.local up|down|check|status|nginx-conf` (the Makefile's prod-local targets)."""

from __future__ import annotations

import argparse
import sys
import time

from . import checks, nginx, topology


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.local", description=__doc__)
    parser.add_argument("command", choices=["up", "down", "check", "status", "nginx-conf"])
    parser.add_argument("--keep-data", action="store_true", help="down: keep the databases and the index")
    args = parser.parse_args()
    if args.command == "nginx-conf":
        print(f"wrote {nginx.write_compose_conf()}")
        return 0
    if args.command == "status":
        for name, service in topology.services().items():
            print(f"{name:15} {'pid ' + str(service.pid()) if service.pid() else 'stopped'}")
        for cluster in (topology.primary(), topology.replica()):
            print(f"postgres-{cluster.name:6} {'running' if cluster.running else 'stopped'} :{cluster.port}")
        return 0
    if args.command == "down":
        topology.down(keep_data=args.keep_data)
        print(f"prod-local stopped; logs in {topology.LOGS}")
        return 0
    started = time.monotonic()
    try:
        if args.command == "up":
            topology.up()
        checks.check_all()
    except (checks.CheckFailed, RuntimeError) as error:
        print(f"prod-local: {error}", file=sys.stderr)
        print(f"logs: {topology.LOGS}; stop everything with `make prod-local-stop`", file=sys.stderr)
        return 1
    print(f"prod-local is up ({time.monotonic() - started:.0f} s): {topology.HTTPS_URL}/ "
          f"(self-signed: {topology.CERTS / 'fullchain.pem'}); `make prod-drill`; `make prod-local-stop`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
