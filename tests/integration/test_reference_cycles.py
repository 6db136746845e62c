"""Downloads and API calls leave nothing for the cycle collector, on both transports.

Every object a file or a page needs is freed by its reference count when the file or page is
done. An object caught in a reference cycle lives on until a collection finds it, and a batch
of thousands of files would hand thousands of them to the full (generation 2) collections
that stall the event loop. ``gc.DEBUG_SAVEALL`` keeps whatever a collection finds in
``gc.garbage`` instead of freeing it, so the test sees every cycle made while it ran.
"""

from __future__ import annotations

import collections
import gc
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from galatea_async import AsyncGalatea
from galatea_async.emulator import Emulator
from tests.transports import make_transport

pytestmark = [pytest.mark.usefixtures("transport_kind"), pytest.mark.slow]

FILES = 100


async def cyclic_garbage(work: Callable[[], Awaitable[Any]]) -> collections.Counter[str]:
    """The kinds of object left in reference cycles while ``work`` ran (by type name)."""
    gc.collect()  # what earlier tests left is freed, not counted
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        await work()
        gc.collect()
        return collections.Counter(type(thing).__qualname__ for thing in gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


@pytest.fixture
async def client(
    emulator: Emulator, emulator_url: str, transport_kind: str
) -> AsyncIterator[AsyncGalatea]:
    async with AsyncGalatea(
        api_key=emulator.api_key, base_url=emulator_url, transport=make_transport(transport_kind)
    ) as galatea:
        yield galatea


async def test_a_batch_of_downloads_leaves_no_reference_cycles(
    emulator: Emulator, client: AsyncGalatea, tmp_path: Path
) -> None:
    items = [
        (emulator.add_order(result_sizes={"SUMMARY_CHROMS": 4096}), "SUMMARY_CHROMS")
        for _ in range(FILES)
    ]
    # Connections, the thread pool and anything built on first use exist before counting.
    await client.results.download_many(items[:2], tmp_path / "warm")
    outcomes: list[Any] = []

    async def download() -> None:
        outcomes.extend(await client.results.download_many(items, tmp_path / "batch"))

    garbage = await cyclic_garbage(download)
    assert [outcome.error for outcome in outcomes] == [None] * FILES
    # One object in a cycle per file would be FILES of them; allow nothing of the kind.
    assert sum(garbage.values()) < FILES, garbage.most_common(12)


async def test_listing_pages_leaves_no_reference_cycles(
    emulator: Emulator, client: AsyncGalatea
) -> None:
    for _ in range(FILES):
        emulator.add_order(result_sizes={"SUMMARY_CHROMS": 16})
    [order async for order in client.orders.list(page_size=10)]  # warm
    seen: list[str] = []

    async def list_orders() -> None:
        seen.extend([order.id async for order in client.orders.list(page_size=5)])

    garbage = await cyclic_garbage(list_orders)
    assert len(seen) == FILES
    # FILES / 5 pages: a cycle per page would leave at least that many objects.
    assert sum(garbage.values()) < FILES // 5, garbage.most_common(12)
