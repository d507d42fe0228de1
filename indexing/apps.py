from django.apps import AppConfig


class IndexingConfig(AppConfig):
    name = "indexing"
    verbose_name = "Search indexing"

    def ready(self) -> None:
        # Imported once the app registry is ready (they import models): the outbox's signal
        # receivers, and the index gauges /metrics computes at scrape time.
        from ops.metrics import add_state_source

        from . import metrics, signals  # noqa: F401

        add_state_source(metrics.outbox_gauges)
        add_state_source(metrics.drift_gauges)
