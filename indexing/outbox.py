"""Record product changes for the search index, in the caller's transaction."""

import logging
from collections.abc import Iterable

from django.db import transaction

from .models import OutboxEntry

logger = logging.getLogger(__name__)


# What a listing may show late (search.result_cache: at most SEARCH_CACHE_STALE_SECONDS), as
# the product page, the cart and checkout read them from the database: what an order (stock,
# units sold) or a price update writes. ``updated_at`` moves with every update.
LISTING_ONLY_FIELDS = frozenset({"stock_quantity", "sales_count", "price", "compare_at_price", "updated_at"})


def record_changes(product_ids: Iterable[int], fields: Iterable[str] | None = None) -> None:
    """Write one outbox row per product; on commit, ask a worker to drain them. ``fields``:
    the product fields a bulk update wrote (None: any, as a save)."""
    listing_only = fields is not None and set(fields) <= LISTING_ONLY_FIELDS
    rows = [OutboxEntry(product_id=pid, listing_only=listing_only) for pid in set(product_ids)]
    if not rows:
        return
    OutboxEntry.objects.bulk_create(rows, batch_size=1000)
    transaction.on_commit(request_drain)


def request_drain() -> None:
    """Enqueue a drain. A broker outage must not fail the shopper's or editor's
    request: the rows are committed and the periodic drain will pick them up."""
    from .tasks import drain_outbox  # a cycle: tasks → reindex → outbox (a reindex replays the outbox)

    try:
        drain_outbox.delay()
    except Exception:  # any broker failure is survivable here
        logger.warning("could not enqueue the outbox drain; the periodic drain will retry", exc_info=True)
