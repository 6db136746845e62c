"""A walk that converts its items looks up each item's id once, on the converted item: the
JSON object it came from is never asked for one."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

import galatea_async._page_rules as page_rules
from galatea_async._pagination import paginate


async def test_a_converting_walk_looks_up_each_items_id_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    looked_up: list[Any] = []
    original = page_rules.item_id

    def counting(item: Any) -> Any:
        looked_up.append(item)
        return original(item)

    monkeypatch.setattr(page_rules, "item_id", counting)

    async def fetch(page: int, size: int) -> Any:
        start = (page - 1) * size
        items = [{"id": i} for i in range(start, min(start + size, 30))]
        return {"count": 30, "next": "n" if start + size < 30 else None, "results": items}

    found = [
        item.id
        async for item in paginate(
            fetch, page_size=10, convert=lambda item: SimpleNamespace(id=item["id"])
        )
    ]
    assert found == list(range(30))
    assert len(looked_up) == 30
    assert all(isinstance(item, SimpleNamespace) for item in looked_up)
