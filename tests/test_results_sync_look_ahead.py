"""``results.sync`` reads the listing only a few pages ahead of its planning: a page of orders
means hundreds of files to download, so a deeper look-ahead would only hold orders in memory
(and give the collector more to walk) without making the sync faster."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from galatea_async import AsyncGalatea
from galatea_async._models import Order
from galatea_async.emulator import Emulator
from galatea_async.resources.orders import OrdersResource

PAGE = 100  # the listing's default page size, which the sync uses
PAGES = 20


def orders_alive() -> int:
    return sum(type(o) is Order for o in gc.get_objects())


@pytest.mark.slow
async def test_a_sync_holds_orders_of_its_few_pages_ahead_not_of_the_whole_listing(
    emulator: Emulator, live_client: AsyncGalatea, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(PAGE * PAGES):
        emulator.add_order(status="Canceled")
    alive: list[int] = []
    listing = OrdersResource.list

    def counting_list(self: OrdersResource, **options: Any) -> AsyncIterator[Order]:
        async def orders() -> AsyncIterator[Order]:
            async for index, order in aenumerate(listing(self, **options)):
                if index % PAGE == 0:
                    alive.append(orders_alive())
                yield order

        return orders()

    monkeypatch.setattr(OrdersResource, "list", counting_list)
    # Cancelled orders have no results: the sync walks the whole listing and fetches nothing.
    report = await live_client.results.sync(tmp_path, status_group="failed")

    assert report.ok and len(report.downloaded) == 0
    assert len(alive) == PAGES
    # Its 8 pages ahead, the page being converted and the one being planned; never the listing.
    assert max(alive) <= 10 * PAGE


async def aenumerate(items: AsyncIterator[Order]) -> AsyncIterator[tuple[int, Order]]:
    index = 0
    async for item in items:
        yield index, item
        index += 1
