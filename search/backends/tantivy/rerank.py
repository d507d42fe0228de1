"""The business signals (in stock, popular: search.query.ranking.business_bonus) as a re-rank
of the best text matches, read from the index's fast fields.

As scoring clauses they made tantivy walk the posting lists of every product in stock and
every popular product for each match (at 1,000,000 products the ranked pass took 13.5 ms
with them, 1.2 ms without, for the same matches). Here the engine ranks by text (and the
merchandiser's boost rules) alone, and the RERANK_DEPTH best are re-ranked with the bonus:
what the top hits cost, whatever the catalog holds. A product below that depth keeps its
text order, so every page of one query is cut from one order.
"""

from __future__ import annotations

import tantivy

from search.query.ranking import RERANK_DEPTH, business_bonus

Hit = tuple[float, tantivy.DocAddress]


def candidates_needed(offset: int, limit: int, depth: int = RERANK_DEPTH) -> int:
    """How many text-ranked hits to fetch to cut the page ``[offset, offset + limit)``."""
    return max(depth, offset + limit)


def rerank(searcher: tantivy.Searcher, hits: list[Hit], depth: int = RERANK_DEPTH) -> list[Hit]:
    """``hits`` (text score, address; best first) with the first ``depth`` re-ranked by score +
    bonus; equal scores in address order, as tantivy breaks score ties."""
    head, tail = hits[:depth], hits[depth:]
    if not head:
        return hits
    addresses = [address for _, address in head]
    stock = searcher.fast_field_values("in_stock", addresses)
    popularity = searcher.fast_field_values("popularity", addresses)
    scored = [(float(score) + business_bonus(bool(s), int(p or 0)), address)
              for (score, address), s, p in zip(head, stock, popularity, strict=True)]
    scored.sort(key=lambda item: (-item[0], item[1].segment_ord, item[1].doc))
    return scored + tail
