"""System checks of the operations settings."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security)
def check_admin_url(app_configs, **kwargs) -> list[Error]:
    admin_url = settings.ADMIN_URL
    if not admin_url or admin_url.startswith("/") or not admin_url.endswith("/"):
        return [Error(f"ADMIN_URL must be a relative path ending in '/', like 'backoffice-7f3a/' "
                      f"(got {admin_url!r}).", id="ops.E001")]
    return []


@register()
def check_operations_settings(app_configs, **kwargs) -> list[Error]:
    from .ratelimit import rules_from_settings

    errors = []
    try:
        rules_from_settings()
    except (KeyError, ValueError, TypeError) as exc:
        errors.append(Error(f"RATELIMIT_RULES is invalid: {exc}", id="ops.E002"))
    for name in ("METRICS_ALLOWED_NETWORKS", "TRUSTED_PROXIES"):
        for network in getattr(settings, name):
            try:
                ipaddress.ip_network(network)
            except ValueError:
                errors.append(Error(f"{name} has an invalid network {network!r}.", id="ops.E003"))
    return errors
