"""A walk holds at most its window's items (``pages_ahead`` pages' worth) and the page it
judges the next one against: items already yielded are let go, also while the next window's
pages are fetched."""

from __future__ import annotations

import weakref
from typing import Any

from galatea_async._pagination import paginate


class Item:
    def __init__(self, item_id: int) -> None:
        self.id = item_id


async def test_items_already_yielded_are_let_go_while_the_next_window_is_fetched() -> None:
    alive: weakref.WeakSet[Item] = weakref.WeakSet()
    most_alive = 0

    async def fetch(page: int, size: int) -> Any:
        start = (page - 1) * size
        items = [{"id": i} for i in range(start, min(start + size, 200))]
        return {"count": 200, "next": "n" if start + size < 200 else None, "results": items}

    def convert(data: dict[str, Any]) -> Item:
        nonlocal most_alive
        item = Item(data["id"])
        alive.add(item)
        most_alive = max(most_alive, len(alive))
        return item

    yielded = 0
    async for item in paginate(
        fetch, page_size=10, concurrent_pages=2, pages_ahead=4, convert=convert
    ):
        yielded += 1
        del item
    assert yielded == 200
    # The window's 40 items, page 1's (the walk starts from it) and the page the next one in
    # order is compared with: never the window already yielded as well.
    assert most_alive <= 40 + 2 * 10
