"""Customer e-mail, through Django's e-mail backend (the console locally)."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from .models import Order

logger = logging.getLogger(__name__)


def send_order_confirmation(order_id: int) -> bool:
    """Tell the customer their order is confirmed (sent once, when it is paid).

    Runs after the commit that marked the order paid; a mail server outage is logged,
    never turned into an error for the payment that already succeeded."""
    order = Order.objects.prefetch_related("lines").get(pk=order_id)
    context = {"order": order, "lines": list(order.lines.all())}
    try:
        send_mail(
            subject=f"Your order {order.number} is confirmed",
            message=render_to_string("checkout/email/order_confirmation.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[order.email],
        )
    except Exception:  # SMTP errors come in many classes; none may undo the payment
        logger.exception("could not send the confirmation of order %s", order.number)
        return False
    return True
