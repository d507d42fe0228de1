"""The embedded engine: tantivy, on disk, in-process.

Layout under ``PATH/<alias>/``: one directory per concrete index and a
``CURRENT`` file naming the live one, replaced atomically by a switch. One
process writes at a time (tantivy's lock): writers are opened per batch and
released at once, so the storefront and a command in another shell share the
index; readers reload when the index's meta file changes.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path

import orjson
import tantivy

from search.facets import aggregation_plan, followup_plan, index_fields, request_filters
from search.query import related
from search.query.filters import filters_without
from search.query.ranking import DEFAULT_TYPOS, FUZZY_FIELDS, TypoTolerance
from search.query.request import SearchRequest
from search.query.result import SearchHit, make_hit, matched_terms
from search.query.text import stem, stem_analyzer, surface_words

from ..base import EngineResult, RejectedDocument, SearchBackend, SearchUnavailable
from . import compiler, rerank
from .hosting import host_for, hosted, unhost
from .terms import TermExpander

logger = logging.getLogger(__name__)

WRITER_HEAP = 64_000_000
# The bulk load keeps at most this much in memory before flushing a segment: the
# reindex peak memory is bounded by it, whatever the catalog size.
LOAD_WRITER_HEAP = 64_000_000
WRITER_WAIT_SECONDS = 15.0
DISPLAY_FIELDS = ("id", "name", "slug", "sku", "brand", "price", "currency", "compare_at_price", "in_stock",
                  "rating", "rating_count", "image_url")


_FACET_FIELDS = tuple(index_fields().items())
# The analysed text fields a shopper's words are searched in (search.query.ranking's weights).
TEXT_FIELDS = ("name", "brand", "category_text", "description", "attribute_text")
# The typo fields (search.query.ranking.FUZZY_FIELDS): the same texts as words written, unstemmed.
WORD_FIELDS = {field: compiler.words_field(field) for field in FUZZY_FIELDS}


# The typo fields hold search.query.text.surface_words joined by spaces: cut at the spaces.
_SURFACE_WORDS = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build()


def build_schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_integer_field("id", stored=True, indexed=True, fast=True)
    for name in TEXT_FIELDS:
        sb.add_text_field(name, tokenizer_name="en_fold")
    for name in WORD_FIELDS.values():
        sb.add_text_field(name, tokenizer_name="surface_words")
    sb.add_text_field("prefixes", tokenizer_name="raw")
    sb.add_text_field("sku_lower", fast=True, tokenizer_name="raw")
    # What the facets filter and count on (search.facets.registry).
    for name, kind in index_fields().items():
        if kind == "keyword":
            sb.add_text_field(name, fast=True, tokenizer_name="raw")
        elif kind == "float":
            sb.add_float_field(name, indexed=True, fast=True)
        elif kind == "boolean":
            sb.add_boolean_field(name, indexed=True, fast=True)
        else:
            raise ValueError(f"no tantivy field for a {kind!r} facet field ({name})")
    sb.add_integer_field("popularity", indexed=True, fast=True)
    sb.add_integer_field("rating_count", fast=True)
    sb.add_date_field("created_at", indexed=True, fast=True)
    sb.add_integer_field("version", fast=True)
    for sort_field, _order in compiler.SORT_FIELDS.values():
        sb.add_integer_field(sort_field, fast=True)
    sb.add_bytes_field("display", stored=True)
    return sb.build()


def to_tantivy(doc: dict) -> tantivy.Document:
    d = tantivy.Document()
    d.add_integer("id", doc["id"])
    for name in (*TEXT_FIELDS, "sku_lower"):
        d.add_text(name, doc[name])
    for name, words in WORD_FIELDS.items():
        d.add_text(words, " ".join(surface_words(doc[name])))
    for prefix in doc["prefixes"]:
        d.add_text("prefixes", prefix)
    for name, kind in _FACET_FIELDS:
        value = doc[name]
        for v in value if isinstance(value, list) else (value,):
            if kind == "keyword":
                if v:  # "": none (a product without a vendor)
                    d.add_text(name, v)
            elif kind == "float":
                d.add_float(name, v)
            else:
                d.add_boolean(name, v)
    d.add_integer("popularity", doc["popularity"])
    d.add_integer("rating_count", doc["rating_count"])
    created = doc["created_at"]
    d.add_date("created_at", datetime.fromisoformat(created) if isinstance(created, str) else created)
    d.add_integer("version", doc["version"])
    for field, _ in compiler.SORT_FIELDS.values():
        d.add_integer(field, doc[field])
    display = {k: doc[k] for k in DISPLAY_FIELDS}
    d.add_bytes("display", orjson.dumps(display))
    return d


def _release(writer: tantivy.IndexWriter, committed: bool = False) -> None:
    """Give up the writer and tantivy's lock now, whatever failed.

    ``wait_merging_threads`` consumes the writer: the lock goes with it even while a
    traceback (a retried task's exception) still refers to the Python object, which a
    bare ``rollback`` would leave holding the lock for the life of the process."""
    if not committed:
        with suppress(ValueError, OSError):  # a killed writer (disk full) may fail to roll back too
            writer.rollback()
    try:
        writer.wait_merging_threads()
    except (ValueError, OSError) as exc:  # a merge that failed: the committed segments stay as they were
        logger.warning("tantivy merge failed after %s: %s", "a commit" if committed else "a rollback", exc)


class OtherSchema(SearchUnavailable):
    """The current index was built with another schema than this code's."""


class TantivyBackend(SearchBackend):
    name = "tantivy"

    def __init__(self, config: dict) -> None:
        super().__init__(config)
        self.root = Path(self.options["PATH"]) / self.alias
        self.schema = build_schema()
        self._lock = threading.Lock()
        # name → (index, state of its meta file when last (re)loaded, the terms of that state)
        self._open: dict[str, tuple[tantivy.Index, tuple, TermExpander]] = {}
        self._pointer: tuple[tuple, str | None] | None = None  # (state of CURRENT, the name it held)

    # --- locations ---------------------------------------------------------
    @property
    def location(self) -> str:
        return str(self.root)

    def environment(self) -> dict[str, str]:
        return {"SEARCH_BACKEND": "search.backends.tantivy", "ELASTICSEARCH_URL": "",
                "SEARCH_INDEX_NAME": self.alias, "TANTIVY_PATH": str(self.options["PATH"])}

    @property
    def pointer(self) -> Path:
        return self.root / "CURRENT"

    def current_index(self) -> str | None:
        # The pointer is replaced (a new inode) on every switch: read again only then.
        try:
            stat = os.stat(self.pointer)
        except FileNotFoundError:
            return None
        state = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        seen = self._pointer
        if seen is not None and seen[0] == state:
            return seen[1]
        try:
            name = self.pointer.read_text().strip() or None
        except FileNotFoundError:
            return None
        self._pointer = (state, name)
        return name

    def _index(self, name: str | None = None) -> tantivy.Index:
        return self._open_index(name)[0]

    def _open_index(self, name: str | None = None) -> tuple[tantivy.Index, TermExpander]:
        """The index (reloaded if another writer committed) and the term expander of its state."""
        name = name or self.current_index()
        if name is None:
            raise SearchUnavailable(f"no search index yet under {self.root}: run `manage.py reindex`")
        path = self.root / name
        try:
            # meta.json is replaced atomically on every commit: a new inode and mtime.
            meta = (path / "meta.json").stat()
            meta_mtime = (meta.st_ino, meta.st_mtime_ns, meta.st_size)
        except FileNotFoundError:
            raise SearchUnavailable(f"search index {path} is missing: run `manage.py reindex`") from None
        with self._lock:
            cached = self._open.get(name)
            if cached is None:
                index = self._index_at_current_schema(name)
            else:
                index, seen, terms = cached
                if meta_mtime == seen:
                    return index, terms
                index.reload()  # another process (or writer) committed
            terms = TermExpander(index.searcher())
            self._open[name] = (index, meta_mtime, terms)
            return index, terms

    @contextmanager
    def _writer(self, name: str | None = None):
        index = self._index(name)
        deadline = time.monotonic() + float(self.options.get("WRITER_WAIT_SECONDS", WRITER_WAIT_SECONDS))
        while True:
            try:
                writer = index.writer(WRITER_HEAP, 1)
                break
            except ValueError as exc:  # LockBusy: another process is writing
                if time.monotonic() > deadline:
                    raise SearchUnavailable(f"the search index is locked by another writer: {exc}") from exc
                time.sleep(0.05)
        try:
            with self._write_errors_unavailable(name):
                yield writer
                writer.commit()
        except BaseException:
            _release(writer)
            raise
        _release(writer, committed=True)
        index.reload()  # our own commit is visible to this process's next search at once

    # --- interface ---------------------------------------------------------
    def ping(self) -> None:
        self._index()

    def ensure_index(self) -> None:
        if self.current_index() is None:
            self.switch(self.create_index())

    def index_documents(self, documents: list[dict], index: str | None = None) -> list[RejectedDocument]:
        rejected = []
        with self._writer(index) as writer:
            for doc in documents:
                writer.delete_documents_by_term("id", doc["id"])
                try:
                    writer.add_document(to_tantivy(doc))
                except (ValueError, TypeError, KeyError) as exc:
                    rejected.append(RejectedDocument(doc.get("id", 0), str(exc)[:500]))
        return rejected

    def load(self, concrete: str, batches, progress=None) -> None:
        # One writer and one commit for the whole build: the new index is private until switched.
        index = self._index_at(concrete)
        writer = index.writer(LOAD_WRITER_HEAP, 1)
        try:
            for batch in batches:
                documents = [to_tantivy(doc) for doc in batch]  # a bad document is its own error
                with self._write_errors_unavailable(concrete):
                    for document in documents:
                        writer.add_document(document)
                if progress:
                    progress(len(batch))
            with self._write_errors_unavailable(concrete):
                writer.commit()
        except BaseException:
            _release(writer)
            raise
        _release(writer, committed=True)

    @contextmanager
    def _write_errors_unavailable(self, name: str | None):
        # tantivy reports IO errors (ENOSPC, a writer killed by one) as ValueError.
        try:
            yield
        except (ValueError, OSError) as exc:
            raise SearchUnavailable(f"the search index {self.root / (name or '')} could not be written: "
                                    f"{exc}") from exc

    def _index_at_current_schema(self, name: str) -> tantivy.Index:
        # An index built by an older release with another schema (a deploy changed the fields)
        # cannot be searched: unavailable, and has_index() says so, so indexing.heal rebuilds it.
        try:
            return self._index_at(name)
        except ValueError as exc:
            if "schema does not match" not in str(exc):
                raise
            raise OtherSchema(f"search index {self.root / name} was built with another schema: "
                              "run `manage.py reindex`") from exc

    def has_index(self) -> bool:
        if not super().has_index():
            return False
        try:
            self._open_index()
        except OtherSchema:
            return False  # there, but unusable by this code: a reindex replaces it
        except SearchUnavailable:
            pass  # missing files and the like: the answer stays the base class's
        return True

    def _index_at(self, name: str) -> tantivy.Index:
        index = tantivy.Index(self.schema, path=str(self.root / name), reuse=True)
        index.register_tokenizer("en_fold", stem_analyzer())
        index.register_tokenizer("surface_words", _SURFACE_WORDS)
        return index

    def delete_documents(self, ids: Iterable[int], index: str | None = None) -> None:
        ids = list(ids)
        if not ids:
            return
        with self._writer(index) as writer:
            for pid in ids:
                writer.delete_documents_by_term("id", pid)

    def count(self) -> int:
        return self._index().searcher().num_docs

    def get_document(self, product_id: int) -> dict | None:
        searcher = self._index().searcher()
        result = searcher.search(tantivy.Query.term_query(self.schema, "id", product_id), 1)
        if not result.hits:
            return None
        return orjson.loads(searcher.doc(result.hits[0][1])["display"][0])

    def iter_versions(self, id_from: int, id_to: int) -> Iterator[tuple[int, int]]:
        searcher = self._index().searcher()
        in_range = tantivy.Query.range_query(self.schema, "id", tantivy.FieldType.Integer,
                                             lower_bound=id_from, upper_bound=id_to - 1)
        # tantivy's stub lacks SearchResult.count (the extension has it: the hit count when count=True)
        total = searcher.search(in_range, 1, count=True).count  # type: ignore[attr-defined]
        if not total:
            return
        hits = searcher.search(in_range, total, count=False).hits
        addresses = [address for _, address in hits]
        ids = searcher.fast_field_values("id", addresses)
        versions = searcher.fast_field_values("version", addresses)
        yield from zip(ids, versions, strict=True)

    def max_id(self) -> int | None:
        searcher = self._index().searcher()
        hits = searcher.search(tantivy.Query.all_query(), 1, count=False, order_by_field="id").hits
        if not hits:
            return None
        top = searcher.fast_field_values("id", [hits[0][1]])[0]
        assert top is not None  # every document has an id
        return int(top)

    def create_index(self) -> str:
        name = f"{self.alias}_{time.strftime('%Y%m%d%H%M%S')}_{time.time_ns() % 10**9:09d}"
        path = self.root / name
        path.mkdir(parents=True)
        tantivy.Index(self.schema, path=str(path), reuse=False)
        return name

    def switch(self, concrete: str) -> str | None:
        previous = self.current_index()
        tmp = self.root / f"CURRENT.{os.getpid()}.tmp"
        tmp.write_text(concrete)
        os.replace(tmp, self.pointer)  # atomic: readers see the old or the new name
        return previous

    def drop_index(self, concrete: str) -> None:
        with self._lock:
            self._open.pop(concrete, None)
        shutil.rmtree(self.root / concrete, ignore_errors=True)

    def known_words(self, words: Iterable[str], fields: Iterable[str]) -> frozenset[str]:
        _, terms = self._open_index()
        searched = tuple(fields)
        return frozenset(w for w in words if terms.known(stem(w), searched))

    def corrections(self, words: Iterable[str], typos: TypoTolerance = DEFAULT_TYPOS) -> dict[str, str]:
        _, terms = self._open_index()
        found = {w: terms.correction(w, typos) for w in dict.fromkeys(words)}
        return {w: c for w, c in found.items() if c}

    def list_indices(self) -> list[str]:
        if not self.root.exists():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir())

    # --- search ------------------------------------------------------------
    def search(self, req: SearchRequest) -> EngineResult:
        index, terms = self._open_index()
        searcher = index.searcher()
        text = compiler.text_query(self.schema, req, terms) if req.text else None
        sort = compiler.sort_for(req)
        # Scores only rank by relevance; counts, sorted hits and facets need only what matches.
        main = text.matching if text else None
        filters = request_filters(req)
        query = compiler.combine(self.schema, text.scored if text and not sort else main, filters)
        if sort:
            result = searcher.search(query, req.limit, count=True, order_by_field=sort[0],
                                     offset=req.offset, order=sort[1])
            page = result.hits
        elif text and not req.autocomplete:  # by relevance: the best text matches, then the business signals
            result = searcher.search(query, rerank.candidates_needed(req.offset, req.limit), count=True)
            page = rerank.rerank(searcher, result.hits)[req.offset:req.offset + req.limit]
        else:
            result = searcher.search(query, req.limit, count=True, offset=req.offset)
            page = result.hits
        matched = matched_terms(req)
        hits = []
        for score, address in page:
            display = orjson.loads(searcher.doc(address)["display"][0])
            hits.append(make_hit(display, matched, float(score) if not sort else 0.0))
        raw_facets = self._aggregate(searcher, main, filters, req) if req.with_facets else {}
        # tantivy's stub lacks SearchResult.count (see iter_versions)
        return EngineResult(result.count, hits, raw_facets)  # type: ignore[attr-defined]

    def more_like_this(self, product_id: int, like: Mapping[str, str], limit: int) -> list[SearchHit]:
        fields = {name: [text] for name, text in like.items() if name in related.LIKE_FIELDS and text.strip()}
        if not fields:
            return []
        index, _ = self._open_index()
        searcher = index.searcher()
        # tantivy's BM25 asserts (a panic that kills the request thread) that no term is in more
        # documents than the index holds, but its document frequencies count deleted documents
        # until a merge: after edits a small index has such terms. They are in every document
        # anyway, so nothing of "alike" is lost by skipping them.
        similar = tantivy.Query.more_like_this_document_fields_query(
            self.schema, fields, min_doc_frequency=related.MIN_DOC_FREQUENCY, max_doc_frequency=searcher.num_docs,
            min_term_frequency=related.MIN_TERM_FREQUENCY, max_query_terms=related.MAX_QUERY_TERMS,
            min_word_length=related.MIN_WORD_LENGTH)
        query = compiler.combine(self.schema, similar, related.related_filters(product_id))
        nothing_matched = matched_terms(SearchRequest())
        return [make_hit(orjson.loads(searcher.doc(address)["display"][0]), nothing_matched, float(score))
                for score, address in searcher.search(query, limit).hits]

    def _count(self, searcher, main, filters) -> int:
        return searcher.search(compiler.combine(self.schema, main, filters), 1, count=True).count

    def _aggregate(self, searcher, main, filters, req: SearchRequest) -> dict:
        # Groups that end up with the same filters share one aggregation run...
        runs: dict[tuple, dict] = {}
        own_runs: set[str] = set()
        for group, aggs in aggregation_plan(req):
            remaining = filters_without(filters, group)
            runs.setdefault(tuple(remaining), {}).update(aggs)
            counts_only = all(compiler.count_filters(agg) is not None for agg in aggs.values())
            if group is not None and len(remaining) < len(filters) and not counts_only:
                own_runs.add(group)  # a run that visits its products anyway: it may host another
        # ...and the run under every filter rides in a selected group's run when it can.
        every = tuple(filters)
        host = host_for(filters, runs[every], own_runs) if every in runs and own_runs else None
        if host is not None:
            runs[tuple(filters_without(filters, host.group))].update(hosted(host, runs.pop(every)))
        raw: dict = {}
        for run_filters, aggs in runs.items():
            counted = {name: compiler.count_filters(agg) for name, agg in aggs.items()}
            rest = {name: agg for name, agg in aggs.items() if counted[name] is None}
            if rest:
                raw.update(searcher.aggregate(compiler.combine(self.schema, main, list(run_filters)), rest))
            for name, named in counted.items():
                if named is not None:
                    raw[name] = {"buckets": {key: {"doc_count": self._count(searcher, main, [*run_filters, f])}
                                             for key, f in named.items()}}
        raw.update(unhost(raw))
        for group, aggs in followup_plan(req, raw):
            raw.update(searcher.aggregate(compiler.combine(self.schema, main, filters_without(filters, group)), aggs))
        return raw

