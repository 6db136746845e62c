"""A listing walk remembers every id it handed over, exactly, in about 16 bytes an id once
there are many: the one part of ``results.sync``'s memory that grows with the listing."""

from __future__ import annotations

import tracemalloc
import uuid
from typing import Any

import anyio
import pytest

from galatea_async import _seen_ids
from galatea_async._pagination import paginate
from galatea_async._seen_ids import PLAIN_LIMIT, SeenIds, _holds


def ids(count: int, *, start: int = 0) -> list[str]:
    return [
        str(uuid.UUID(int=(n + 1) * 0x9E3779B97F4A7C15_F39CC0605CEDC835 % (1 << 128)))
        for n in range(start, start + count)
    ]


@pytest.fixture
def small_limit(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(_seen_ids, "PLAIN_LIMIT", 4)
    return 4


def test_each_id_is_new_once_before_and_after_the_plain_limit(small_limit: int) -> None:
    seen = SeenIds()
    keys = ids(50)
    assert [seen.add_new(key) for key in keys] == [True] * 50
    assert [seen.add_new(key) for key in keys] == [False] * 50
    assert all(key in seen for key in keys)
    assert all(key not in seen for key in ids(50, start=50))
    assert len(seen) == 50


def test_another_spelling_of_a_kept_id_is_another_id(small_limit: int) -> None:
    seen = SeenIds()
    keys = ids(10)
    for key in keys:
        seen.add_new(key)
    last = keys[-1]  # kept as its 16 bytes
    assert last.upper() not in seen
    assert seen.add_new(last.upper())
    assert seen.add_new(last.replace("-", ""))
    assert not seen.add_new(last)


def test_ids_that_are_not_canonical_uuids_are_kept_as_they_are(small_limit: int) -> None:
    seen = SeenIds()
    for key in ids(10):
        seen.add_new(key)
    for key in (7, "order-7", "", ("a", 1), "0" * 36):
        assert seen.add_new(key)
        assert key in seen
        assert not seen.add_new(key)


def test_a_match_across_two_kept_ids_is_not_a_kept_id() -> None:
    first, second = (uuid.UUID(key).bytes for key in ids(2))
    bucket = bytearray(first + second)
    assert _holds(bucket, second)
    assert _holds(bucket, first)
    assert not _holds(bucket, first[8:] + second[:8])


def test_each_id_past_the_plain_limit_costs_about_16_bytes() -> None:
    keys = ids(PLAIN_LIMIT + 100_000)

    def traced_after(count: int) -> int:
        seen = SeenIds()
        tracemalloc.start()
        try:
            for key in keys[:count]:
                seen.add_new(key)
            return tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()

    at_limit = traced_after(PLAIN_LIMIT)
    past_limit = traced_after(PLAIN_LIMIT + 100_000)
    # A set would add a slot of 16 bytes at least and a table that doubles (here to 2^18
    # slots, 4 MiB); text would add 85 bytes an id.
    assert past_limit - at_limit < 100_000 * 20


async def test_a_walk_hands_an_order_over_once_when_a_later_page_repeats_it(
    small_limit: int,
) -> None:
    keys = ids(10)
    # Page 3 repeats an id kept in the set (keys[1]) and one kept as bytes (keys[5]).
    pages = {1: keys[0:4], 2: keys[4:8], 3: [keys[8], keys[5], keys[9], keys[1]]}

    async def fetch(page: int, size: int) -> Any:
        await anyio.sleep(0)
        results = [{"id": key} for key in pages.get(page, [])]
        return {"count": 12, "next": "n" if page < 3 else None, "results": results}

    found = [item["id"] async for item in paginate(fetch, page_size=4)]
    assert found == keys
