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
from typing import Any, TypeVar

import anyio
import attrs

from galatea_async.errors import InvalidResponseError, NotFoundError

__all__ = ["DEFAULT_PAGE_SIZE", "Page", "paginate", "parse_page", "plan_pages"]

DEFAULT_PAGE_SIZE = 100
DEFAULT_CONCURRENT_PAGES = 8
# Pages fetched (at most DEFAULT_CONCURRENT_PAGES at a time, a sliding window) before their
# items are yielded: enough to keep the window full, few enough to bound memory.
DEFAULT_PAGES_AHEAD = 32

T = TypeVar("T")

FetchPage = Callable[[int, int], Awaitable[Any]]  # fetch(page_number, page_size) -> JSON


def item_id(item: Any) -> Any:
    """An item's id, whether it is still a JSON object or already a model."""
    return item.get("id") if isinstance(item, dict) else getattr(item, "id", None)


@attrs.frozen
class Page:
    """One decoded page."""

    results: list[Any]
    count: int | None
    has_next: bool

    @property
    def ids(self) -> tuple[Any, ...]:
        """The items' ids, to spot a page the server repeats."""
        return tuple(item_id(item) for item in self.results)


def parse_page(data: Any, convert: Callable[[dict[str, Any]], Any] | None = None) -> Page:
    """A ``Page`` from a decoded body, each item passed through ``convert``.

    A bare list is taken as a single, last page; items that are not JSON objects are dropped.
    """
    if isinstance(data, list):
        data = {"results": data}
    if not isinstance(data, dict) or not isinstance(data.get("results", []), list):
        raise InvalidResponseError("a listing answered without a 'results' list")
    count = data.get("count")
    items = [item for item in data.get("results") or [] if isinstance(item, dict)]
    return Page(
        results=[convert(item) for item in items] if convert is not None else items,
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
    pages_ahead: int = DEFAULT_PAGES_AHEAD,
    convert: Callable[[dict[str, Any]], T] | None = None,
) -> AsyncIterator[T]:
    """Yield every item of a listing, in the server's order, at most ``limit`` of them.

    ``convert`` turns each JSON object into what is yielded (a model); it runs as each page
    arrives, so the work overlaps with the wait for the other pages in flight.
    """
    if limit == 0:
        return
    yielded = 0
    seen: set[Any] = set()
    first = parse_page(await fetch(1, page_size), convert)
    previous_ids = first.ids
    pages = [first]
    page_number = 1
    total_pages: int | None = None
    if first.count is not None:
        total_pages = plan_pages(count=first.count, page_size=page_size, limit=limit)

    while True:
        for page in pages:
            for item in page.results:
                key = item_id(item)
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
        # The next pages: up to pages_ahead of them, concurrent_pages in flight at a time, when
        # the total is known; else one.
        window = 1 if total_pages is None else min(pages_ahead, total_pages - page_number)
        numbers = list(range(page_number + 1, page_number + 1 + window))
        fetched = await _fetch_window(fetch, numbers, page_size, concurrent_pages, convert)
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


async def _fetch_window(
    fetch: FetchPage,
    numbers: list[int],
    page_size: int,
    concurrent_pages: int,
    convert: Callable[[dict[str, Any]], Any] | None,
) -> list[Page | None]:
    """Fetch these pages, ``concurrent_pages`` in flight at a time; a page past the end (404)
    comes back as ``None``."""
    results: list[Page | None] = [None] * len(numbers)
    limiter = anyio.CapacityLimiter(max(concurrent_pages, 1))

    async def one(index: int, number: int) -> None:
        async with limiter:
            try:
                results[index] = parse_page(await fetch(number, page_size), convert)
            except NotFoundError:
                results[index] = None  # "Invalid page": the listing shrank while we walked it

    async with anyio.create_task_group() as group:
        for index, number in enumerate(numbers):
            group.start_soon(one, index, number)
    return results
