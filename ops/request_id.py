"""The request id: taken from a well-formed ``X-Request-ID`` (nginx sets one) or
generated, kept in a context variable so log records, Celery task headers and
error reports of the same request carry it."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar, Token

REQUEST_ID_HEADER = "X-Request-ID"
# The same shape nginx accepts (deploy/nginx/nginx.conf): no spaces, quotes or control characters.
_VALID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")

_current: ContextVar[str | None] = ContextVar("request_id", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def clean_request_id(value: str | None) -> str | None:
    """The incoming id if it is safe to log and echo, else None."""
    if value and _VALID.match(value):
        return value
    return None


def get_request_id() -> str | None:
    return _current.get()


def set_request_id(value: str | None) -> Token:
    return _current.set(value)


def reset_request_id(token: Token) -> None:
    _current.reset(token)
