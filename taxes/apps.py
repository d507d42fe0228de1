from django.apps import AppConfig


class TaxesConfig(AppConfig):
    name = "taxes"
    verbose_name = "Taxes"

    def ready(self) -> None:
        from . import signals  # noqa: F401 - signal receivers
