"""The OpenAPI 3.1 description of the JSON search API, served at /api/schema.

Written by hand next to search/serializers.py, which produces these shapes; the
tests validate real responses against it, so the two cannot drift apart."""

from __future__ import annotations

from search.facets import FACETS
from search.facets.base import query_parameter
from search.query.request import MAX_PAGE_SIZE, MAX_RESULT_WINDOW, MAX_TEXT_LENGTH, SORTS

_money = {"type": "string", "pattern": r"^\d+\.\d{2}$", "examples": ["19.99"]}
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


_param = query_parameter
_facet_names = ", ".join(facet.result_names for facet in FACETS)


SEARCH_PARAMETERS = [
    _param("q", f"The text searched (at most {MAX_TEXT_LENGTH} characters).",
           {"type": "string", "maxLength": MAX_TEXT_LENGTH}),
    *(param for facet in FACETS for param in facet.openapi_parameters()),
    _param("sort", "The order; relevance without text is best-selling.", {"type": "string", "enum": list(SORTS)}),
    _param("page", f"1-based; page × page_size at most {MAX_RESULT_WINDOW}.", {"type": "integer", "minimum": 1}),
    _param("page_size", "Results per page.", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE}),
]

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
        "required": ["total", "page", "pages", "hits", "facets", "did_you_mean"],
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
            "relaxed": {"type": "boolean", "description": "No product matched every word: any word may match."},
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
                           "suggestions as you type. Rate-limited per client (429 with Retry-After).",
        },
        "paths": {
            "/api/search": {"get": {
                "operationId": "searchProducts",
                "summary": "Search and filter products",
                "parameters": SEARCH_PARAMETERS,
                "responses": {
                    "200": {"description": "A page of results with facet counts.",
                            "content": {"application/json": {
                                "schema": {"$ref": "#/components/schemas/SearchResponse"}}}},
                    "400": _error, "429": _rate_limited, "503": _unavailable,
                },
            }},
            "/api/autocomplete": {"get": {
                "operationId": "autocomplete",
                "summary": "Suggestions for what has been typed so far (from the second character)",
                "parameters": [_param("q", "The text typed so far.", {"type": "string", "maxLength": 100})],
                "responses": {
                    "200": {"description": "Products, categories, brands and popular queries.",
                            "content": {"application/json": {
                                "schema": {"$ref": "#/components/schemas/AutocompleteResponse"}}}},
                    "429": _rate_limited, "503": _unavailable,
                },
            }},
        },
        "components": {"schemas": SCHEMAS},
    }
