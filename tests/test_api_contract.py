"""The API keeps its published contract: schemathesis generates requests from /api/schema
(valid ones and invalid ones) and sends them in-process to the Django WSGI application,
against the small catalog on tantivy. Every answer must be documented for its operation
(status code, content type, body schema), no server error, a schema-valid request never
refused and a schema-invalid one never accepted."""

from __future__ import annotations

import math
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import schemathesis
from django.core.signals import request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from jsonschema import Draft202012Validator
from schemathesis.specs.openapi.checks import negative_data_rejection

from search.query.request import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_RESULT_WINDOW
from search.web.openapi import openapi_document

# Bounded: a few hundred requests in all, the same ones every run.
EXAMPLES_PER_OPERATION = 100


# The served document, read through the application itself (no database needed for it).
application = get_wsgi_application()
schema = schemathesis.openapi.from_wsgi("/api/schema", application)


def _number(value: object) -> float | None:
    """A generated value as the number the API would read (they come as numbers or strings)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def within_cross_parameter_rules(query: dict | None) -> None:
    """The rules between parameters that JSON Schema cannot state (their descriptions do):
    price_min at most price_max, page × page_size at most MAX_RESULT_WINDOW. Generated
    values that break only these are brought within them; anything else is left as it is."""
    if not query:
        return
    low, high = _number(query.get("price_min")), _number(query.get("price_max"))
    if low is not None and high is not None and low > high:
        query["price_min"], query["price_max"] = query["price_max"], query["price_min"]
    page, size = _number(query.get("page")), _number(query.get("page_size", "") or DEFAULT_PAGE_SIZE)
    if (page is not None and page >= 1 and page.is_integer() and size is not None and 1 <= size <= MAX_PAGE_SIZE
            and page * size > MAX_RESULT_WINDOW):
        query["page"] = MAX_RESULT_WINDOW // int(size)


@pytest.fixture(autouse=True)
def requests_keep_the_test_transaction():
    """The WSGI handler closes "old" connections when a request starts, which would end the
    test's transaction; Django's own test client switches that off the same way."""
    request_started.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_api_answers_as_its_schema_says(case, one_engine_catalog):
    within_cross_parameter_rules(case.query)
    # Every check but the rejection of invalid data, which is judged on what was sent (below).
    response = case.call_and_validate(excluded_checks=[negative_data_rejection])
    if case.meta is not None and case.meta.generation.mode.is_negative:
        url = response.request.url
        if not sent_query_is_valid(case.operation.path, url):
            assert 400 <= response.status_code < 500, f"schema-violating request accepted: {url}"


_JSON_NUMBER = re.compile(r"^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?$")


def _as_read(text: str, schema: dict) -> object:
    """A query value as the API reads it: a number where the schema takes one, else the text."""
    branches = schema.get("anyOf", [schema])
    if _JSON_NUMBER.match(text) and any(b.get("type") in ("integer", "number") for b in branches):
        number = float(text)
        return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number
    return text


def sent_query_is_valid(path: str, url: str) -> bool:
    """Whether the query string that reached the server is valid for the operation's parameters.

    Schemathesis' negative cases are invalid as generated values, but some are not on the wire:
    an integer where an array of strings is expected is sent as one string (``vendor=-5``), which
    is a valid one-value array. Such a case is judged like a valid one (by the other checks)."""
    sent = parse_qs(urlsplit(url).query, keep_blank_values=True)
    for param in openapi_document()["paths"][path]["get"]["parameters"]:
        texts = sent.get(param["name"])
        if texts is None:
            continue
        schema = param["schema"]
        if schema.get("type") == "array":
            value: object = [_as_read(text, schema["items"]) for text in texts]
        else:
            value = _as_read(texts[-1], schema)  # the API reads the last of repeated values (QueryDict.get)
        if not Draft202012Validator(schema).is_valid(value):
            return False
    return True


# --- The findings of the first run, one by one ------------------------------------------------


def test_every_documented_parameter_can_be_sent_and_every_operation_documents_403_and_414():
    document = openapi_document()
    for path, operations in document["paths"].items():
        for operation in operations.values():
            assert {"403", "414"} <= set(operation["responses"]), path
            for param in operation["parameters"]:
                assert re.fullmatch(r"[a-z_]+", param["name"]), param["name"]  # no "attr_{code}"
    assert "attr_<code>=<value>" in document["paths"]["/api/search"]["get"]["description"]


@pytest.mark.django_db
@pytest.mark.parametrize(("params", "message"), [
    ({"page_size": "0"}, "Page size must be between 1 and 100."),
    ({"page": "0"}, "Page numbers start at 1."),
    ({"page": "²"}, "The page must be a whole number."),  # str.isdigit() holds, int() refused: was a 500
    ({"page_size": "3.5"}, "The page size must be a whole number."),
])
def test_out_of_bounds_paging_is_a_400_with_a_message(client, tantivy_backend, params, message):
    response = client.get("/api/search", params)
    assert response.status_code == 400 and response.json() == {"error": message}


@pytest.mark.django_db
def test_paging_as_json_schema_integers_and_blank_values_are_read(client, tantivy_backend):
    assert client.get("/api/search", {"page_size": "3.0"}).json()["query"]["page_size"] == 3
    assert client.get("/api/search", {"page_size": "", "page": ""}).json()["query"]["page_size"] == 24


@pytest.mark.django_db
def test_autocomplete_enforces_its_documented_max_length(client, tantivy_backend):
    assert client.get("/api/autocomplete", {"q": "x" * 100}).status_code == 200
    response = client.get("/api/autocomplete", {"q": "x" * 101})
    assert response.status_code == 400
    assert response.json() == {"error": "The text typed is limited to 100 characters."}


@pytest.mark.django_db
def test_a_whitespace_only_value_is_blank_in_the_schema_as_in_the_api(client, tantivy_backend):
    """Found by the contract run: ``price_max=%0D`` is read as left out (values are stripped), which
    the schema allowed only for the empty string."""
    url = "http://localhost/api/search?brand=false&price_max=%0D&page=%20"
    assert sent_query_is_valid("/api/search", url)
    response = client.get("/api/search", {"price_max": "\r", "page": " "})
    assert response.status_code == 200 and response.json()["query"]["page"] == 1
