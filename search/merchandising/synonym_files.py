"""Synonym files in the Solr / Elasticsearch text format, to and from SynonymSets.

- ``a, b, c``: equivalent terms: a two-way set;
- ``a, b => c, d``: an explicit mapping: one one-way set per left term (``a`` also
  finds ``c`` and ``d``; our one-way sets keep the original term, as ``a => a, c, d``
  does in Solr and Elasticsearch, which is how export writes them);
- ``#`` starts a comment line; blank lines are skipped. Escapes (``\\,``) are not
  supported: a comma always separates terms.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from search.merchandising.models import SynonymSet
from search.merchandising.validators import split_synonym_terms
from search.query.text import query_words


@dataclass(frozen=True)
class SynonymLine:
    line: int
    kind: str
    terms: tuple[str, ...]


class SynonymFileError(ValueError):
    def __init__(self, errors: list[tuple[int, str]]) -> None:
        self.errors = errors
        super().__init__("\n".join(f"line {n}: {message}" for n, message in errors))


def parse_synonyms(lines: Iterable[str]) -> list[SynonymLine]:
    """Parse and validate every line; raises SynonymFileError listing every bad line."""
    parsed: list[SynonymLine] = []
    errors: list[tuple[int, str]] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            parsed += _parse_line(number, line)
        except ValidationError as exc:
            errors.append((number, " ".join(exc.messages)))
    if errors:
        raise SynonymFileError(errors)
    return parsed


def _parse_line(number: int, line: str) -> list[SynonymLine]:
    if "\\" in line:
        raise ValidationError("Escaped characters (\\) are not supported.")
    if "=>" not in line:
        return [SynonymLine(number, SynonymSet.Kind.TWO_WAY, tuple(split_synonym_terms(line)))]
    sides = line.split("=>")
    if len(sides) != 2:
        raise ValidationError("More than one “=>” on the line.")
    left, right = (_side(side, name) for side, name in zip(sides, ("before", "after"), strict=True))
    mappings = []
    for head in left:
        targets = [t for t in right if query_words(t) != query_words(head)]
        terms = split_synonym_terms(", ".join([head, *targets]))
        mappings.append(SynonymLine(number, SynonymSet.Kind.ONE_WAY, tuple(terms)))
    return mappings


def _side(text: str, name: str) -> list[str]:
    terms = [" ".join(t.split()) for t in text.split(",")]
    if not any(terms):
        raise ValidationError(f"Nothing {name} “=>”.")
    if not all(terms):
        raise ValidationError(f"An empty term {name} “=>”: remove the extra comma.")
    return terms


def synonym_line(synonym_set: SynonymSet) -> str:
    terms = synonym_set.term_list()
    if synonym_set.kind == SynonymSet.Kind.ONE_WAY:
        return f"{terms[0]} => {', '.join(terms)}"
    return ", ".join(terms)


def export_lines(sets: Iterable[SynonymSet]) -> list[str]:
    return [synonym_line(s) for s in sets if len(s.term_list()) >= 2]
