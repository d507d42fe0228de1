from allauth.account.models import EmailAddress
from allauth.account.signals import email_confirmed
from django.contrib import messages
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from . import guest_orders
from .cart import merge_session_cart


@receiver(user_logged_in, dispatch_uid="checkout.merge_cart_at_login")
def merge_cart_at_login(sender, request, user, **kwargs) -> None:
    """The cart follows the shopper: what they picked before logging in is kept."""
    if request is None:
        return
    result = merge_session_cart(request, user)
    # The test client's login request has no message storage; real requests do.
    if result is not None and hasattr(request, "_messages"):
        for note in result.notes:
            messages.warning(request, note)


@receiver(email_confirmed, dispatch_uid="checkout.claim_guest_orders_on_verification")
def claim_guest_orders_on_verification(sender, request, email_address, **kwargs) -> None:
    """Verifying an e-mail address proves it is yours: its guest orders join the account."""
    claimed = guest_orders.claim(email_address.user, email_address.email)
    if claimed and request is not None and hasattr(request, "_messages"):
        messages.success(request, f"{claimed} earlier order(s) placed with {email_address.email} "
                                  "are now in your account.")


@receiver(user_logged_in, dispatch_uid="checkout.claim_guest_orders_at_login")
def claim_guest_orders_at_login(sender, request, user, **kwargs) -> None:
    """Guest orders placed since with an address the account verified join it at the next login."""
    for email in EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True):
        guest_orders.claim(user, email)
