"""The production engine: an Elasticsearch cluster (or an OpenSearch-compatible server)."""

from .backend import ElasticsearchBackend as Backend

__all__ = ["Backend"]
