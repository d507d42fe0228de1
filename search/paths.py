"""URL paths reversed once, not once per link: ``reverse()`` costs tens of microseconds and a
results page (or a JSON response) builds dozens of links to the same few routes.

``reversed_path(name)`` is ``reverse(name)`` for a route without arguments;
``path_with(name, kwarg, value)`` (``path_maker(name, kwarg)(value)`` for many values) is
``reverse(name, kwargs={kwarg: value})`` for a route with one ``slug`` or ``path``
argument ("/p/<slug>/", "/c/<path>/"): it substitutes the value into the route reversed
once with a placeholder when the value is made of characters that reverse() neither
quotes nor rejects, and calls reverse() itself for anything else (so the output, and any
NoReverseMatch, are exactly reverse()'s).

Both are memoised per URL resolver and script prefix (what reverse() itself depends on), so
a changed ROOT_URLCONF, cleared URL caches or a SCRIPT_NAME never see stale paths.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import quote_plus

from django.urls import get_resolver, get_script_prefix, get_urlconf, reverse
from django.urls.converters import PathConverter, SlugConverter

_MARK = "zq0placeholder0qz"
# Values that reverse() copies as they are: they match the converter and quote() keeps them.
_UNQUOTED = {
    SlugConverter: re.compile(r"[-a-zA-Z0-9_]+"),
    PathConverter: re.compile(r"[-a-zA-Z0-9_./~]+"),
}

# (resolver, script prefix) and the paths computed for them, replaced as a whole.
_memo: tuple = (None, {})


def _paths() -> dict:
    global _memo
    key = (get_resolver(get_urlconf()), get_script_prefix())
    memo_key, paths = _memo
    if memo_key != key:
        paths = {}
        _memo = (key, paths)
    return paths


def reversed_path(name: str) -> str:
    """``reverse(name)``, computed once."""
    paths = _paths()
    path = paths.get(name)
    if path is None:
        path = paths[name] = reverse(name)
    return path


def _template(name: str, kwarg: str) -> tuple[str, str, re.Pattern] | None:
    """(before, after, values that may go between) of the route, or None: always reverse()."""
    possibilities = get_resolver(get_urlconf()).reverse_dict.getlist(name)
    if len(possibilities) != 1:
        return None
    converter = possibilities[0][3].get(kwarg)
    unquoted = _UNQUOTED.get(type(converter))
    if unquoted is None:
        return None
    url = reverse(name, kwargs={kwarg: _MARK})
    if url.count(_MARK) != 1:
        return None
    before, after = url.split(_MARK)
    return before, after, unquoted


def path_with(name: str, kwarg: str, value) -> str:
    """``reverse(name, kwargs={kwarg: value})`` for a route with one slug or path argument."""
    return path_maker(name, kwarg)(value)


def path_maker(name: str, kwarg: str) -> Callable[[object], str]:
    """``path_with(name, kwarg, ·)`` for the many links of one page: the memo looked up once."""
    paths = _paths()
    key = (name, kwarg)
    try:
        template = paths[key]
    except KeyError:
        template = paths[key] = _template(name, kwarg)
    if template is None:
        return lambda value: reverse(name, kwargs={kwarg: value})
    before, after, unquoted = template

    def path(value) -> str:
        if type(value) is str and unquoted.fullmatch(value):
            return f"{before}{value}{after}"
        return reverse(name, kwargs={kwarg: value})

    return path


def query_value(value) -> str:
    """One value as ``urllib.parse.urlencode`` writes it (quote_plus, nothing kept safe)."""
    if type(value) is int:
        return str(value)
    return quote_plus(value if isinstance(value, (str, bytes)) else str(value), safe="")
