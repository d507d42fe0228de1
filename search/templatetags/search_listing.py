"""Template helpers for the search listing and its reactive component."""

from django import template

register = template.Library()

_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-./:")


@register.filter
def action_arg(value: object) -> str:
    """A string literal for a django-unicorn action argument, e.g. ``toggle('brand', {{ v|action_arg }})``.

    Unicorn parses the call with Python's ``ast.literal_eval`` and its browser side
    splits arguments on quotes, so every character outside a small safe set is
    written as a ``\\uXXXX`` escape: no quote or backslash of a facet value can end
    the literal early. The result is still auto-escaped into the HTML attribute."""
    out = []
    for char in str(value):
        if char in _PLAIN:
            out.append(char)
        elif ord(char) <= 0xFFFF:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    return "'" + "".join(out) + "'"
