"""The one small interface every search engine implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from search.query.ranking import DEFAULT_TYPOS, TypoTolerance
from search.query.request import SearchRequest
from search.query.result import SearchHit


class SearchUnavailable(RuntimeError):
    """The engine cannot be reached (or is locked); the caller keeps its outbox rows."""


@dataclass
class EngineResult:
    """What an engine found: the total, a page of hits, and the facets' aggregation
    results in Elasticsearch's response shape. search.services makes the result pages show."""

    total: int
    hits: list[SearchHit]
    aggregations: dict


@dataclass
class RejectedDocument:
    id: int
    reason: str


class SearchBackend(ABC):
    """Products are documents keyed by product id, under an alias (``INDEX_NAME``)
    that points at one concrete index; a reindex builds a new concrete index and
    switches the alias to it."""

    # A short name for metrics, logs and the reindex history ("tantivy", "elasticsearch").
    name: str = ""

    def __init__(self, config: dict) -> None:
        self.config = config
        self.options: dict = config.get("OPTIONS", {})
        self.alias = config["INDEX_NAME"]

    @property
    @abstractmethod
    def location(self) -> str:
        """Where an operator should look: "http://es:9200", "/srv/search/products"."""

    @abstractmethod
    def list_indices(self) -> list[str]:
        """Every concrete index of this alias, current or not (a reindex's leftovers too)."""

    @abstractmethod
    def environment(self) -> dict[str, str]:
        """The environment variables that give another process (a worker) this engine."""

    @abstractmethod
    def ping(self) -> None:
        """Raise SearchUnavailable when the engine cannot answer."""

    @abstractmethod
    def ensure_index(self) -> None:
        """Create an empty current index if there is none."""

    @abstractmethod
    def known_words(self, words: Iterable[str], fields: Iterable[str]) -> frozenset[str]:
        """The words (as typed) that some document holds in one of ``fields``, after the
        index's own analysis (a stem counts): search.services never typo-expands those."""

    def known_words_in(self, words: Iterable[str],
                       field_sets: Mapping[str, Iterable[str]]) -> dict[str, frozenset[str]]:
        """``known_words`` for several sets of fields at once (a name → its fields; the same names
        back): one round trip where the engine answers over the network."""
        unique = list(dict.fromkeys(words))
        return {name: self.known_words(unique, fields) for name, fields in field_sets.items()}

    @abstractmethod
    def corrections(self, words: Iterable[str], typos: TypoTolerance = DEFAULT_TYPOS) -> dict[str, str]:
        """For each word (as typed) the index does not know, its correction when it has one: a word
        of the typo-tolerant names and brands (search.query.spelling.whole_word_fields; their prefixes
        the documents hold, so a surface form, not a stem) within its typo budget (``typos``), chosen
        by search.query.spelling.pick_correction from the candidates and their document frequencies.
        Words without a correction are left out."""

    def has_index(self) -> bool:
        """Whether the engine holds a current index: False when it answers with none (restarted
        empty, its directory deleted: indexing.heal then reindexes); raise SearchUnavailable
        when it cannot answer."""
        current = self.current_index()
        return current is not None and current in self.list_indices()

    def definition_drift(self) -> list[str]:
        """How the live index's definition (mapping, schema) differs from the one a reindex
        would create; empty when they match (or the engine fixes it in code)."""
        return []

    @abstractmethod
    def index_documents(self, documents: list[dict], index: str | None = None) -> list[RejectedDocument]:
        """Upsert documents; return the ones the engine rejected."""

    @abstractmethod
    def delete_documents(self, ids: Iterable[int], index: str | None = None) -> None: ...

    @abstractmethod
    def search(self, request: SearchRequest) -> EngineResult: ...

    @abstractmethod
    def more_like_this(self, product_id: int, like: Mapping[str, str], limit: int) -> list[SearchHit]:
        """The in-stock products most like ``product_id`` ("more like this"), best first, without
        it: ``like`` holds the product's words per analysed text field (search.query.related)."""

    @abstractmethod
    def count(self) -> int: ...

    @abstractmethod
    def get_document(self, product_id: int) -> dict | None: ...

    @abstractmethod
    def iter_versions(self, id_from: int, id_to: int) -> Iterator[tuple[int, int]]:
        """(product id, version stamp) of the documents with id_from <= id < id_to."""

    @abstractmethod
    def max_id(self) -> int | None:
        """The largest product id in the current index (None when empty)."""

    @abstractmethod
    def create_index(self) -> str:
        """Create a new, empty concrete index; return its name."""

    @abstractmethod
    def current_index(self) -> str | None: ...

    @abstractmethod
    def switch(self, concrete: str) -> str | None:
        """Make ``concrete`` current atomically; return the previous one."""

    @abstractmethod
    def drop_index(self, concrete: str) -> None: ...

    def load(self, concrete: str, batches: Iterable[list[dict]], progress=None) -> None:
        """Bulk-load a new concrete index (not yet current) from batches of documents."""
        for batch in batches:
            rejected = self.index_documents(batch, index=concrete)
            if rejected:
                raise ValueError(f"{len(rejected)} documents rejected, e.g. {rejected[0]}")
            if progress:
                progress(len(batch))

    def refresh(self) -> None:  # noqa: B027 - optional hook, a no-op where commits do it
        """Make recent writes visible to searches (no-op where commits do that)."""
