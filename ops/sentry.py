"""Error tracking with sentry-sdk, on when ``SENTRY_DSN`` is set (settings call ``init_sentry``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .request_id import get_request_id

if TYPE_CHECKING:
    from sentry_sdk.types import Event, Hint


def _tag_request_id(event: Event, hint: Hint) -> Event:
    """The request id (web request or Celery task) on every event, to find its log lines."""
    request_id = get_request_id()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    return event


def init_sentry(dsn: str, *, environment: str, release: str | None, traces_sample_rate: float) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        # No cookies, headers with credentials, user ids or IP addresses in events.
        send_default_pii=False,
        environment=environment,
        release=release or None,
        traces_sample_rate=traces_sample_rate,
        before_send=_tag_request_id,
    )
