"""JSON Schemas for the schema.org types the pages claim in their JSON-LD, written from the
types' definitions on schema.org (each property allowed is one schema.org defines on the type
or its parents, with its expected type), plus the properties Google's product rich results
require (name; offers with price and priceCurrency; a rating value and a count).

Used by tests/test_storefront_seo.py through ``validate_json_ld``: every object must be of a
type listed here and satisfy its schema; an unknown property or a property of the wrong
type fails, as it would in a structured-data validator."""

from __future__ import annotations

import jsonschema

URL = {"type": "string", "pattern": r"^https?://[^\s<>\"]+$"}
TEXT = {"type": "string", "minLength": 1}
NUMBER_TEXT = {"type": "string", "pattern": r"^\d+(\.\d+)?$"}  # schema.org Number, written as text
ITEM_AVAILABILITY = [f"https://schema.org/{v}" for v in (
    "BackOrder", "Discontinued", "InStock", "InStoreOnly", "LimitedAvailability", "OnlineOnly", "OutOfStock",
    "PreOrder", "PreSale", "SoldOut")]
ITEM_CONDITION = [f"https://schema.org/{v}" for v in (
    "NewCondition", "UsedCondition", "RefurbishedCondition", "DamagedCondition")]


def typed(name: str, properties: dict, required: list[str], top: bool = False) -> dict:
    props = {"@type": {"const": name}, **properties}
    if top:
        props["@context"] = {"const": "https://schema.org"}
    return {"type": "object", "properties": props, "required": ["@type", *required] + (["@context"] if top else []),
            "additionalProperties": False}


BRAND = typed("Brand", {"name": TEXT, "url": URL, "logo": URL}, ["name"])
OFFER = typed("Offer", {
    "url": URL, "price": NUMBER_TEXT, "priceCurrency": {"type": "string", "pattern": "^[A-Z]{3}$"},
    "availability": {"enum": ITEM_AVAILABILITY}, "itemCondition": {"enum": ITEM_CONDITION},
    "priceValidUntil": {"type": "string"}, "sku": TEXT,
}, ["price", "priceCurrency"])
AGGREGATE_RATING = typed("AggregateRating", {
    "ratingValue": NUMBER_TEXT, "reviewCount": {"type": "integer", "minimum": 1},
    "ratingCount": {"type": "integer", "minimum": 1},
    "bestRating": {"type": "number"}, "worstRating": {"type": "number"},
}, ["ratingValue"])
PRODUCT = typed("Product", {
    "name": TEXT, "sku": TEXT, "url": URL, "description": {"type": "string"}, "category": TEXT,
    "image": {"type": "array", "items": URL, "minItems": 1}, "brand": BRAND, "offers": OFFER,
    "aggregateRating": AGGREGATE_RATING, "gtin": TEXT, "mpn": TEXT, "color": TEXT,
}, ["name", "offers"], top=True)
LIST_ITEM = typed("ListItem", {"position": {"type": "integer", "minimum": 1}, "name": TEXT, "item": URL},
                  ["position", "name"])
BREADCRUMB_LIST = typed("BreadcrumbList", {"itemListElement": {"type": "array", "items": LIST_ITEM, "minItems": 1}},
                        ["itemListElement"], top=True)

SCHEMAS = {"Product": PRODUCT, "BreadcrumbList": BREADCRUMB_LIST}


def validate_json_ld(data: dict) -> str:
    """Raise ``jsonschema.ValidationError`` unless ``data`` is a valid object of the type it claims; its type."""
    claimed = data.get("@type")
    if claimed not in SCHEMAS:
        raise jsonschema.ValidationError(f"unexpected type {claimed!r}")
    jsonschema.validate(data, SCHEMAS[claimed])
    if claimed == "BreadcrumbList":
        positions = [item["position"] for item in data["itemListElement"]]
        assert positions == list(range(1, len(positions) + 1)), positions
    return claimed
