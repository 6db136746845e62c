"""How a listing walk keeps pages in flight: a landed page's slot is reused before its items
are turned into models, so converting a burst of pages never holds the next requests back."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import anyio
import pytest

from galatea_async._page_rules import Page
from galatea_async._page_window import Holding, fetch_in_order
from galatea_async._pagination import paginate
from galatea_async.errors import InvalidResponseError


def listing(total: int, events: list[tuple[str, int]]) -> Any:
    async def fetch(page: int, size: int) -> Any:
        events.append(("request", page))
        await anyio.sleep(0)
        start = (page - 1) * size
        items = [{"id": i, "page": page} for i in range(start, min(start + size, total))]
        return {"count": total, "next": "n" if start + size < total else None, "results": items}

    return fetch


async def test_the_next_page_is_requested_before_a_landed_page_is_converted() -> None:
    events: list[tuple[str, int]] = []

    def convert(item: dict[str, Any]) -> SimpleNamespace:
        events.append(("convert", item["page"]))
        return SimpleNamespace(id=item["id"])

    found = [
        item.id
        async for item in paginate(
            listing(8, events), page_size=1, concurrent_pages=2, convert=convert
        )
    ]
    assert found == list(range(8))
    # Pages 2 and 3 go out together; when page 2 lands, page 4 takes its slot first.
    assert events.index(("request", 4)) < events.index(("convert", 2))
    assert events.index(("request", 5)) < events.index(("convert", 3))


async def test_items_are_yielded_in_page_order_whatever_order_pages_land_in() -> None:
    # Pages that land early are converted early (while the one before them is in flight);
    # what the caller gets stays in page order, each item converted once.
    converted: list[int] = []

    async def fetch(page: int, size: int) -> Any:
        for _ in range(10 - page):  # later pages land first
            await anyio.sleep(0)
        return {"count": 9, "next": "n" if page < 9 else None, "results": [{"id": page}]}

    def convert(item: dict[str, Any]) -> SimpleNamespace:
        converted.append(item["id"])
        return SimpleNamespace(id=item["id"])

    found = [item.id async for item in paginate(fetch, page_size=1, convert=convert)]
    assert found == list(range(1, 10))
    assert sorted(converted) == list(range(1, 10))


async def test_an_item_that_fails_to_convert_fails_the_walk_with_its_own_error() -> None:
    def convert(item: dict[str, Any]) -> SimpleNamespace:
        if item["id"] == 5:
            raise InvalidResponseError("the API's answer does not fit the SDK: Order.id")
        return SimpleNamespace(id=item["id"])

    events: list[tuple[str, int]] = []
    seen: list[int] = []

    async def walk() -> None:
        async for item in paginate(listing(8, events), page_size=1, convert=convert):
            seen.append(item.id)

    with pytest.raises(InvalidResponseError, match=r"Order\.id"):
        await walk()
    assert 5 not in seen


async def test_pages_requested_beyond_the_last_one_handed_over_are_bounded() -> None:
    # Page 1 of the run is slow; every other page lands at once and its slot asks for the
    # next: without the bound, slots would run on through the whole run before page 1 is
    # even judged.
    calls: list[int] = []
    requested_before_first_landed = 0

    async def fetch_page(number: int) -> Page | None:
        nonlocal requested_before_first_landed
        calls.append(number)
        if number == 1:
            for _ in range(50):
                await anyio.sleep(0)
            requested_before_first_landed = len(calls)
        else:
            await anyio.sleep(0)
        return Page(results=[{"id": number}], count=1000, has_next=True)

    handed = await fetch_in_order(
        range(1, 1001),
        fetch_page,
        lambda page: page,
        lambda number, page: number < 300,
        lambda held, in_flight: in_flight < 8,
        most_ahead=16,
        holding=Holding(),
    )
    assert handed == 300
    assert requested_before_first_landed <= 16
