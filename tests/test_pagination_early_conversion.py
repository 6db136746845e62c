"""Pages that land while an earlier page is still in flight are converted meanwhile, so that
when the late page lands only it is left to convert; they are still handed over in page
order, and a page that fails to convert fails the run only when its turn comes."""

from __future__ import annotations

import anyio
import anyio.lowlevel
import pytest

from galatea_async._page_rules import Page
from galatea_async._page_window import fetch_in_order
from galatea_async.errors import InvalidResponseError


def page_of(number: int) -> Page:
    return Page(results=[{"id": number}], count=6, has_next=number < 6)


async def test_pages_landed_behind_a_late_page_are_converted_before_it_lands() -> None:
    events: list[str] = []

    async def fetch_page(number: int) -> Page | None:
        # Page 1 answers long after the others (many turns of the event loop).
        for _ in range(100 if number == 1 else 1):
            await anyio.lowlevel.checkpoint()
        if number == 1:
            events.append("landed 1")
        return page_of(number)

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
    assert events == [*(f"convert {n}" for n in range(2, 7)), "landed 1", "convert 1"]


async def test_a_page_after_the_end_that_fails_to_convert_does_not_fail_the_run() -> None:
    async def fetch_page(number: int) -> Page | None:
        for _ in range(20 if number <= 2 else 1):
            await anyio.lowlevel.checkpoint()
        return page_of(number)

    def convert(page: Page | None) -> Page | None:
        assert page is not None
        if page.results[0]["id"] == 3:
            raise InvalidResponseError("the API's answer does not fit the SDK: Order.id")
        return page

    count = await fetch_in_order(
        range(1, 5), fetch_page, convert, lambda n, p: n < 2, lambda h, f: True, 12
    )
    assert count == 2


async def test_a_page_that_fails_to_convert_fails_the_run_when_its_turn_comes() -> None:
    handed: list[int] = []

    async def fetch_page(number: int) -> Page | None:
        for _ in range(20 if number == 1 else 1):
            await anyio.lowlevel.checkpoint()
        return page_of(number)

    def convert(page: Page | None) -> Page | None:
        assert page is not None
        if page.results[0]["id"] == 3:
            raise InvalidResponseError("the API's answer does not fit the SDK: Order.id")
        return page

    def on_page(number: int, page: Page | None) -> bool:
        handed.append(number)
        return True

    with pytest.raises(InvalidResponseError, match=r"Order\.id"):
        await fetch_in_order(range(1, 7), fetch_page, convert, on_page, lambda h, f: True, 12)
    assert handed == [1, 2]
