"""A burst of pages that landed together is converted one page at a time, the event loop given
back between two pages: answers that arrive meanwhile are read (and their slots' next requests
sent) without waiting for the whole burst's models."""

from __future__ import annotations

import itertools

import anyio
import anyio.lowlevel

from galatea_async._page_rules import Page
from galatea_async._page_window import Holding, fetch_in_order


async def test_pages_landed_together_are_converted_with_the_loop_given_back_between_them() -> None:
    events: list[str] = []
    release = anyio.Event()
    walking = True

    async def fetch_page(number: int) -> Page | None:
        await release.wait()
        return Page(results=[{"id": number}], count=6, has_next=number < 6)

    def convert(page: Page | None) -> Page | None:
        assert page is not None
        events.append(f"convert {page.results[0]['id']}")
        return page

    async def other_task() -> None:
        # Stands for a slot reading its answer: it runs whenever the loop is given back.
        while walking:
            events.append("other")
            await anyio.lowlevel.checkpoint()

    async def walk() -> None:
        nonlocal walking
        handed = await fetch_in_order(
            range(1, 7), fetch_page, convert, lambda n, p: True, lambda h, f: True, 12, Holding()
        )
        assert handed == 6
        walking = False

    async with anyio.create_task_group() as group:
        group.start_soon(walk)
        group.start_soon(other_task)
        for _ in range(5):
            await anyio.lowlevel.checkpoint()  # all six requests in flight
        release.set()
    conversions = [index for index, event in enumerate(events) if event.startswith("convert")]
    assert [events[index] for index in conversions] == [f"convert {n}" for n in range(1, 7)]
    # Between any two conversions the other task ran at least once.
    assert all(later - earlier > 1 for earlier, later in itertools.pairwise(conversions))
