"""Page links for any paginated list (search results, reviews): one shape, one template
(templates/store/_pagination.html)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class PageLink:
    number: int | None  # None marks a gap
    href: str = ""
    current: bool = False


@dataclass(frozen=True)
class Pagination:
    page: int
    links: list[PageLink] = field(default_factory=list)
    previous_href: str = ""
    next_href: str = ""


def page_window(page: int, num_pages: int, around: int = 2) -> list[int | None]:
    """Page numbers to link around the current one; ``None`` marks a gap.

    ``page_window(7, 20)`` → ``[1, None, 5, 6, 7, 8, 9, None, 20]``."""
    pages = sorted({1, num_pages, *range(max(1, page - around), min(num_pages, page + around) + 1)})
    window: list[int | None] = []
    previous = 0
    for number in pages:
        if number - previous == 2:
            window.append(number - 1)
        elif number - previous > 2:
            window.append(None)
        window.append(number)
        previous = number
    return window


def paginate(page: int, num_pages: int, href: Callable[[int], str]) -> Pagination | None:
    """The links of page ``page`` of ``num_pages`` (None when there is one page), ``href(n)``
    being the link to page n."""
    if num_pages <= 1:
        return None
    window = page_window(page, num_pages)
    return Pagination(
        page=page,
        links=[PageLink(n, href(n), n == page) if n is not None else PageLink(None) for n in window],
        previous_href=href(page - 1) if page > 1 else "",
        next_href=href(page + 1) if page < num_pages else "",
    )
