from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        from . import celery_hooks, checks  # noqa: F401 - signal receivers and system checks
