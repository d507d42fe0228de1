import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The search app keeps its tasks by concern (search/analytics/tasks.py), not in search/tasks.py.
app.autodiscover_tasks(["search.analytics"])

# Request ids in task headers and worker logs, task outcome counters, worker metrics.
import ops.celery_hooks  # noqa: E402,F401
