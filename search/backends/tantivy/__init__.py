"""The embedded engine: tantivy indexes on local disk, in-process."""

from .backend import TantivyBackend as Backend

__all__ = ["Backend"]
