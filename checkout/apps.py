from django.apps import AppConfig


class CheckoutConfig(AppConfig):
    name = "checkout"
    verbose_name = "Orders and payments"

    def ready(self) -> None:
        from . import checks, signals  # noqa: F401
