from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from checkout.orders import cancel_unpaid_orders


class Command(BaseCommand):
    help = "Cancel orders left unpaid too long and return their stock."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=int,
            default=settings.ORDER_PAYMENT_TIMEOUT_MINUTES,
            help="Minutes an order may wait for payment (default: ORDER_PAYMENT_TIMEOUT_MINUTES).",
        )

    def handle(self, *args, older_than: int, **options) -> None:
        count = cancel_unpaid_orders(older_than)
        self.stdout.write(f"Cancelled {count} unpaid order(s).")
