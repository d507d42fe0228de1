"""The one place an Elasticsearch client is built."""

from __future__ import annotations

from functools import lru_cache

from elastic_transport import Urllib3HttpNode
from elasticsearch import Elasticsearch


class PlainJsonNode(Urllib3HttpNode):
    """Send plain ``application/json`` instead of the ES 9 compatibility media
    type, which OpenSearch-compatible servers such as osmem-server reject (406).
    Enabled by ``ELASTICSEARCH_PLAIN_JSON``; off for a real Elasticsearch."""

    def perform_request(self, method, target, body=None, headers=None, request_timeout=None):
        if headers:
            headers = headers.copy()
            for name in ("accept", "content-type"):
                value = headers.get(name)
                if value and "vnd.elasticsearch" in value:
                    headers[name] = "application/json"
        return super().perform_request(method, target, body=body, headers=headers, request_timeout=request_timeout)


def hosts_of(urls: str) -> tuple[str, ...]:
    """``ELASTICSEARCH_URL`` may name several nodes, comma-separated; the client spreads
    requests over them and retries a dead one's on the next."""
    hosts = tuple(url.strip() for url in urls.split(",") if url.strip())
    if not hosts:
        raise ValueError("ELASTICSEARCH_URL names no host")
    return hosts


@lru_cache(maxsize=8)
def build_client(url: str, plain_json: bool = False, timeout: float = 10.0, *, ca_certs: str = "",
                 api_key: str = "") -> Elasticsearch:
    """``ca_certs``: a PEM bundle that signed the nodes' certificates (https URLs);
    ``api_key``: the encoded key (``ELASTICSEARCH_API_KEY``), sent as ``Authorization: ApiKey``."""
    options: dict = {
        "request_timeout": timeout, "max_retries": 1, "retry_on_timeout": False,
        # A 429 (the node's write queue is full) is retried by the bulk helper after a
        # back-off (backend.BULK_RETRIES); retrying it at once here would only add load.
        "retry_on_status": (502, 503, 504),
    }
    if plain_json:
        options["node_class"] = PlainJsonNode
    if ca_certs:
        options["ca_certs"] = ca_certs
    if api_key:
        options["api_key"] = api_key
    return Elasticsearch(list(hosts_of(url)), **options)
