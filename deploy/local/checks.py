"""What `make prod-local` checks once everything runs: the shop answers through nginx over
TLS, static files have hashed names and far-future caching, the catalog's reads go to the
streaming replica, and Prometheus' scrape config finds what the alert rules and the dashboard
ask for on the running ``/metrics``."""

from __future__ import annotations

import json
import re
import socket
import ssl
import time

import requests
import urllib3
import yaml
from prometheus_client.parser import text_string_to_metric_families

from . import topology

MONITORING = topology.ROOT / "deploy" / "monitoring"
# Prometheus finds compose's containers by DNS name; here they are these loopback ports.
SCRAPE_TARGETS = {"web": ["web1", "web2"], "worker": ["worker-metrics"]}
# Counters with labels appear in /metrics from their first event only (prometheus_client's
# multiprocess mode writes no sample before it): these may be missing from a quiet shop.
FIRST_EVENT = {"catalog_rate_limited_total": "the first request refused with 429"}


class CheckFailed(Exception):
    pass


def shop() -> requests.Session:
    """A browser of the shop: TLS verified against the self-signed certificate."""
    session = requests.Session()
    session.verify = str(topology.CERTS / "fullchain.pem")
    session.trust_env = False  # REQUESTS_CA_BUNDLE would replace the certificate above
    return session


def check_tls_and_static(log) -> None:
    browser = shop()
    home = browser.get(topology.HTTPS_URL + "/", timeout=30)
    if home.status_code != 200:
        raise CheckFailed(f"GET / through nginx answered {home.status_code}")
    redirect = requests.get(f"http://127.0.0.1:{topology.PORTS['http']}/c/", allow_redirects=False, timeout=10)
    if redirect.status_code != 301 or not redirect.headers["Location"].startswith(topology.HTTPS_URL):
        raise CheckFailed(f"plain HTTP is not redirected to HTTPS: {redirect.status_code} {redirect.headers}")
    assets = re.findall(r'(?:href|src)="(/static/[^"]+\.[0-9a-f]{12}\.(?:css|js))"', home.text)
    if not assets:
        raise CheckFailed("the home page links no static file with a hashed name")
    asset = browser.get(topology.HTTPS_URL + assets[0], timeout=10)
    cache_control = asset.headers.get("Cache-Control", "")
    if asset.status_code != 200 or "max-age=31536000" not in cache_control or "immutable" not in cache_control:
        raise CheckFailed(f"{assets[0]}: {asset.status_code}, Cache-Control {cache_control!r}")
    if "gunicorn" in asset.headers.get("Server", "").lower():
        raise CheckFailed(f"{assets[0]} was served by Django, not nginx")
    log(f"TLS: GET / 200, {negotiated_protocol()} offered, http:// redirects; {assets[0]}: {cache_control}")


def negotiated_protocol() -> str:
    """What nginx agrees to speak when a client offers HTTP/2 (ALPN): h2 expected."""
    context = ssl.create_default_context(cafile=str(topology.CERTS / "fullchain.pem"))
    context.set_alpn_protocols(["h2", "http/1.1"])
    with socket.create_connection(("127.0.0.1", topology.PORTS["https"]), timeout=10) as raw, \
            context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
        protocol = tls.selected_alpn_protocol() or "http/1.1"
    if protocol != "h2":
        raise CheckFailed(f"nginx does not speak HTTP/2 over TLS (ALPN chose {protocol})")
    return protocol


def metrics_text(port: int) -> str:
    response = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
    response.raise_for_status()
    return response.text


def replica_routed(web: str) -> dict[str, float]:
    counts = {"replica": 0.0, "primary": 0.0}
    for family in text_string_to_metric_families(metrics_text(topology.PORTS[web])):
        if family.name == "catalog_replica_routed_requests":
            for sample in family.samples:
                if sample.name.endswith("_total"):
                    counts[sample.labels["database"]] += sample.value
    return counts


def replica_reads(cluster) -> int:
    """Rows the replica's server returned for the catalog database (pg_stat_database)."""
    return int(cluster.sql(f"SELECT tup_returned FROM pg_stat_database WHERE datname = '{topology.DATABASE}'")[0][0])


