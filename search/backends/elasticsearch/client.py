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


@lru_cache(maxsize=8)
def build_client(url: str, plain_json: bool = False, timeout: float = 10.0) -> Elasticsearch:
    options: dict = {"request_timeout": timeout, "max_retries": 1, "retry_on_timeout": False}
    if plain_json:
        options["node_class"] = PlainJsonNode
    return Elasticsearch(url, **options)
