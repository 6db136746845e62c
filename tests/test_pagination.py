"""The pagination helper: page planning, concurrent fetching in order, stop rules."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from galatea_async._pagination import paginate, parse_page, plan_pages
from galatea_async.errors import InvalidResponseError, NotFoundError


def make_server(total: int, *, repeat_from: int | None = None, empty_from: int | None = None):
    calls: list[int] = []
    in_flight = 0
    peak = 0

    async def fetch(page: int, size: int) -> Any:
        nonlocal in_flight, peak
        calls.append(page)
        in_flight += 1
        peak = max(peak, in_flight)
        await anyio.sleep(0)
        in_flight -= 1
        start = (page - 1) * size
        if repeat_from is not None and page >= repeat_from:
            start = (repeat_from - 2) * size
        if empty_from is not None and page >= empty_from:
            return {"count": total, "next": None, "results": []}
        if start >= total:
            raise NotFoundError("Invalid page.", status_code=404)
        items = [{"id": i} for i in range(start, min(start + size, total))]
        has_next = start + size < total
        return {"count": total, "next": "https://x/?page=n" if has_next else None, "results": items}

    return fetch, calls, lambda: peak


@pytest.mark.parametrize(
    ("count", "size", "limit", "pages"),
    [
        (0, 10, None, 1),
        (1, 10, None, 1),
        (10, 10, None, 1),
        (11, 10, None, 2),
        (10000, 100, None, 100),
        (10000, 100, 250, 3),
        (5, 10, 0, 1),
    ],
)
def test_plan_pages(count: int, size: int, limit: int | None, pages: int) -> None:
    assert plan_pages(count=count, page_size=size, limit=limit) == pages


def test_parse_page_accepts_bare_lists_and_rejects_garbage() -> None:
    assert parse_page([{"id": 1}]).results == [{"id": 1}]
    assert parse_page({"count": "x", "results": []}).count is None
    with pytest.raises(InvalidResponseError):
        parse_page({"results": "nope"})


async def test_walks_every_page_in_order_with_bounded_concurrency() -> None:
    fetch, calls, peak = make_server(1000)
    items = [item["id"] async for item in paginate(fetch, page_size=10, concurrent_pages=4)]
    assert items == list(range(1000))
    assert sorted(calls) == list(range(1, 101))
    assert 1 < peak() <= 4


async def test_limit_fetches_no_more_pages_than_needed() -> None:
    fetch, calls, _ = make_server(1000)
    items = [item async for item in paginate(fetch, page_size=10, limit=25)]
    assert len(items) == 25
    assert sorted(calls) == [1, 2, 3]


async def test_stops_on_a_repeated_page() -> None:
    fetch, _, _ = make_server(100, repeat_from=3)
    items = [item["id"] async for item in paginate(fetch, page_size=10, concurrent_pages=1)]
    assert items == list(range(20))


async def test_stops_on_an_empty_page() -> None:
    fetch, _, _ = make_server(100, empty_from=4)
    items = [item["id"] async for item in paginate(fetch, page_size=10)]
    assert items == list(range(30))


async def test_a_page_past_the_end_ends_the_listing() -> None:
    async def fetch(page: int, size: int) -> Any:
        if page == 1:
            return {"count": 30, "next": "n", "results": [{"id": i} for i in range(10)]}
        raise NotFoundError("Invalid page.", status_code=404)

    assert len([item async for item in paginate(fetch, page_size=10)]) == 10


async def test_without_count_follows_next_one_page_at_a_time() -> None:
    async def fetch(page: int, size: int) -> Any:
        return {"next": "n" if page < 3 else None, "results": [{"id": page}]}

    assert [item["id"] async for item in paginate(fetch, page_size=1)] == [1, 2, 3]


async def test_items_repeated_across_shifting_pages_are_yielded_once() -> None:
    async def fetch(page: int, size: int) -> Any:
        ids = {1: [1, 2], 2: [2, 3], 3: [4]}[page]
        return {"count": 5, "next": "n" if page < 3 else None, "results": [{"id": i} for i in ids]}

    assert [item["id"] async for item in paginate(fetch, page_size=2)] == [1, 2, 3, 4]
