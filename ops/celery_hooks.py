"""Celery signal receivers: the request id travels with a task (message header),
task outcomes are counted, worker logs get the request id (and JSON lines), and a
worker can serve its own /metrics (``CELERY_METRICS_PORT``).

Connected when this module is imported: by ``config.celery`` (workers, beat) and by
``ops.apps`` (web processes, which publish tasks).
"""

from __future__ import annotations

import logging
import os
from contextlib import suppress
from contextvars import Token

from celery.signals import (
    after_setup_logger,
    after_setup_task_logger,
    before_task_publish,
    task_failure,
    task_postrun,
    task_prerun,
    task_retry,
    task_success,
    worker_init,
    worker_process_shutdown,
)

from .request_id import get_request_id, new_request_id, reset_request_id, set_request_id

logger = logging.getLogger(__name__)

REQUEST_ID_TASK_HEADER = "request_id"
_tokens: dict[str, Token] = {}


@before_task_publish.connect(dispatch_uid="ops.request_id_header")
def add_request_id_header(headers: dict | None = None, **kwargs) -> None:
    request_id = get_request_id()
    if request_id and headers is not None:
        headers.setdefault(REQUEST_ID_TASK_HEADER, request_id)


@task_prerun.connect(dispatch_uid="ops.request_id_prerun")
def adopt_request_id(task_id: str | None = None, task=None, **kwargs) -> None:
    """The publishing request's id; an eager task keeps the caller's; a task nobody's
    request published (beat) gets a fresh one, shared by all its log lines."""
    request = getattr(task, "request", None)
    request_id = request.get(REQUEST_ID_TASK_HEADER) if request is not None else None
    if not request_id:
        if request is not None and request.is_eager and get_request_id():
            return
        request_id = new_request_id()
    if task_id:
        _tokens[task_id] = set_request_id(request_id)


@task_postrun.connect(dispatch_uid="ops.request_id_postrun")
def forget_request_id(task_id: str | None = None, **kwargs) -> None:
    token = _tokens.pop(task_id, None) if task_id else None
    if token is not None:
        with suppress(ValueError):  # set in another context (should not happen): leave it
            reset_request_id(token)


def _count(task, outcome: str) -> None:
    from .metrics import CELERY_TASKS

    CELERY_TASKS.labels(getattr(task, "name", str(task)), outcome).inc()


@task_success.connect(dispatch_uid="ops.task_success")
def count_success(sender=None, **kwargs) -> None:
    _count(sender, "success")


@task_failure.connect(dispatch_uid="ops.task_failure")
def count_failure(sender=None, **kwargs) -> None:
    _count(sender, "failure")


@task_retry.connect(dispatch_uid="ops.task_retry")
def count_retry(sender=None, **kwargs) -> None:
    _count(sender, "retry")


def _log_format() -> str:
    from django.conf import settings

    return getattr(settings, "LOG_FORMAT", "plain")


@after_setup_logger.connect(dispatch_uid="ops.worker_logger")
@after_setup_task_logger.connect(dispatch_uid="ops.worker_task_logger")
def structure_worker_logs(logger=None, **kwargs) -> None:
    """Celery configures the worker's logging itself: give its handlers our filter and format."""
    from .logging import RequestIdFilter, json_formatter

    for handler in getattr(logger, "handlers", []):
        handler.addFilter(RequestIdFilter())
        if _log_format() == "json":
            handler.setFormatter(json_formatter())


@worker_init.connect(dispatch_uid="ops.worker_metrics")
def serve_worker_metrics(**kwargs) -> None:
    port = os.environ.get("CELERY_METRICS_PORT")
    if not port:
        return
    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client.multiprocess import MultiProcessCollector

    from .metrics import multiprocess_mode

    registry = None
    if multiprocess_mode():
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    addr = os.environ.get("CELERY_METRICS_ADDR", "0.0.0.0")
    if registry is not None:
        start_http_server(int(port), addr=addr, registry=registry)
    else:
        start_http_server(int(port), addr=addr)
    logger.info("worker metrics on port %s", port)


@worker_process_shutdown.connect(dispatch_uid="ops.worker_process_dead")
def mark_worker_process_dead(pid: int | None = None, **kwargs) -> None:
    from .metrics import multiprocess_mode

    if multiprocess_mode():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid or os.getpid())
