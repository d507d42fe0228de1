"""The payment gateway interface: what checkout needs from a payment provider.

Card data never reaches our server: a gateway creates a provider-side payment for an
order and hands the browser what it needs to pay the provider directly; the provider
then tells us the outcome (Stripe: a signed webhook; dummy: its own buttons)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from checkout.models import Order, Payment

# ISO 4217 currencies without minor units: Stripe takes their amounts as whole units.
ZERO_DECIMAL_CURRENCIES = frozenset(
    {
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    }
)


class PaymentError(Exception):
    """The provider refused the request or could not be reached; safe to show the shopper."""


@dataclass(frozen=True)
class PaymentStart:
    """What the payment page needs: our Payment row and the gateway's browser context."""

    payment: Payment
    template_name: str
    context: dict[str, Any] = field(default_factory=dict)


def to_minor_units(amount: Decimal, currency: str) -> int:
    """``Decimal("12.34")``, "usd" → 1234; zero-decimal currencies are not scaled."""
    if currency.upper() in ZERO_DECIMAL_CURRENCIES:
        return int(amount.to_integral_value())
    return int((amount * 100).to_integral_value())


def from_minor_units(amount: int, currency: str) -> Decimal:
    if currency.upper() in ZERO_DECIMAL_CURRENCIES:
        return Decimal(amount).quantize(Decimal("0.01"))
    return (Decimal(amount) / 100).quantize(Decimal("0.01"))


class PaymentGateway(ABC):
    """One payment provider. Implementations must be safe to call repeatedly for the
    same order (page reloads, retries): they reuse the order's open payment."""

    name: str

    @abstractmethod
    def start_payment(self, order: Order) -> PaymentStart:
        """Create (or reuse) the provider-side payment for ``order``."""

    @abstractmethod
    def sync_payment(self, payment: Payment) -> None:
        """Ask the provider for the payment's state and record it (e.g. after a redirect)."""

    @abstractmethod
    def cancel_payment(self, payment: Payment) -> None:
        """Void an unpaid payment so it can no longer be paid (order cancelled)."""

    @abstractmethod
    def refund_payment(self, payment: Payment) -> str:
        """Refund a succeeded payment in full; returns the provider's refund id."""
