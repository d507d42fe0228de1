from celery import shared_task

from . import orders


@shared_task
def cancel_unpaid_orders() -> int:
    """Beat task: give the stock of long-unpaid orders back to the shop."""
    return orders.cancel_unpaid_orders()
