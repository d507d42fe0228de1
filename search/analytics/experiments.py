"""Which variant of the running A/B test a visitor is served (search.merchandising.experiments).

A stable hash of the experiment and of the visitor's hash (search.analytics.recorder.session_hash,
kept in a cookie by the results pages) picks the variant: the same visitor gets
the same variant on every page, in every process, with nothing stored; over many visitors the
split is the experiment's share. A visitor without a cookie yet (a first page view, a script) is
served the default configuration and is in no variant.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest

from search.analytics.recorder import session_hash, visitor_cookie
from search.merchandising.rules import current_rules


def variant_of(experiment_id: int, b_percent: int, visitor: str) -> str:
    """"a" or "b" for ``visitor`` (a session hash): the first 8 bytes of a SHA-256, mod 100."""
    digest = hashlib.sha256(f"search-experiment:{experiment_id}:{visitor}".encode()).digest()
    return "b" if int.from_bytes(digest[:8], "big") % 100 < b_percent else "a"


def has_visitor_cookie(http_request: HttpRequest) -> bool:
    """The visitor cookie, a session or the CSRF cookie: what tells this visitor's next pages
    from others'. A first page view carries none yet (nor does a script without cookies): it
    is served the default, in no variant, rather than a variant its next pages might not share."""
    session = getattr(http_request, "session", None)
    return bool(visitor_cookie(http_request) or (session is not None and session.session_key)
                or http_request.COOKIES.get(settings.CSRF_COOKIE_NAME))


def assigned_variant(http_request: HttpRequest | None) -> str:
    """The serving key ("12:b") of the visitor's variant of the running experiment, or ""."""
    try:
        running = current_rules().running_experiment
    except DatabaseError:  # the search itself answers from what is left: no variant meanwhile
        return ""
    if running is None or http_request is None:
        return ""
    if not has_visitor_cookie(http_request):
        return ""
    visitor = session_hash(http_request)
    if not visitor:
        return ""
    experiment_id, b_percent = running
    return f"{experiment_id}:{variant_of(experiment_id, b_percent, visitor)}"
