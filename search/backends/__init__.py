"""The search engine named by settings.SEARCH_ENGINE["BACKEND"], behind one interface.

An engine is a package (``search.backends.tantivy``, ``search.backends.elasticsearch``)
whose ``Backend`` implements ``SearchBackend``, chosen by its dotted path as Django
chooses a ``SESSION_ENGINE``. Nothing outside the package knows which one runs.
"""

from __future__ import annotations

import threading
from importlib import import_module

from django.conf import settings

from .base import EngineResult, RejectedDocument, SearchBackend, SearchUnavailable

__all__ = ["get_backend", "backend_for", "EngineResult", "SearchBackend", "SearchUnavailable", "RejectedDocument"]

_backends: dict[str, SearchBackend] = {}
_lock = threading.Lock()


def backend_for(config: dict) -> SearchBackend:
    """The backend of an engine configuration (``BACKEND``, ``INDEX_NAME``, ``OPTIONS``),
    one instance per configuration and process."""
    key = repr(sorted((k, repr(v)) for k, v in config.items()))
    with _lock:
        backend = _backends.get(key)
        if backend is None:
            backend_class = import_module(config["BACKEND"]).Backend
            backend = _backends[key] = backend_class(config)
        return backend


def get_backend() -> SearchBackend:
    return backend_for(settings.SEARCH_ENGINE)
