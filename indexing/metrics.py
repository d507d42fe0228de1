"""The index's state as Prometheus gauges, computed when /metrics is scraped: the outbox
backlog and its oldest row, whether the engine answered, and the drift between the
database and the index. Registered with ops.metrics by indexing.apps."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.db.models import Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric

from search.backends import get_backend
from store.models import Product

from .models import OutboxEntry

logger = logging.getLogger(__name__)

DRIFT_CACHE_KEY = "ops:metrics:index-drift"


def index_drift() -> dict[str, int]:
    """Visible products in the database minus documents in the index (positive: missing
    from the index; negative: stale documents), computed at most once per cache period."""
    state = cache.get(DRIFT_CACHE_KEY)
    if state is None:
        try:
            visible = Product.objects.visible().count()
            indexed = get_backend().count()
            state = {"up": 1, "visible": visible, "indexed": indexed}
        except Exception as exc:  # noqa: BLE001 - a scrape must answer even when the engine is down
            logger.warning("index drift not measured: %s", exc)
            state = {"up": 0}
        cache.set(DRIFT_CACHE_KEY, state, settings.METRICS_DRIFT_CACHE_SECONDS)
    return state


def outbox_gauges() -> Iterable[Metric]:
    try:
        summary = OutboxEntry.objects.aggregate(oldest=Min("created_at"))
        backlog = OutboxEntry.objects.count()
    except Exception as exc:  # noqa: BLE001 - database down: the gauge is absent, the alert on absent() fires
        logger.warning("outbox backlog not measured: %s", exc)
        return
    yield GaugeMetricFamily("catalog_outbox_backlog",
                            "Product changes waiting to reach the search index.", value=backlog)
    age = (timezone.now() - summary["oldest"]).total_seconds() if summary["oldest"] else 0.0
    yield GaugeMetricFamily("catalog_outbox_oldest_age_seconds", "Age of the oldest waiting outbox row.",
                            value=age)


def drift_gauges() -> Iterable[Metric]:
    state = index_drift()
    yield GaugeMetricFamily("catalog_search_engine_up", "1 if the search engine answered the last count.",
                            value=state["up"])
    if state["up"]:
        yield GaugeMetricFamily("catalog_index_drift_documents",
                                "Visible products in the database minus documents in the search index.",
                                value=state["visible"] - state["indexed"])
        yield GaugeMetricFamily("catalog_index_documents", "Documents in the search index.",
                                value=state["indexed"])
        yield GaugeMetricFamily("catalog_visible_products", "Products shoppers may see (database).",
                                value=state["visible"])
