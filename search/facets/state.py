"""A listing's state: its GET parameters (name → values, in URL order), and the pure
functions that change it. Facets, the listing's links and the reactive component all
change the state with these, so a click with JavaScript and a link followed without it
land on the same URL."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

Params = dict[str, list[str]]

MAX_PARAM_VALUES = 60


def params_from_query(query: Mapping) -> Params:
    """GET parameters (a QueryDict or a dict of lists/strings) as ordered, non-empty Params."""
    params: Params = {}
    items = query.lists() if hasattr(query, "lists") else query.items()
    for name, values in items:
        if isinstance(values, str):
            values = [values]
        cleaned = [str(v).strip() for v in values if str(v).strip()][:MAX_PARAM_VALUES]
        if cleaned:
            params[str(name)] = cleaned
    return params


def query_string(params: Params) -> str:
    return urlencode([(name, value) for name, values in params.items() for value in values])


def url_for(base_url: str, params: Params) -> str:
    query = query_string(params)
    return f"{base_url}?{query}" if query else base_url


def first(params: Mapping, name: str) -> str:
    """The parameter's last value (as Django's QueryDict.get), stripped; "" when absent."""
    values = params.get(name) or [""]
    if isinstance(values, str):
        return values.strip()
    return str(values[-1]).strip()


def values_of(params: Mapping, name: str) -> list[str]:
    """All of a parameter's non-empty values, stripped (a QueryDict or a dict of lists)."""
    values = params.getlist(name) if hasattr(params, "getlist") else params.get(name, [])
    if isinstance(values, str):
        values = [values]
    return [str(v).strip() for v in values if str(v).strip()]


def put(params: Params, name: str, values: list[str]) -> None:
    """Set in place (keeping the parameter's position in the URL), append if new, drop if empty."""
    if values:
        params[name] = values
    else:
        params.pop(name, None)


def fresh(params: Params) -> Params:
    """A copy without the page: any change of what is listed starts at page 1."""
    return {name: list(values) for name, values in params.items() if name != "page"}


def toggled_value(params: Params, name: str, value: str) -> Params:
    """A multi-value parameter with ``value`` added, or removed if it was there."""
    new = fresh(params)
    values = new.get(name, [])
    put(new, name, [v for v in values if v != value] if value in values else [*values, value])
    return new


def decimal_or_none(raw: str) -> Decimal | None:
    try:
        value = Decimal(raw)
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def with_text(params: Params, text: str) -> Params:
    new = fresh(params)
    put(new, "q", [text] if text else [])
    return new


def with_page(params: Params, page: int) -> Params:
    new = {name: list(values) for name, values in params.items()}
    put(new, "page", [str(page)] if page > 1 else [])
    return new
