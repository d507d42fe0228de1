from django.apps import AppConfig


class StoreConfig(AppConfig):
    name = "store"
    verbose_name = "Catalog"

    def ready(self) -> None:
        from . import caching, signals  # noqa: F401 - signal receivers
