"""One pagination helper for every listing: ``{count, next, previous, results}`` pages.

Pages are walked by number with our own URLs (a ``next`` link is only read as "there is
more", never followed, so no credential can follow it to another origin). Once the first page
gives ``count``, the pages still needed are fetched concurrently (a sliding window bounded by
the items held, not by a number of pages) and yielded in order; no more pages are fetched than
``limit`` needs. What a walk guarantees, and how: ``_page_walk``.

The walk runs in a task beside the caller (``_walk_tasks``) and hands the items over through
a memory stream, page by page; the caller's taking of a page frees room for the next ones.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import anyio
from anyio.streams.memory import MemoryObjectSendStream

from galatea_async._page_rules import Page, item_id, parse_page, plan_pages
from galatea_async._page_walk import FetchPage, PageWalk
from galatea_async._walk_tasks import WalkTasks

__all__ = [
    "DEFAULT_CONCURRENT_PAGES",
    "DEFAULT_PAGES_AHEAD",
    "DEFAULT_PAGE_SIZE",
    "Page",
    "item_id",
    "paginate",
    "parse_page",
    "plan_pages",
]

DEFAULT_PAGE_SIZE = 100
DEFAULT_CONCURRENT_PAGES = 24
# Items fetched ahead of the caller are at most this many pages' worth (pages of the size
# asked for; 6,400 orders are about 8 MiB): the bound keeps memory flat.
DEFAULT_PAGES_AHEAD = 64

T = TypeVar("T")


async def paginate(
    fetch: FetchPage,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    limit: int | None = None,
    concurrent_pages: int = DEFAULT_CONCURRENT_PAGES,
    pages_ahead: int = DEFAULT_PAGES_AHEAD,
    convert: Callable[[dict[str, Any]], T] | None = None,
    tasks: WalkTasks | None = None,
) -> AsyncIterator[T]:
    """Yield every item of a listing, in the server's order, at most ``limit`` of them.

    The pages are fetched by a task beside the caller (one of ``tasks``, the client's walks),
    which hands each page's items over as soon as the pages before it are: a new page is
    requested as soon as the caller has taken a page's items, never more than
    ``pages_ahead`` pages of items held (the page being yielded among them). Pages after
    the first are requested once the caller asks for the item after page 1's. ``convert``
    turns each JSON object into what is yielded (a model); it runs as each page arrives.
    Items found by a re-check (the listing changed during the walk) come last. Closing the
    iterator (or dropping it, or cancelling the caller) stops the fetching.
    """
    if limit == 0:
        return
    handed, taken = anyio.create_memory_object_stream[Any](math.inf)
    walk = PageWalk(
        fetch,
        page_size=page_size,
        concurrent_pages=concurrent_pages,
        pages_ahead=pages_ahead,
        convert=convert,
        limit=limit,
        hand_over_to=handed.send_nowait,
    )
    try:
        fetching = (tasks or WalkTasks()).start(lambda: _fetch_all(walk, handed))
    except RuntimeError:  # the client is closed
        handed.close()
        taken.close()
        raise
    yielded = 0
    try:
        with taken:
            async for message in taken:
                if isinstance(message, Exception):
                    raise message
                items, held = message
                for item in items:
                    yield item
                    yielded += 1
                    if limit is not None and yielded >= limit:
                        return
                # The page is taken once the caller asks for the item after its last; its
                # items are then not kept alive by the wait for more.
                walk.holding.release(held)
                del message, items
    finally:
        await fetching.stop()


async def _fetch_all(walk: PageWalk, handed: MemoryObjectSendStream[Any]) -> None:
    """Run ``walk``, its pages' items handed over as they come, its error after them."""
    with handed:
        try:
            await walk.run()
        except anyio.BrokenResourceError:
            return  # the caller stopped listening
        except anyio.get_cancelled_exc_class():
            # Cancelled while the caller still listens: its client was closed.
            with contextlib.suppress(anyio.BrokenResourceError):
                handed.send_nowait(_closed_during_walk())
            raise
        except Exception as error:
            with contextlib.suppress(anyio.BrokenResourceError):
                handed.send_nowait(error)


def _closed_during_walk() -> RuntimeError:
    return RuntimeError(
        "the AsyncGalatea client was closed while this listing was being read, so the rest "
        "of it was not fetched: finish (or break out of) the `async for` before closing it"
    )
