"""While answers keep landing, the window reads them (and its slots send their next requests)
before it converts a page: a page is converted in a turn of the event loop in which no other
page landed, so a burst's conversions wait until the burst is read out."""

from __future__ import annotations

import anyio
import anyio.lowlevel

from galatea_async._page_rules import Page
from galatea_async._page_window import fetch_in_order


async def test_no_page_is_converted_while_pages_land_turn_after_turn() -> None:
    events: list[str] = []

    async def fetch_page(number: int) -> Page | None:
        # Page n lands n turns of the event loop after the run starts: one page a turn.
        for _ in range(number):
            await anyio.lowlevel.checkpoint()
        events.append(f"landed {number}")
        return Page(results=[{"id": number}], count=6, has_next=number < 6)

    def convert(page: Page | None) -> Page | None:
        assert page is not None
        events.append(f"convert {page.results[0]['id']}")
        return page

    handed: list[int] = []

    def on_page(number: int, page: Page | None) -> bool:
        handed.append(number)
        return True

    count = await fetch_in_order(range(1, 7), fetch_page, convert, on_page, lambda h, f: True, 12)
    assert count == 6 and handed == [1, 2, 3, 4, 5, 6]
    assert events == [
        *(f"landed {n}" for n in range(1, 7)),
        *(f"convert {n}" for n in range(1, 7)),
    ]
