"""When a window converts the pages that landed: a late page's followers while it is in flight,
a burst's pages once the burst is read out; always handed over in page order, and a page that
fails to convert fails the run only when its turn comes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio
import anyio.lowlevel
import pytest

from galatea_async._page_rules import Page
from galatea_async._page_window import Holding, fetch_in_order
from galatea_async.errors import InvalidResponseError

MISFIT = InvalidResponseError("the API's answer does not fit the SDK: Order.id")


def page_of(number: int) -> Page:
    return Page(results=[{"id": number}], count=6, has_next=number < 6)


def landing_after(
    turns: Callable[[int], int], events: list[str] | None = None
) -> Callable[[int], Awaitable[Page | None]]:
    """A fetch whose page ``n`` lands ``turns(n)`` turns of the event loop after it is asked
    for (noted in ``events`` when given)."""

    async def fetch_page(number: int) -> Page | None:
        for _ in range(turns(number)):
            await anyio.lowlevel.checkpoint()
        if events is not None:
            events.append(f"landed {number}")
        return page_of(number)

    return fetch_page


def converting(
    events: list[str], failing: int | None = None
) -> Callable[[Page | None], Page | None]:
    """A conversion that notes each page it converts and refuses page ``failing``."""

    def convert(page: Page | None) -> Page | None:
        assert page is not None
        number = page.results[0]["id"]
        events.append(f"convert {number}")
        if number == failing:
            raise MISFIT
        return page

    return convert


async def run(
    fetch_page: Callable[[int], Awaitable[Page | None]],
    convert: Callable[[Page | None], Page | None],
    pages: int = 6,
    last: int | None = None,
) -> tuple[int, list[int]]:
    """Run a window over pages 1..``pages`` (stopping after page ``last``); how many pages
    were handed over, and which."""
    handed: list[int] = []

    def on_page(number: int, page: Page | None) -> bool:
        handed.append(number)
        return last is None or number < last

    count = await fetch_in_order(
        range(1, pages + 1), fetch_page, convert, on_page, lambda h, f: True, 12, Holding()
    )
    return count, handed


async def test_pages_landed_behind_a_late_page_are_converted_before_it_lands() -> None:
    events: list[str] = []
    late = landing_after(lambda n: 100 if n == 1 else 1)

    async def fetch_page(number: int) -> Page | None:
        page = await late(number)
        if number == 1:
            events.append("landed 1")
        return page

    assert await run(fetch_page, converting(events)) == (6, [1, 2, 3, 4, 5, 6])
    assert events == [*(f"convert {n}" for n in range(2, 7)), "landed 1", "convert 1"]


async def test_no_page_is_converted_while_pages_land_turn_after_turn() -> None:
    events: list[str] = []
    one_a_turn = landing_after(lambda n: n, events)
    assert await run(one_a_turn, converting(events)) == (6, [1, 2, 3, 4, 5, 6])
    assert events == [
        *(f"landed {n}" for n in range(1, 7)),
        *(f"convert {n}" for n in range(1, 7)),
    ]


async def test_a_page_after_the_end_that_fails_to_convert_does_not_fail_the_run() -> None:
    fetch_page = landing_after(lambda n: 20 if n <= 2 else 1)
    count, handed = await run(fetch_page, converting([], failing=3), pages=4, last=2)
    assert (count, handed) == (2, [1, 2])


async def test_a_page_that_fails_to_convert_fails_the_run_when_its_turn_comes() -> None:
    handed: list[int] = []

    def on_page(number: int, page: Page | None) -> bool:
        handed.append(number)
        return True

    fetch_page = landing_after(lambda n: 20 if n == 1 else 1)
    with pytest.raises(InvalidResponseError, match=r"Order\.id"):
        await fetch_in_order(
            range(1, 7),
            fetch_page,
            converting([], failing=3),
            on_page,
            lambda h, f: True,
            12,
            Holding(),
        )
    assert handed == [1, 2]
