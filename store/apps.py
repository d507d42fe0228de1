from django.apps import AppConfig


class StoreConfig(AppConfig):
    name = "store"
    verbose_name = "Catalog"

    def ready(self) -> None:
        from . import signals  # noqa: F401
