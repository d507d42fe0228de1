"""The OpenAPI 3.1 description of the JSON search API, served at /api/schema.

Written by hand next to search/serializers.py, which produces these shapes; the
tests validate real responses against it, so the two cannot drift apart."""

from __future__ import annotations

from search.facets import FACETS
from search.facets.base import query_parameter
from search.facets.kinds import AttributeFacet
from search.query.request import MAX_PAGE_SIZE, MAX_RESULT_WINDOW, MAX_TEXT_LENGTH, SORTS

# The currency's minor digits: two for USD or EUR, none for JPY.
_money = {"type": "string", "pattern": r"^\d+(\.\d+)?$", "examples": ["19.99"]}
_nullable_money = {"oneOf": [_money, {"type": "null"}]}
_error = {
    "description": "Invalid parameters: the message says what to fix.",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
_unavailable = {
    "description": "The search engine is unreachable.",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
_rate_limited = {"description": "Too many requests from this client; see Retry-After."}
# Answered in front of the application (nginx, gunicorn), for any operation.
_forbidden = {"description": "Refused before reaching the API: a request the proxy or the server does not "
                             "accept (e.g. a malformed or forbidden request line or header)."}
_uri_too_long = {"description": "The URL is longer than the proxy or the server accepts; "
                                "send fewer or shorter parameters."}
_edge_responses = {"403": _forbidden, "414": _uri_too_long}

AUTOCOMPLETE_MAX_LENGTH = 100


_param = query_parameter
_facet_names = ", ".join(facet.result_names for facet in FACETS)


def _blank_allowed(param: dict) -> dict:
    """The parameter with an empty (or whitespace-only) value allowed, which the API reads as the parameter left
    out (as an HTML form sends an empty field): ``?sort=&page=`` is the default order and page."""
    schema = param["schema"]
    if schema.get("type") == "object":
        return param  # its properties are the parameters; their schemas say what they take
    if schema.get("type") == "array":
        return {**param, "schema": {**schema, "items": _or_blank(schema["items"])}}
    return {**param, "schema": _or_blank(schema)}


# ops.input_guard answers 400 to a NUL character anywhere in a request, before any view.
_NO_NUL = r"^[^\x00]*$"


def _without_nul(schema: dict) -> dict:
    """The schema with NUL refused in every string it allows that no pattern restricts yet."""
    schema = dict(schema)
    if schema.get("type") == "string" and "pattern" not in schema and "enum" not in schema:
        schema["pattern"] = _NO_NUL
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            schema[key] = _without_nul(schema[key])
    if "anyOf" in schema:
        schema["anyOf"] = [_without_nul(branch) for branch in schema["anyOf"]]
    return schema


def _served(param: dict) -> dict:
    return {**param, "schema": _without_nul(param["schema"])}


def _or_blank(schema: dict) -> dict:
    # A string stays typed as one at the top (a query value is a string on the wire). Values are
    # read stripped (search.facets.state.first), so only whitespace is as blank as nothing.
    blank: dict = {"anyOf": [schema, {"type": "string", "pattern": r"^\s*$"}]}
    return {"type": "string", **blank} if schema.get("type") == "string" else blank


SEARCH_PARAMETERS = [_served(param) for param in [
    _param("q", f"The text searched (at most {MAX_TEXT_LENGTH} characters).",
           {"type": "string", "maxLength": MAX_TEXT_LENGTH}),
    *(_blank_allowed(param) for param in [
        *(param for facet in FACETS for param in facet.openapi_parameters()),
        _param("sort", "The order; relevance without text is best-selling.",
               {"type": "string", "enum": list(SORTS)}),
        _param("exact", "1: search the text as typed, never a spelling correction of it (the link of a "
                        "corrected_query notice).", {"type": "string", "enum": ["0", "1"]}),
        _param("page", f"1-based; page × page_size at most {MAX_RESULT_WINDOW}.", {"type": "integer", "minimum": 1}),
        _param("page_size", "Results per page.", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE}),
    ]),
]]

SCHEMAS = {
    "Error": {
        "type": "object", "required": ["error"],
        "properties": {"error": {"type": "string"}},
    },
    "Hit": {
        "type": "object",
        "required": ["id", "name", "url", "price", "currency", "rating", "in_stock", "image", "highlight"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string", "description": "Raw text: escape it before showing it as HTML."},
            "url": {"type": "string"},
            "price": _money,
            "price_display": {"type": "string", "examples": ["$19.99", "1.234,50 €"],
                              "description": "The price as the shop prints it (locale, currency; with tax where "
                                             "the shop shows prices with tax)."},
            "currency": {"type": "string", "minLength": 3, "maxLength": 3},
            "rating": {"type": "number", "minimum": 0, "maximum": 5},
            "in_stock": {"type": "boolean"},
            "image": {"type": "string"},
            "highlight": {"type": "string", "description": "The escaped name with matches in <mark>."},
            "slug": {"type": "string"},
            "sku": {"type": "string"},
            "brand": {"type": "string"},
            "compare_at_price": _nullable_money,
            "rating_count": {"type": "integer", "minimum": 0},
            "pinned": {"type": "boolean"},
            "click_url": {"type": ["string", "null"], "description": "Follow (or POST to) it to record the click."},
        },
    },
    "FacetValue": {
        "type": "object", "required": ["value", "label", "count", "selected"],
        "properties": {
            "value": {"type": "string"}, "label": {"type": "string"},
            "count": {"type": "integer", "minimum": 0}, "selected": {"type": "boolean"},
        },
    },
    "SearchResponse": {
        "type": "object",
        "required": ["total", "page", "pages", "hits", "facets", "did_you_mean", "corrected_query", "ignored_words",
                     "not_carried"],
        "properties": {
            "total": {"type": "integer", "minimum": 0},
            "page": {"type": "integer", "minimum": 1},
            "pages": {"type": "integer", "minimum": 1},
            "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
            "facets": {
                "type": "object",
                "description": f"Facet name ({_facet_names}) → values. "
                               "Counts are disjunctive: a facet's own selection does not shrink its counts.",
                "additionalProperties": {"type": "array", "items": {"$ref": "#/components/schemas/FacetValue"}},
            },
            "facet_info": {"type": "object", "additionalProperties": {"type": "object"}},
            "did_you_mean": {"type": ["string", "null"]},
            "relaxed": {"type": "boolean", "description": "No product matched every word: the words in "
                                                          "ignored_words were no longer required."},
            "corrected_query": {"type": ["string", "null"], "description": "The text the results are for when "
                                "they came only through a spelling correction (\"Showing results for …\"); "
                                "search again with exact=1 for the text as typed."},
            "ignored_words": {"type": "array", "items": {"type": "string"},
                              "description": "Words no product matched together with the others: no longer "
                                             "required, products holding them still rank first."},
            "not_carried": {"type": "array", "items": {"type": "string"},
                            "description": "Words the shop knows nothing of that name what was asked for (no "
                                           "other word names a product type): zero results, not random matches."},
            "all_words_total": {"type": ["integer", "null"], "minimum": 0,
                                "description": "How many results (the first ones) match every word, when other "
                                               "products of the type asked for follow them; null otherwise."},
            "query": {"type": "object", "description": "The request as validated."},
            "redirect": {"type": "string", "description": "A merchandiser's landing page for this text."},
        },
    },
    "Suggestion": {
        "type": "object", "required": ["value", "label", "url"],
        "properties": {"value": {"type": "string"}, "label": {"type": "string"},
                       "count": {"type": "integer"}, "url": {"type": "string"}},
    },
    "AutocompleteResponse": {
        "type": "object", "required": ["products", "categories", "brands", "queries"],
        "properties": {
            "q": {"type": "string"},
            "products": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
            "categories": {"type": "array", "items": {"$ref": "#/components/schemas/Suggestion"}},
            "brands": {"type": "array", "items": {"$ref": "#/components/schemas/Suggestion"}},
            "queries": {"type": "array", "items": {
                "type": "object", "required": ["q", "url"],
                "properties": {"q": {"type": "string"}, "url": {"type": "string"}}}},
        },
    },
}


def openapi_document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Catalog search API",
            "version": "1.0.0",
            "description": "Full-text product search with typo tolerance, disjunctive facets and sorting; "
                           "suggestions as you type. Rate-limited per client (429 with Retry-After). "
                           "A parameter with an empty value counts as left out; "
                           "a NUL character in any parameter is a 400.",
        },
        "paths": {
            "/api/search": {"get": {
                "operationId": "searchProducts",
                "summary": "Search and filter products",
                "description": " ".join(f.openapi_description() for f in FACETS if isinstance(f, AttributeFacet)),
                "parameters": SEARCH_PARAMETERS,
                "responses": {
                    "200": {"description": "A page of results with facet counts.",
                            "content": {"application/json": {
                                "schema": {"$ref": "#/components/schemas/SearchResponse"}}}},
                    "400": _error, "429": _rate_limited, "503": _unavailable, **_edge_responses,
                },
            }},
            "/api/autocomplete": {"get": {
                "operationId": "autocomplete",
                "summary": "Suggestions for what has been typed so far (from the second character)",
                "parameters": [_served(_param("q", f"The text typed so far (at most {AUTOCOMPLETE_MAX_LENGTH} "
                                                   "characters).",
                                              {"type": "string", "maxLength": AUTOCOMPLETE_MAX_LENGTH}))],
                "responses": {
                    "200": {"description": "Products, categories, brands and popular queries.",
                            "content": {"application/json": {
                                "schema": {"$ref": "#/components/schemas/AutocompleteResponse"}}}},
                    "400": _error, "429": _rate_limited, "503": _unavailable, **_edge_responses,
                },
            }},
        },
        "components": {"schemas": SCHEMAS},
    }
