"""The search engine named by settings.SEARCH_ENGINE, behind one interface."""

from __future__ import annotations

import threading

from django.conf import settings

from .base import RejectedDocument, SearchBackend, SearchUnavailable

__all__ = ["get_backend", "SearchBackend", "SearchUnavailable", "RejectedDocument"]

_backends: dict[tuple, SearchBackend] = {}
_lock = threading.Lock()


def get_backend() -> SearchBackend:
    config = settings.SEARCH_ENGINE
    key = tuple(sorted((k, str(v)) for k, v in config.items()))
    with _lock:
        backend = _backends.get(key)
        if backend is None:
            if config["ENGINE"] == "elasticsearch":
                from .elasticsearch_backend import ElasticsearchBackend

                backend = ElasticsearchBackend(config)
            elif config["ENGINE"] == "tantivy":
                from .tantivy_backend import TantivyBackend

                backend = TantivyBackend(config)
            else:
                raise ValueError(f"unknown search engine {config['ENGINE']!r}")
            _backends[key] = backend
        return backend
