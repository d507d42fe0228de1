"""System checks of the checkout settings: a misconfigured shop fails at start-up,
not at a customer's payment."""

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

GATEWAYS = ("dummy", "stripe")


@register()
def check_checkout_settings(app_configs, **kwargs) -> list:
    problems: list = []
    gateway = settings.PAYMENT_GATEWAY
    if gateway not in GATEWAYS:
        problems.append(
            Error(f"PAYMENT_GATEWAY is {gateway!r}; expected one of {', '.join(GATEWAYS)}.", id="checkout.E001")
        )
    if gateway == "stripe":
        missing = [name for name in ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY") if not getattr(settings, name)]
        if missing:
            problems.append(Error(f"The Stripe gateway needs {' and '.join(missing)}.", id="checkout.E002"))
        if not settings.STRIPE_WEBHOOK_SECRET:
            problems.append(
                Warning(
                    "STRIPE_WEBHOOK_SECRET is empty: every webhook is refused, so orders are marked "
                    "paid only when the customer returns from Stripe.",
                    id="checkout.W001",
                )
            )
    if not settings.SHIPPING_METHODS:
        problems.append(Error("SHIPPING_METHODS is empty: nobody could check out.", id="checkout.E003"))
    for code, method in settings.SHIPPING_METHODS.items():
        try:
            valid = "label" in method and Decimal(str(method["cost"])) >= 0
        except (InvalidOperation, KeyError, TypeError):
            valid = False
        if not valid:
            problems.append(
                Error(f"SHIPPING_METHODS[{code!r}] needs a label and a cost of 0 or more.", id="checkout.E004")
            )
    try:
        tax_ok = Decimal(0) <= Decimal(str(settings.TAX_RATE)) < 1
    except InvalidOperation:
        tax_ok = False
    if not tax_ok:
        problems.append(Error(f"TAX_RATE is {settings.TAX_RATE!r}; write 8 % as 0.08.", id="checkout.E005"))
    return problems


@register(Tags.security, deploy=True)
def check_dummy_gateway_in_production(app_configs, **kwargs) -> list:
    if settings.PAYMENT_GATEWAY == "dummy" and not settings.DEBUG:
        return [
            Warning(
                "PAYMENT_GATEWAY is 'dummy': its Pay button marks orders paid without taking money.",
                hint="Set STRIPE_SECRET_KEY (and the other STRIPE_* settings) in production.",
                id="checkout.W002",
            )
        ]
    return []
