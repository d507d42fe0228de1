"""Payment gateways behind one interface; ``settings.PAYMENT_GATEWAY`` picks one."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .base import PaymentError, PaymentGateway, PaymentStart

__all__ = ["PaymentError", "PaymentGateway", "PaymentStart", "gateway_named", "get_gateway"]


def gateway_named(name: str) -> PaymentGateway:
    """The gateway called ``name`` (a Payment remembers which one took it). Imported here: a
    cycle (each gateway records its outcomes through checkout.payments → orders → here)."""
    if name == "stripe":
        from .stripe_gateway import StripeGateway

        return StripeGateway()
    if name == "dummy":
        from .dummy import DummyGateway

        return DummyGateway()
    raise ImproperlyConfigured(f"unknown payment gateway {name!r}; expected 'stripe' or 'dummy'")


def get_gateway() -> PaymentGateway:
    """The gateway new payments go through."""
    return gateway_named(settings.PAYMENT_GATEWAY)
