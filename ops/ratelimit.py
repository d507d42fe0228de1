"""A small fixed-window rate limiter on Django's cache (Redis in service mode).

Rules come from ``settings.RATELIMIT_RULES``, checked in order; the first rule whose
path prefix and method match a request applies. A rule counts per client address
(``"ip"``) and, for the login form, per submitted user name too (``"username"``), so
neither one address nor a botnet spread over many can try passwords quickly.

One cache round trip per counted request (``incr``; ``add`` when a window opens).
If the cache is down the request is let through: a broken limiter must not take
the shop down with it.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import time
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import caches
from django.http import HttpRequest

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rule:
    name: str
    prefixes: tuple[str, ...]
    methods: frozenset[str]
    limit: int
    period: int
    keys: tuple[str, ...] = ("ip",)

    def matches(self, request: HttpRequest) -> bool:
        return request.method in self.methods and request.path_info.startswith(self.prefixes)


@dataclass(frozen=True)
class Refusal:
    rule: Rule
    retry_after: int


def parse_rate(rate: str) -> tuple[int, int]:
    """``"60/60"`` → (60 requests, per 60 seconds)."""
    count, _, seconds = rate.partition("/")
    limit, period = int(count), int(seconds or 1)
    if limit < 1 or period < 1:
        raise ValueError(f"invalid rate {rate!r}: use REQUESTS/SECONDS, both at least 1")
    return limit, period


def rules_from_settings() -> list[Rule]:
    rules = []
    for spec in settings.RATELIMIT_RULES:
        limit, period = parse_rate(spec["rate"])
        rules.append(Rule(
            name=spec["name"],
            prefixes=tuple(spec["prefixes"]),
            methods=frozenset(m.upper() for m in spec.get("methods", ("GET", "HEAD"))),
            limit=limit,
            period=period,
            keys=tuple(spec.get("keys", ("ip",))),
        ))
    return rules


@lru_cache(maxsize=8)
def _networks(networks: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(n) for n in networks)


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in _networks(tuple(settings.TRUSTED_PROXIES)))


def client_ip(request: HttpRequest) -> str:
    """The shopper's address: REMOTE_ADDR, or, when that is a trusted proxy (nginx), the
    right-most address of X-Forwarded-For that is not a trusted proxy (clients can
    prepend anything to that header, but not append)."""
    remote = request.META.get("REMOTE_ADDR", "")
    if not _trusted(remote):
        return remote
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
    for address in reversed(forwarded):
        if not _trusted(address):
            return address
    return forwarded[0] if forwarded else remote


def _identities(rule: Rule, request: HttpRequest) -> list[str]:
    identities = []
    for key in rule.keys:
        if key == "ip":
            identities.append(f"ip:{client_ip(request)}")
        elif key == "username":
            # "login" on the storefront (allauth: a user name or an e-mail address), "username" in the admin.
            username = login_name_key(request.POST.get("login") or request.POST.get("username", ""))
            if username:
                identities.append(f"user:{username}")
    return identities


def login_name_key(raw: str) -> str:
    """The user name a login attempt counts against: the form Django signs in with
    (AuthenticationForm strips it and applies ``normalize_username``, NFKC), casefolded,
    so that a Unicode variant (``ｂob``, ``Bob``) shares the budget of ``bob``."""
    return AbstractBaseUser.normalize_username(raw.strip()).casefold()


def check(request: HttpRequest, rules: list[Rule]) -> Refusal | None:
    """Count the request against the first matching rule; a Refusal if it went over."""
    rule = next((r for r in rules if r.matches(request)), None)
    if rule is None:
        return None
    cache = caches[settings.RATELIMIT_CACHE_ALIAS]
    now = time.time()
    window = int(now // rule.period)
    retry_after = max(1, math.ceil((window + 1) * rule.period - now))
    refused = False
    for identity in _identities(rule, request):
        digest = hashlib.sha256(identity.encode()).hexdigest()[:32]
        key = f"ratelimit:{rule.name}:{digest}:{window}"
        try:
            count = _increment(cache, key, rule.period)
        except Exception:  # noqa: BLE001 - fail open: see the module docstring
            logger.warning("rate limiter cache unavailable; request allowed", exc_info=True)
            return None
        refused = refused or count > rule.limit
    return Refusal(rule, retry_after) if refused else None


def _increment(cache, key: str, period: int) -> int:
    try:
        return cache.incr(key)
    except ValueError:  # a new window: the key does not exist yet
        if cache.add(key, 1, timeout=period + 1):
            return 1
        return cache.incr(key)  # another request opened it in between