def check_replica_reads(log) -> None:
    primary, replica = topology.primary(), topology.replica()
    streaming = primary.sql("SELECT state FROM pg_stat_replication")
    if not replica.in_recovery() or ("streaming",) not in streaming:
        raise CheckFailed(f"the replica is not a streaming standby (pg_stat_replication: {streaming})")
    before = {web: replica_routed(web)["replica"] for web in topology.WEB_REPLICAS}
    rows_before = replica_reads(replica)
    browser = shop()
    category = re.search(r'href="(/c/[^"]+/)"', browser.get(topology.HTTPS_URL + "/", timeout=30).text)
    for _ in range(6):
        browser.get(topology.HTTPS_URL + (category.group(1) if category else "/"), timeout=30).raise_for_status()
    routed = {web: replica_routed(web)["replica"] - before[web] for web in topology.WEB_REPLICAS}
    rows = replica_reads(replica) - rows_before
    if sum(routed.values()) < 6 or rows <= 0:
        raise CheckFailed(f"catalog reads did not go to the replica: routed {routed}, replica rows {rows}")
    log(f"replica: streaming; 7 catalog pages read it (catalog_replica_routed_requests_total"
        f"{{database=\"replica\"}} +{sum(routed.values()):.0f} on {routed}; the replica's pg_stat_database "
        f"returned {rows} more rows)")


def referenced_metrics() -> set[str]:
    """Metric names in the alert rules and the Grafana dashboard."""
    rules = yaml.safe_load((MONITORING / "alerts.yml").read_text())
    expressions = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    dashboards = MONITORING / "grafana" / "dashboards"
    for path in dashboards.glob("*.json"):
        expressions += re.findall(r'"expr":\s*"((?:[^"\\]|\\.)*)"', path.read_text())
    names = set()
    for expression in expressions:
        names |= set(re.findall(r"\b(catalog_[a-z0-9_]+)", expression))
    return names


def check_scrape_config(log, wait_seconds: float = 45) -> None:
    """Every metric of the rules and the dashboard is on a target of prometheus.yml. Task
    outcomes appear once the worker ran a task: beat's outbox drain, every 30 s."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return _check_scrape_config(log)
        except CheckFailed:
            if time.monotonic() > deadline:
                raise
            time.sleep(3)


def _check_scrape_config(log) -> None:
    config = yaml.safe_load((MONITORING / "prometheus.yml").read_text())
    families: set[str] = set()
    jobs = set()
    for job in config["scrape_configs"]:
        jobs.add(job["job_name"])
        for discovery in job.get("dns_sd_configs", []):
            for dns_name in discovery["names"]:
                for target in SCRAPE_TARGETS[dns_name]:
                    port = topology.PORTS[target]
                    url = f"http://127.0.0.1:{port}{job.get('metrics_path', '/metrics')}"
                    response = requests.get(url, timeout=10)
                    if response.status_code != 200:
                        raise CheckFailed(f"{job['job_name']}: {url} answered {response.status_code}")
                    for family in text_string_to_metric_families(response.text):
                        families.add(family.name)
                        families.update(sample.name for sample in family.samples)
    missing = sorted(name for name in referenced_metrics() if name not in families and name not in FIRST_EVENT)
    if missing:
        raise CheckFailed(f"alerts.yml or the dashboard use metrics no target exports: {missing}")
    rules = (MONITORING / "alerts.yml").read_text()
    unknown_jobs = sorted(set(re.findall(r'job="([^"]+)"', rules)) - jobs)
    if unknown_jobs:
        raise CheckFailed(f"alerts.yml names jobs prometheus.yml does not scrape: {unknown_jobs}")
    log(f"monitoring: prometheus.yml's jobs {sorted(jobs - {'prometheus'})} scraped on "
        f"{sum(len(v) for v in SCRAPE_TARGETS.values())} targets; all {len(referenced_metrics())} metrics of "
        "alerts.yml and the dashboard are exported"
        + "".join(f"; {name} from {event}" for name, event in FIRST_EVENT.items() if name not in families))


def check_all(log=print) -> None:
    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    check_tls_and_static(log)
    check_replica_reads(log)
    check_scrape_config(log)
    ready = shop().get(topology.HTTPS_URL + "/readyz", timeout=30)
    log(f"/readyz through nginx: {ready.status_code} {json.dumps(ready.json()) if ready.content else ''}")
    if ready.status_code != 200:
        raise CheckFailed("/readyz names a failing dependency")

