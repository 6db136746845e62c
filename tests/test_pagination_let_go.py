"""The items of a window already yielded are let go of once the next window's requests are
sent, not before: freeing thousands of models takes milliseconds, during which no request
would be in flight."""

from __future__ import annotations

import weakref
from typing import Any

from galatea_async._pagination import paginate


class Item:
    def __init__(self, item_id: int, page: int) -> None:
        self.id = item_id
        self.page = page


async def test_yielded_items_are_let_go_after_the_next_windows_first_requests_are_sent() -> None:
    events: list[tuple[str, int]] = []

    async def fetch(page: int, size: int) -> Any:
        events.append(("request", page))
        start = (page - 1) * size
        items = [{"id": i, "page": page} for i in range(start, min(start + size, 100))]
        return {"count": 100, "next": "n" if start + size < 100 else None, "results": items}

    def convert(data: dict[str, Any]) -> Item:
        item = Item(data["id"], data["page"])
        weakref.finalize(item, events.append, ("freed", data["page"]))
        return item

    yielded = 0
    async for item in paginate(
        fetch, page_size=10, concurrent_pages=2, pages_ahead=4, convert=convert
    ):
        yielded += 1
        del item
    assert yielded == 100

    def first(event: tuple[str, int]) -> int:
        return events.index(event)

    # Page 1 is handed up alone, then windows of four pages: 2-5, 6-9, 10.
    assert first(("request", 2)) < first(("freed", 1))
    assert first(("request", 6)) < min(first(("freed", page)) for page in range(2, 6))
    assert first(("request", 10)) < min(first(("freed", page)) for page in range(6, 10))
    # ...and before the next window's pages are converted: never two windows of items alive.
    assert max(first(("freed", page)) for page in range(2, 6)) < first(("freed", 6))
