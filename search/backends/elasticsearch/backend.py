"""The production engine: Elasticsearch, an alias over concrete indices."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from elasticsearch import ApiError, TransportError, helpers

from search.facets import followup_plan, request_filters
from search.query.request import SearchRequest
from search.query.result import make_hit
from search.query.text import query_words

from ..base import EngineResult, RejectedDocument, SearchBackend, SearchUnavailable
from . import compiler
from .client import build_client
from .mapping import index_body


@contextmanager
def _engine_errors():
    """Transport failures (engine down, timeouts) become SearchUnavailable."""
    try:
        yield
    except TransportError as exc:
        raise SearchUnavailable(f"Elasticsearch unreachable: {exc}") from exc
    except ApiError as exc:
        if exc.meta.status >= 500:
            raise SearchUnavailable(f"Elasticsearch error {exc.meta.status}: {exc}") from exc
        raise


class ElasticsearchBackend(SearchBackend):
    name = "elasticsearch"

    def __init__(self, config: dict) -> None:
        super().__init__(config)
        options = self.options
        self.client = build_client(options["URL"], bool(options.get("PLAIN_JSON")), float(options.get("TIMEOUT", 10)))

    @property
    def location(self) -> str:
        return str(self.options["URL"])

    def environment(self) -> dict[str, str]:
        options = self.options
        return {"SEARCH_BACKEND": "search.backends.elasticsearch", "SEARCH_INDEX_NAME": self.alias,
                "ELASTICSEARCH_URL": str(options["URL"]),
                "ELASTICSEARCH_PLAIN_JSON": "1" if options.get("PLAIN_JSON") else "0",
                "ELASTICSEARCH_TIMEOUT": str(options.get("TIMEOUT", 10)),
                "ELASTICSEARCH_REPLICAS": str(options.get("REPLICAS", 0))}

    def ping(self) -> None:
        with _engine_errors():
            self.client.info()
            if not self.client.indices.exists_alias(name=self.alias):
                raise SearchUnavailable(f"no index behind the alias {self.alias!r}: run `manage.py reindex`")

    def ensure_index(self) -> None:
        with _engine_errors():
            if not self.client.indices.exists_alias(name=self.alias):
                self.switch(self.create_index())

    def _target(self, index: str | None) -> str:
        return index or self.alias

    def index_documents(self, documents: list[dict], index: str | None = None) -> list[RejectedDocument]:
        actions = [
            {"_op_type": "index", "_index": self._target(index), "_id": str(doc["id"]), "_source": _jsonable(doc)}
            for doc in documents
        ]
        with _engine_errors():
            _, errors = helpers.bulk(self.client, actions, raise_on_error=False, raise_on_exception=True)
        rejected = []
        # errors is a list here; bulk() returns a count only with stats_only=True, but its
        # annotation has no overload for that (int | list whatever stats_only is).
        for error in errors:  # type: ignore[union-attr]
            item = next(iter(error.values()))
            rejected.append(RejectedDocument(int(item.get("_id", 0)), str(item.get("error"))[:500]))
        return rejected

    def delete_documents(self, ids: Iterable[int], index: str | None = None) -> None:
        actions = [{"_op_type": "delete", "_index": self._target(index), "_id": str(pid)} for pid in ids]
        if not actions:
            return
        with _engine_errors():
            # A document already gone (404) is what we wanted.
            helpers.bulk(self.client, actions, raise_on_error=False, raise_on_exception=True)

    def count(self) -> int:
        with _engine_errors():
            return int(self.client.count(index=self.alias)["count"])

    def get_document(self, product_id: int) -> dict | None:
        with _engine_errors():
            result = self.client.options(ignore_status=404).get(index=self.alias, id=str(product_id))
        return result.get("_source") if result.get("found") else None

    def iter_versions(self, id_from: int, id_to: int) -> Iterator[tuple[int, int]]:
        after = None
        while True:
            body: dict = {"size": 5000, "sort": [{"id": "asc"}], "_source": ["id", "version"],
                          "query": {"range": {"id": {"gte": id_from, "lt": id_to}}}}
            if after is not None:
                body["search_after"] = after
            with _engine_errors():
                hits = self.client.search(index=self.alias, body=body)["hits"]["hits"]
            if not hits:
                return
            for hit in hits:
                yield int(hit["_source"]["id"]), int(hit["_source"]["version"])
            after = hits[-1]["sort"]

    def max_id(self) -> int | None:
        with _engine_errors():
            hits = self.client.search(index=self.alias, body={"size": 1, "sort": [{"id": "desc"}], "_source": ["id"],
                                                              "query": {"match_all": {}}})["hits"]["hits"]
        return int(hits[0]["_source"]["id"]) if hits else None

    def create_index(self) -> str:
        name = f"{self.alias}_{time.strftime('%Y%m%d%H%M%S')}_{time.time_ns() % 10**6:06d}"
        with _engine_errors():
            self.client.indices.create(index=name, body=index_body(int(self.options.get("REPLICAS", 0))))
        return name

    def current_index(self) -> str | None:
        with _engine_errors():
            if not self.client.indices.exists_alias(name=self.alias):
                return None
            names = list(self.client.indices.get_alias(name=self.alias))
        return names[0] if names else None

    def switch(self, concrete: str) -> str | None:
        previous = self.current_index()
        actions: list[dict] = [{"add": {"index": concrete, "alias": self.alias}}]
        if previous and previous != concrete:
            actions.insert(0, {"remove": {"index": previous, "alias": self.alias}})
        with _engine_errors():
            self.client.indices.update_aliases(actions=actions)  # one atomic request
        return previous

    def drop_index(self, concrete: str) -> None:
        with _engine_errors():
            self.client.options(ignore_status=404).indices.delete(index=concrete)

    def list_indices(self) -> list[str]:
        with _engine_errors():
            return sorted(self.client.indices.get(index=f"{self.alias}_*"))

    def refresh(self) -> None:
        with _engine_errors():
            self.client.indices.refresh(index=self.alias)

    def load(self, concrete: str, batches, progress=None) -> None:
        super().load(concrete, batches, progress)
        self.client.indices.refresh(index=concrete)

    def search(self, req: SearchRequest) -> EngineResult:
        filters = request_filters(req)
        with _engine_errors():
            response = self.client.search(index=self.alias, body=compiler.search_body(req, filters))
            raw = compiler.unwrap_aggregations(response.get("aggregations", {}))
            followups = followup_plan(req, raw) if req.with_facets else []
            if followups:
                more = self.client.search(index=self.alias, body=compiler.aggregations_body(req, filters, followups))
                raw.update(compiler.unwrap_aggregations(more.get("aggregations", {})))
        words = query_words(req.text)
        sorted_by_field = req.autocomplete or req.sort != "relevance" or not req.text
        hits = [make_hit(h["_source"], words, 0.0 if sorted_by_field else float(h.get("_score") or 0))
                for h in response["hits"]["hits"]]
        total = response["hits"]["total"]
        return EngineResult(total["value"] if isinstance(total, dict) else int(total), hits, raw)


def _jsonable(doc: dict) -> dict:
    out = dict(doc)
    out["created_at"] = doc["created_at"].isoformat() if hasattr(doc["created_at"], "isoformat") else doc["created_at"]
    return out

