from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"

    def ready(self) -> None:
        # Connects the signal receivers that forget cached facet labels on catalog edits.
        from . import results  # noqa: F401
