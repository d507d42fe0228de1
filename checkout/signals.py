from django.contrib import messages
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

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
