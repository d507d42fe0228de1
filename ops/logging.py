"""Log records carry the request id; JSON lines in production (python-json-logger)."""

from __future__ import annotations

import logging

from pythonjsonlogger.json import JsonFormatter

from .request_id import get_request_id

JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s"
RENAMED_FIELDS = {"asctime": "timestamp", "levelname": "level", "name": "logger"}


class RequestIdFilter(logging.Filter):
    """Adds ``record.request_id`` (None outside a request or task) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            # django.request logs 4xx/5xx after the middleware returned; its record has the request.
            request = getattr(record, "request", None)
            record.request_id = get_request_id() or getattr(request, "request_id", None)
        return True


def json_formatter() -> JsonFormatter:
    """One JSON object per line: timestamp, level, logger, message, request_id, and any ``extra``."""
    return JsonFormatter(JSON_FIELDS, rename_fields=RENAMED_FIELDS, timestamp=False)


def json_formatter_config() -> dict:
    """The dictConfig entry of the same formatter."""
    return {"()": "pythonjsonlogger.json.JsonFormatter", "fmt": JSON_FIELDS, "rename_fields": RENAMED_FIELDS}
