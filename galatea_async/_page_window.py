"""Fetch a run of listing pages concurrently and hand them over in order.

The I/O half of a walk's window (``_pagination``): requests start while ``may_start`` allows
(the walk's bound on items held and in flight), each page lands as it comes, and the pages are
converted and handed to ``on_page`` in page order. A request slot whose page lands asks for
the next page itself, in the same step, so a burst of pages landing together goes out again
page by page; pages are converted later, by the loop that hands them over, once the requests
their landing allowed are on their way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import anyio
import anyio.lowlevel

from galatea_async._page_rules import Page

__all__ = ["OnPage", "fetch_in_order"]

# Called with each page, in page order, as it is handed over; returns whether to go on.
OnPage = Callable[[int, "Page | None"], bool]


async def fetch_in_order(
    numbers: Sequence[int],
    fetch_page: Callable[[int], Awaitable[Page | None]],
    convert: Callable[[Page | None], Page | None],
    on_page: OnPage,
    may_start: Callable[[int, int], bool],
    most_ahead: int,
) -> int:
    """Fetch the pages ``numbers`` (``None``: past the end) and hand each, converted and in
    order, to ``on_page``; return how many were handed over.

    ``may_start(held, in_flight)`` says whether one more request may start beside the items
    held and the requests in flight; at most ``most_ahead`` pages are requested beyond the
    last one handed over (those in flight, and those whose slots' pages landed before being
    judged), so a server that cycles costs a bounded number of requests past the cycle. The
    run ends when ``numbers`` run out, when no more may start and every request has landed,
    or when ``on_page`` says stop. A failed request or conversion fails the run with its own
    error (not an exception group).
    """
    arrived: dict[int, Page | None] = {}
    failure: list[Exception] = []
    handed = started = landed = held = 0
    # A page past the end (missing or empty) may land before the pages ahead of it:
    # nothing after it is requested (``numbers`` go up).
    end = len(numbers)
    stopped = False
    # Set when a page lands; the loop then takes every page landed so far.
    landing = anyio.Event()

    def take_next() -> int | None:
        """The index of the next page to request, if one more may start now."""
        nonlocal started
        if stopped or failure or started >= end or started - handed >= most_ahead:
            return None
        if not may_start(held, started - landed):
            return None
        started += 1
        return started - 1

    async def slot(index: int | None) -> None:
        # A slot whose page landed requests the next one itself, at once: a burst of pages
        # landing together goes out again page by page, not once the whole burst is read.
        nonlocal held, end, landed
        while index is not None:
            try:
                page = await fetch_page(numbers[index])
            except Exception as error:
                failure.append(error)
                page = None
            else:
                arrived[index] = page
                if page is None or not page.results:
                    end = min(end, index + 1)
                else:
                    held += len(page.results)
            landed += 1
            landing.set()
            index = take_next()

    async with anyio.create_task_group() as group:

        def start_slots() -> int:
            count = 0
            while (index := take_next()) is not None:
                group.start_soon(slot, index)
                count += 1
            return count

        while True:
            if start_slots() and handed in arrived:
                await anyio.lowlevel.checkpoint()
            while not stopped and not failure and handed in arrived:
                try:
                    page = convert(arrived.pop(handed))
                except Exception as error:
                    failure.append(error)
                    break
                stopped = not on_page(numbers[handed], page)
                handed += 1
            # Nothing in flight ends the run, unless pages handed over just made room.
            if stopped or failure or (started == landed and not start_slots()):
                break
            await landing.wait()
            landing = anyio.Event()
        group.cancel_scope.cancel()
    if failure:
        raise failure[0]
    return handed
