from django.apps import AppConfig


class IndexingConfig(AppConfig):
    name = "indexing"
    verbose_name = "Search indexing"

    def ready(self) -> None:
        from . import signals  # noqa: F401
