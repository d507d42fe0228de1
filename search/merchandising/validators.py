"""Rule input comes from people, through the admin and import_synonyms: these refuse what
would break or mislead the search (markup, control characters, empty or over-long terms,
unsafe redirect targets) with a message saying what to change."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from search.query.text import WORD_MAX_CHARS, query_words

QUERY_MAX = 200
SYNONYM_TERM_MAX = 60
FACET_LABEL_MAX = 80
# C0 and C1 control characters, DEL included (tabs and line breaks too: a term is one line).
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def normalise_query(text: str) -> str:
    """The form queries are matched and recorded in: lower-case, single spaces."""
    return " ".join(text.lower().split())[:QUERY_MAX]


def has_control_characters(text: str) -> bool:
    return bool(_CONTROL_CHARACTERS.search(text))


def text_input_error(text: str, what: str) -> str | None:
    """Why ``text`` (typed by a merchandiser, shown to shoppers) is refused, or None."""
    if has_control_characters(text):
        return f"{what} contains a control character (a tab, a line break or an invisible character)."
    if "<" in text or ">" in text:
        return f"{what} contains “<” or “>”: HTML is not allowed here."
    return None


def split_synonym_terms(raw: str) -> list[str]:
    """The comma-separated terms of a synonym set, validated; raises ValidationError
    listing every problem."""
    errors: list[str] = []
    pieces = raw.split(",")
    terms: list[str] = []
    seen: dict[tuple[str, ...], str] = {}
    for number, piece in enumerate(pieces, start=1):
        term = " ".join(piece.split())
        if not term:
            errors.append(f"Term {number} is empty: remove the extra comma.")
            continue
        problem = text_input_error(piece, f"Term “{term[:SYNONYM_TERM_MAX]}”")
        if problem:
            errors.append(problem)
            continue
        if len(term) > SYNONYM_TERM_MAX:
            errors.append(f"Term “{term[:20]}…” is {len(term)} characters long; "
                          f"a term has at most {SYNONYM_TERM_MAX}.")
            continue
        words = tuple(query_words(term))
        if not words:
            if any(c.isalnum() for c in term):
                errors.append(f"Term “{term}” has no word of at most {WORD_MAX_CHARS} characters, "
                              "so it can never match a search.")
            else:
                errors.append(f"Term “{term}” has no letters or digits, so it can never match a search.")
            continue
        if words in seen:
            errors.append(f"“{term}” is listed twice (the same search as “{seen[words]}”).")
            continue
        seen[words] = term
        terms.append(term)
    if not errors and len(terms) < 2:
        errors.append("A synonym set needs at least two different terms, separated by commas.")
    if errors:
        raise ValidationError(errors)
    return terms


def redirect_target_error(url: str) -> str | None:
    """Why a redirect target is refused, or None. Only paths on this site and https://
    URLs: never javascript:, data:, protocol-relative (//host) or backslash tricks."""
    if not url:
        return "Enter a path on this site (starting with /) or an https:// URL."
    if url != url.strip() or any(c.isspace() for c in url) or has_control_characters(url):
        return "The address must not contain spaces, line breaks or control characters."
    if "\\" in url:
        return "The address must not contain a backslash (browsers read “/\\” as another site)."
    if url.startswith("/"):
        if url.startswith("//"):
            return "“//” leads to another site; for an external page write the full https:// URL."
        return None
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme == "https":
        parts = urlsplit(url)
        if parts.username or parts.password:
            return "An https:// URL with a user name or password is not allowed."
        try:
            URLValidator(schemes=["https"])(url)
        except ValidationError:
            return "This is not a valid https:// URL."
        return None
    if scheme in ("javascript", "data", "vbscript", "file", "blob"):
        return (f"“{scheme}:” addresses are not allowed: use a path on this site (starting with /) "
                "or an https:// URL.")
    if scheme == "http":
        return "Use https:// (plain http:// would send shoppers to an insecure page)."
    return "Use a path on this site (starting with /) or an https:// URL."


def clean_rule_query(value: str, field: str = "query") -> str:
    """A query as rules match it; raises ValidationError for empty or hostile input."""
    problem = text_input_error(value, "The query")
    if problem:
        raise ValidationError({field: problem})
    query = normalise_query(value)
    if not query:
        raise ValidationError({field: "Enter the query (the words shoppers type)."})
    return query


def words_of(term: str) -> tuple[str, ...]:
    """A rule term as the words a query is matched by."""
    return tuple(query_words(term))
