"""One pagination helper for every listing: ``{count, next, previous, results}`` pages.

Pages are walked by number with our own URLs (a ``next`` link is only read as "there is
more", never followed, so no credential can follow it to another origin). Once the first page
gives ``count``, the pages still needed are fetched a few at a time concurrently and yielded in
order; no more pages are fetched than ``limit`` needs. The walk stops at an empty page or a
page that repeats the previous one, and never yields an item twice.

The planning is pure (``plan_pages``, ``parse_page``); ``paginate`` does the I/O.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio
import attrs

from galatea_async.errors import InvalidResponseError, NotFoundError

__all__ = ["DEFAULT_PAGE_SIZE", "Page", "paginate", "parse_page", "plan_pages"]

DEFAULT_PAGE_SIZE = 100
DEFAULT_CONCURRENT_PAGES = 8

FetchPage = Callable[[int, int], Awaitable[Any]]  # fetch(page_number, page_size) -> JSON


@attrs.frozen
class Page:
    """One decoded page."""

    results: list[dict[str, Any]]
    count: int | None
    has_next: bool

    @property
    def ids(self) -> tuple[Any, ...]:
        """The items' ids, to spot a page the server repeats."""
        return tuple(item.get("id") for item in self.results)


def parse_page(data: Any) -> Page:
    """A ``Page`` from a decoded body; a bare list is taken as a single, last page."""
    if isinstance(data, list):
        return Page(
            results=[item for item in data if isinstance(item, dict)], count=None, has_next=False
        )
    if not isinstance(data, dict) or not isinstance(data.get("results", []), list):
        raise InvalidResponseError("a listing answered without a 'results' list")
    count = data.get("count")
    return Page(
        results=[item for item in data.get("results") or [] if isinstance(item, dict)],
        count=count
        if isinstance(count, int) and not isinstance(count, bool) and count >= 0
        else None,
        has_next=bool(data.get("next")),
    )


def plan_pages(*, count: int, page_size: int, limit: int | None) -> int:
    """How many pages in all are needed for ``min(count, limit)`` items."""
    wanted = count if limit is None else min(count, limit)
    return max(1, math.ceil(wanted / page_size)) if wanted else 1


async def paginate(
    fetch: FetchPage,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    limit: int | None = None,
    concurrent_pages: int = DEFAULT_CONCURRENT_PAGES,
) -> AsyncIterator[dict[str, Any]]:
    """Yield every item of a listing, in the server's order, at most ``limit`` of them."""
    if limit == 0:
        return
    yielded = 0
    seen: set[Any] = set()
    first = parse_page(await fetch(1, page_size))
    previous_ids = first.ids
    pages = [first]
    page_number = 1
    total_pages: int | None = None
    if first.count is not None:
        total_pages = plan_pages(count=first.count, page_size=page_size, limit=limit)

    while True:
        for page in pages:
            for item in page.results:
                key = item.get("id")
                if key is not None:
                    if key in seen:
                        continue
                    seen.add(key)
                yield item
                yielded += 1
                if limit is not None and yielded >= limit:
                    return
        last = pages[-1]
        if not last.results or not last.has_next:
            return
        if total_pages is not None and page_number >= total_pages:
            return
        # The next window: several pages at once when the total is known, else one.
        window = 1 if total_pages is None else min(concurrent_pages, total_pages - page_number)
        numbers = list(range(page_number + 1, page_number + 1 + window))
        fetched = await _fetch_window(fetch, numbers, page_size)
        pages = []
        for maybe_page in fetched:
            if maybe_page is None or not maybe_page.results or maybe_page.ids == previous_ids:
                break
            previous_ids = maybe_page.ids
            pages.append(maybe_page)
        if not pages:
            return
        if len(pages) < len(fetched):
            # An empty, missing or repeated page ends the listing after what came before it.
            total_pages = page_number + len(pages)
        page_number += len(pages)


async def _fetch_window(fetch: FetchPage, numbers: list[int], page_size: int) -> list[Page | None]:
    """Fetch these pages concurrently; a page past the end (404) comes back as ``None``."""
    results: list[Page | None] = [None] * len(numbers)

    async def one(index: int, number: int) -> None:
        try:
            results[index] = parse_page(await fetch(number, page_size))
        except NotFoundError:
            results[index] = None  # "Invalid page": the listing shrank while we walked it

    async with anyio.create_task_group() as group:
        for index, number in enumerate(numbers):
            group.start_soon(one, index, number)
    return results
