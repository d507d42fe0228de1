"""The production engine: Elasticsearch, an alias over concrete indices.

Nothing is ever auto-created: the drain writes through the alias with ``require_alias``
(a missing alias is SearchUnavailable, and the outbox keeps its rows), a reindex writes
into the concrete index it created and checks afterwards that its mapping is still ours.
Documents carry their version stamp as an external version, so an older write never
overwrites a newer document.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager

from elasticsearch import ApiError, TransportError, helpers

from search.facets import followup_plan, request_filters
from search.query.ranking import DEFAULT_TYPOS, TypoTolerance
from search.query.request import SearchRequest
from search.query.result import SearchHit, make_hit, matched_terms
from search.query.spelling import CANDIDATE_FIELD, correction_window, pick_correction, whole_word_fields

from ..base import EngineResult, RejectedDocument, SearchBackend, SearchUnavailable
from . import compiler
from .client import build_client
from .mapping import index_body, mapping_differences

# Bulk rejections (429: the node's write queue is full) are retried this many times, after
# BULK_BACKOFF_SECONDS, then twice that... (the client's streaming_bulk); then the drain keeps its rows.
BULK_RETRIES = 4
BULK_BACKOFF_SECONDS = 0.5
BULK_MAX_BACKOFF_SECONDS = 8.0
# "external_gte": a document is written when its version (the product row's stamp) is at least the
# stored one. Not "external": a brand, category or vendor edit rebuilds a product's document with
# the same stamp, and must still reach the index. An older stamp is refused with a 409.
VERSION_TYPE = "external_gte"
NO_INDEX = "index_not_found_exception"


def _no_index(alias: str) -> SearchUnavailable:
    return SearchUnavailable(f"no index behind the alias {alias!r} (Elasticsearch restarted empty?): "
                             "a reindex rebuilds it")


@contextmanager
def _engine_errors(alias: str = ""):
    """Transport failures (engine down, timeouts), server errors and a missing index become
    SearchUnavailable: the storefront answers 503 and the drain keeps its rows."""
    try:
        yield
    except TransportError as exc:
        raise SearchUnavailable(f"Elasticsearch unreachable: {exc}") from exc
    except ApiError as exc:
        if exc.meta.status >= 500 or exc.meta.status == 429:
            raise SearchUnavailable(f"Elasticsearch error {exc.meta.status}: {exc}") from exc
        if exc.meta.status == 404 and exc.error == NO_INDEX:
            raise _no_index(alias) from exc
        raise


class ElasticsearchBackend(SearchBackend):
    name = "elasticsearch"

    def __init__(self, config: dict) -> None:
        super().__init__(config)
        options = self.options
        self.client = build_client(str(options["URL"]), bool(options.get("PLAIN_JSON")),
                                   float(options.get("TIMEOUT", 10)), ca_certs=str(options.get("CA_CERTS") or ""),
                                   api_key=str(options.get("API_KEY") or ""))

    @property
    def location(self) -> str:
        return str(self.options["URL"])

    def environment(self) -> dict[str, str]:
        options = self.options
        return {"SEARCH_BACKEND": "search.backends.elasticsearch", "SEARCH_INDEX_NAME": self.alias,
                "ELASTICSEARCH_URL": str(options["URL"]),
                "ELASTICSEARCH_PLAIN_JSON": "1" if options.get("PLAIN_JSON") else "0",
                "ELASTICSEARCH_TIMEOUT": str(options.get("TIMEOUT", 10)),
                "ELASTICSEARCH_REPLICAS": str(options.get("REPLICAS", 0)),
                "ELASTICSEARCH_CA_CERTS": str(options.get("CA_CERTS") or ""),
                "ELASTICSEARCH_API_KEY": str(options.get("API_KEY") or "")}

    def ping(self) -> None:
        if not self.has_index():
            raise _no_index(self.alias)

    def has_index(self) -> bool:
        with _engine_errors(self.alias):
            self.client.info()
            return bool(self.client.indices.exists_alias(name=self.alias))

    def ensure_index(self) -> None:
        with _engine_errors(self.alias):
            if not self.client.indices.exists_alias(name=self.alias):
                self.switch(self.create_index())

    def _bulk(self, actions: list[dict], index: str | None) -> list[dict]:
        """Write ``actions`` to ``index`` (a reindex's new concrete index), or through the alias
        (``require_alias``: never into an index auto-created under the alias's name); return the
        failed items. 429s are retried with back-off; what still fails transiently, or a missing
        alias, is SearchUnavailable."""
        for action in actions:
            action["_index"] = index or self.alias
        failed = []
        with _engine_errors(self.alias):
            for ok, item in helpers.streaming_bulk(
                self.client, actions, raise_on_error=False, raise_on_exception=True, max_retries=BULK_RETRIES,
                initial_backoff=BULK_BACKOFF_SECONDS, max_backoff=BULK_MAX_BACKOFF_SECONDS,
                require_alias=None if index else True,  # passed on to each bulk request; None: left out
            ):
                if not ok:
                    failed.append(next(iter(item.values())))
        for item in failed:
            status, error = int(item.get("status", 0)), item.get("error")
            kind = error.get("type", "") if isinstance(error, dict) else ""
            if kind == NO_INDEX:
                raise _no_index(self.alias)
            if status == 429 or status >= 500:
                raise SearchUnavailable(f"Elasticsearch refused the bulk write ({status}): {str(error)[:300]}")
        return failed

    def index_documents(self, documents: list[dict], index: str | None = None) -> list[RejectedDocument]:
        actions = [
            {"_op_type": "index", "_id": str(doc["id"]), "version": int(doc["version"]),
             "version_type": VERSION_TYPE, "_source": _jsonable(doc)}
            for doc in documents
        ]
        rejected = []
        for item in self._bulk(actions, index):
            if int(item.get("status", 0)) == 409:
                continue  # a newer version of the document is already there: nothing to write
            rejected.append(RejectedDocument(int(item.get("_id", 0)), str(item.get("error"))[:500]))
        return rejected

    def delete_documents(self, ids: Iterable[int], index: str | None = None) -> None:
        wanted = [str(pid) for pid in ids]
        if not wanted:
            return
        # Delete each document at the version it holds (external_gte): the tombstone keeps that
        # version, so a write of the same or a newer stamp (a repair, a product shown again) is
        # accepted, and an older one is not. A plain delete would leave version+1 behind.
        with _engine_errors(self.alias):
            found = self.client.mget(index=index or self.alias, ids=wanted, source=False)["docs"]
        errors = [doc["error"] for doc in found if doc.get("error")]  # per document, e.g. no index
        if errors:
            if any(isinstance(e, dict) and e.get("type") == NO_INDEX for e in errors):
                raise _no_index(self.alias)
            raise SearchUnavailable(f"Elasticsearch could not read the documents to delete: {str(errors[0])[:300]}")
        actions = [{"_op_type": "delete", "_id": doc["_id"], "version": int(doc["_version"]),
                    "version_type": VERSION_TYPE} for doc in found if doc.get("found")]
        if not actions:
            return
        # A document already gone (404 "not_found", no error) is what we wanted.
        failed = [item for item in self._bulk(actions, index) if item.get("error")]
        if failed:
            raise SearchUnavailable(f"Elasticsearch did not delete {len(failed)} documents: "
                                    f"{str(failed[0].get('error'))[:300]}")

    def count(self) -> int:
        with _engine_errors(self.alias):
            return int(self.client.count(index=self.alias)["count"])

    def get_document(self, product_id: int) -> dict | None:
        with _engine_errors(self.alias):
            result = self.client.options(ignore_status=404).get(index=self.alias, id=str(product_id))
        if result.get("status") == 404 and "error" in result:  # no index, not a missing document
            raise _no_index(self.alias)
        return result.get("_source") if result.get("found") else None

    def iter_versions(self, id_from: int, id_to: int) -> Iterator[tuple[int, int]]:
        after = None
        while True:
            body: dict = {"size": 5000, "sort": [{"id": "asc"}], "_source": ["id", "version"],
                          "query": {"range": {"id": {"gte": id_from, "lt": id_to}}}}
            if after is not None:
                body["search_after"] = after
            with _engine_errors(self.alias):
                hits = self.client.search(index=self.alias, body=body)["hits"]["hits"]
            if not hits:
                return
            for hit in hits:
                yield int(hit["_source"]["id"]), int(hit["_source"]["version"])
            after = hits[-1]["sort"]

    def max_id(self) -> int | None:
        with _engine_errors(self.alias):
            hits = self.client.search(index=self.alias, body={"size": 1, "sort": [{"id": "desc"}], "_source": ["id"],
                                                              "query": {"match_all": {}}})["hits"]["hits"]
        return int(hits[0]["_source"]["id"]) if hits else None

    def create_index(self) -> str:
        name = f"{self.alias}_{time.strftime('%Y%m%d%H%M%S')}_{time.time_ns() % 10**6:06d}"
        with _engine_errors():
            self.client.indices.create(index=name, body=index_body(int(self.options.get("REPLICAS", 0))))
        return name

    def current_index(self) -> str | None:
        with _engine_errors(self.alias):
            if not self.client.indices.exists_alias(name=self.alias):
                return None
            names = list(self.client.indices.get_alias(name=self.alias))
        return names[0] if names else None

    def switch(self, concrete: str) -> str | None:
        previous = self.current_index()
        actions: list[dict] = [{"add": {"index": concrete, "alias": self.alias}}]
        if previous and previous != concrete:
            actions.insert(0, {"remove": {"index": previous, "alias": self.alias}})
        with _engine_errors(self.alias):
            if previous is None and self.client.indices.exists(index=self.alias):
                # An orphan: a concrete index that took the alias's name (auto-created by a write
                # before the alias existed). It holds nothing the database cannot rebuild: delete
                # it in the same atomic request that puts the alias in its place.
                actions.insert(0, {"remove_index": {"index": self.alias}})
            self.client.indices.update_aliases(actions=actions)  # one atomic request
        return previous

    def drop_index(self, concrete: str) -> None:
        with _engine_errors(self.alias):
            self.client.options(ignore_status=404).indices.delete(index=concrete)

    def known_words(self, words: Iterable[str], fields: Iterable[str]) -> frozenset[str]:
        return self.known_words_in(words, {"known": fields})["known"]

    def known_words_in(self, words: Iterable[str],
                       field_sets: Mapping[str, Iterable[str]]) -> dict[str, frozenset[str]]:
        """One request for every set: a filters aggregation counting, per set and word, the documents
        that match the word in any of the set's fields (analysed as the index analyses them)."""
        unique = list(dict.fromkeys(words))
        sets = {name: list(fields) for name, fields in field_sets.items()}
        filters = {f"{n}:{i}": {"bool": {"should": [{"match": {f: w}} for f in fields], "minimum_should_match": 1}}
                   for n, (name, fields) in enumerate(sets.items()) if fields for i, w in enumerate(unique)}
        if not filters:
            return {name: frozenset() for name in sets}
        body = {"size": 0, "track_total_hits": False, "aggs": {"known": {"filters": {"filters": filters}}}}
        with _engine_errors(self.alias):
            response = self.client.search(index=self.alias, body=body)
        buckets = response.get("aggregations", {}).get("known", {}).get("buckets", {})
        return {name: frozenset(w for i, w in enumerate(unique) if buckets.get(f"{n}:{i}", {}).get("doc_count"))
                for n, name in enumerate(sets)}

    def corrections(self, words: Iterable[str], typos: TypoTolerance = DEFAULT_TYPOS) -> dict[str, str]:
        """One request for the candidates of every word: per word, the documents holding a prefix
        term within its typo budget (a fuzzy query), and their prefix terms of the candidates'
        first letter and lengths; for a candidate within the budget, the count is its document
        frequency, as every document holding it matched. A second asks which are whole words."""
        windows = {w: window for w in dict.fromkeys(words) if (window := correction_window(w, typos))}
        fields = whole_word_fields(typos)
        if not windows or not fields:
            return {}
        aggs = {str(i): {
            "filter": {"fuzzy": {CANDIDATE_FIELD: {"value": w, "fuzziness": typos.budget(w),
                                                    "prefix_length": len(prefix), "transpositions": True,
                                                    "max_expansions": 1000}}},
            "aggs": {"terms": {"terms": {"field": CANDIDATE_FIELD, "size": 1000,
                                         "include": f"{prefix}.{{{shortest - len(prefix)},{longest - len(prefix)}}}"}}},
        } for i, (w, (prefix, shortest, longest)) in enumerate(windows.items())}
        with _engine_errors(self.alias):
            response = self.client.search(index=self.alias, body={"size": 0, "track_total_hits": False, "aggs": aggs})
        found = response.get("aggregations", {})
        candidates = {w: {b["key"]: int(b["doc_count"])
                          for b in found.get(str(i), {}).get("terms", {}).get("buckets", [])}
                      for i, w in enumerate(windows)}
        close = {c for options in candidates.values() for c in options}
        whole = self.known_words(sorted(close), fields) if close else frozenset()
        corrected = {w: pick_correction(w, {c: n for c, n in options.items() if c in whole}, typos)
                     for w, options in candidates.items()}
        return {w: c for w, c in corrected.items() if c}

    def list_indices(self) -> list[str]:
        with _engine_errors(self.alias):
            return sorted(self.client.indices.get(index=f"{self.alias}_*"))

    def refresh(self) -> None:
        with _engine_errors(self.alias):
            self.client.indices.refresh(index=self.alias)

    def load(self, concrete: str, batches, progress=None) -> None:
        super().load(concrete, batches, progress)
        with _engine_errors(self.alias):
            self.client.indices.refresh(index=concrete)
        # Writes to a concrete index cannot require an alias: had the engine lost the new index
        # mid-build (restarted empty), they would have auto-created it with a dynamic mapping.
        differences = self._mapping_differences(concrete)
        if differences:
            raise SearchUnavailable(f"the new index {concrete} lost its mapping during the build "
                                    f"(Elasticsearch restarted?): {differences[0]}")

    def definition_drift(self) -> list[str]:
        return self._mapping_differences(self.alias)

    def _mapping_differences(self, index: str) -> list[str]:
        with _engine_errors(self.alias):
            live = self.client.indices.get_mapping(index=index)
        expected = index_body(int(self.options.get("REPLICAS", 0)))["mappings"]
        return [f"{name}: {difference}" for name, body in sorted(live.items())
                for difference in mapping_differences(expected, body.get("mappings", {}))]

    def more_like_this(self, product_id: int, like: Mapping[str, str], limit: int) -> list[SearchHit]:
        body = compiler.more_like_this_body(product_id, like, limit)
        if body is None:
            return []
        with _engine_errors(self.alias):
            response = self.client.search(index=self.alias, body=body)
        nothing_matched = matched_terms(SearchRequest())
        return [make_hit(h["_source"], nothing_matched, float(h.get("_score") or 0))
                for h in response["hits"]["hits"]]

    def search(self, req: SearchRequest) -> EngineResult:
        filters = request_filters(req)
        # Same shopper, same shard copies: pages do not reshuffle between replicas.
        preference = req.preference or None
        with _engine_errors(self.alias):
            try:
                response = self.client.search(index=self.alias, body=compiler.search_body(req, filters),
                                              preference=preference)
            except ApiError as exc:
                # An orphan index under the alias's name has none of our fields: its 400 is no index.
                if exc.meta.status == 400 and not self.client.indices.exists_alias(name=self.alias):
                    raise _no_index(self.alias) from exc
                raise
            raw = compiler.unwrap_aggregations(response.get("aggregations", {}))
            followups = followup_plan(req, raw) if req.with_facets else []
            if followups:
                more = self.client.search(index=self.alias, body=compiler.aggregations_body(req, filters, followups),
                                          preference=preference)
                raw.update(compiler.unwrap_aggregations(more.get("aggregations", {})))
        terms = matched_terms(req)
        sorted_by_field = req.autocomplete or req.sort != "relevance" or not req.text
        hits = [make_hit(h["_source"], terms, 0.0 if sorted_by_field else float(h.get("_score") or 0))
                for h in response["hits"]["hits"]]
        total = response["hits"]["total"]
        return EngineResult(total["value"] if isinstance(total, dict) else int(total), hits, raw)


def _jsonable(doc: dict) -> dict:
    out = dict(doc)
    out["created_at"] = doc["created_at"].isoformat() if hasattr(doc["created_at"], "isoformat") else doc["created_at"]
    return out

