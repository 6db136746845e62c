"""A walk's pages are fetched by a task beside the caller, in a sliding window: the next
pages are requested while the caller is still taking the items of the pages before them,
never more than ``pages_ahead`` pages of items held; the fetching ends with the walk (closed,
abandoned) and with the client, which then starts no walk. Each test runs on asyncio and
trio (``anyio.run`` from a plain test: pytest-asyncio claims every async test for asyncio)."""

from __future__ import annotations

import contextlib
import gc
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import anyio.lowlevel
import httpx
import pytest

from galatea_async import AsyncGalatea
from galatea_async._pagination import paginate
from galatea_async._walk_tasks import WalkTasks

BACKENDS = ["asyncio", "trio"]
API_KEY = "sk_test_sliding_0123456789abcdef"


def dropped_unfinished(backend: str) -> contextlib.AbstractContextManager[Any]:
    """Where an async generator is dropped before its end: trio warns (and closes it)."""
    if backend == "trio":
        return pytest.warns(ResourceWarning, match="garbage collected before it had been")
    return contextlib.nullcontext()


def run_on(backend: str, test: Callable[[], Awaitable[None]]) -> None:
    anyio.run(test, backend=backend)


class Item:
    def __init__(self, item_id: int, page: int) -> None:
        self.id = item_id
        self.page = page


def listing_page(page: int, size: int, total: int) -> dict[str, Any]:
    start = (page - 1) * size
    items = [{"id": i, "page": page} for i in range(start, min(start + size, total))]
    return {"count": total, "next": "n" if start + size < total else None, "results": items}


def to_item(data: dict[str, Any]) -> Item:
    return Item(data["id"], data["page"])


class StalledFromPage3:
    """A listing of 1,000 items whose pages from 3 on never land; counts the requests waiting."""

    def __init__(self) -> None:
        self.waiting = 0

    async def __call__(self, page: int, size: int) -> Any:
        if page >= 3:
            self.waiting += 1
            try:
                await anyio.sleep_forever()
            finally:
                self.waiting -= 1
        await anyio.lowlevel.checkpoint()
        return listing_page(page, size, 1000)


class HeldListing:
    """A listing of 100 pages of 10 whose pages 2-9 land at once and later pages never."""

    def __init__(self) -> None:
        self.requested: list[int] = []

    async def fetch(self, page: int, size: int) -> Any:
        self.requested.append(page)
        if page >= 10:
            await anyio.sleep_forever()
        await anyio.lowlevel.checkpoint()
        return listing_page(page, size, 1000)

    def walk(self) -> Any:
        return aiter(
            paginate(self.fetch, page_size=10, concurrent_pages=8, pages_ahead=8, convert=to_item)
        )


async def take(iterator: Any, count: int) -> list[Item]:
    return [await anext(iterator) for _ in range(count)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_next_page_is_requested_before_the_caller_takes_the_last_item_of_the_pages_held(
    backend: str,
) -> None:
    async def walk() -> None:
        listing = HeldListing()
        iterator = listing.walk()
        taken = await take(iterator, 81)  # pages 1-8, and the first item of page 9
        assert taken[-1].page == 9
        await anyio.wait_all_tasks_blocked()
        # Pages 2-9 were the eight pages held: once the caller took page 2, page 10 went out.
        assert 10 in listing.requested
        await iterator.aclose()

    run_on(backend, walk)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_caller_that_stops_taking_holds_the_walk_at_pages_ahead(backend: str) -> None:
    async def walk() -> None:
        listing = HeldListing()
        iterator = listing.walk()
        await take(iterator, 11)  # page 1, and the first item of page 2
        await anyio.wait_all_tasks_blocked()
        # Page 2 (being taken) to 9 are the eight pages held: nothing past them is asked for.
        assert sorted(listing.requested) == list(range(1, 10))
        await iterator.aclose()

    run_on(backend, walk)


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_page_is_requested_once_and_every_item_yielded_in_order(backend: str) -> None:
    requested: list[int] = []

    async def fetch(page: int, size: int) -> Any:
        requested.append(page)
        for _ in range(page % 5):  # pages land out of order
            await anyio.lowlevel.checkpoint()
        return listing_page(page, size, 1000)

    async def walk() -> None:
        ids = []
        async for item in paginate(
            fetch, page_size=10, concurrent_pages=6, pages_ahead=4, convert=to_item
        ):
            ids.append(item.id)
            if item.id % 7 == 0:  # the caller gives the loop back now and then
                await anyio.lowlevel.checkpoint()
        assert ids == list(range(1000))

    run_on(backend, walk)
    assert sorted(requested) == list(range(1, 101))


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_abandoned_walk_leaves_no_task_running(backend: str) -> None:
    fetch = StalledFromPage3()

    async def walk() -> None:
        tasks = WalkTasks()
        iterator = aiter(paginate(fetch, page_size=10, pages_ahead=8, convert=to_item, tasks=tasks))
        for _ in range(11):  # into page 2: pages 3 and on are in flight
            await anext(iterator)
        await anyio.wait_all_tasks_blocked()
        assert fetch.waiting > 0 and tasks.running == 1
        with dropped_unfinished(backend):
            del iterator  # dropped without aclose: the event loop's finaliser closes it
            gc.collect()
        await anyio.wait_all_tasks_blocked()
        assert fetch.waiting == 0
        assert tasks.running == 0

    run_on(backend, walk)


@pytest.mark.parametrize("backend", BACKENDS)
def test_cancelling_the_caller_cancels_the_fetching(backend: str) -> None:
    fetch = StalledFromPage3()

    async def walk() -> None:
        tasks = WalkTasks()
        with anyio.CancelScope() as scope, dropped_unfinished(backend):
            async for item in paginate(fetch, page_size=10, convert=to_item, tasks=tasks):
                if item.page == 2:
                    scope.cancel()
                    await anyio.wait_all_tasks_blocked()
                    assert fetch.waiting > 0
                    await anyio.lowlevel.checkpoint()  # the caller is cancelled here
        assert scope.cancelled_caught
        await anyio.wait_all_tasks_blocked()
        assert fetch.waiting == 0
        assert tasks.running == 0

    run_on(backend, walk)


def tags_page(page: int) -> dict[str, Any]:
    tags = [{"id": str(uuid.UUID(int=2 * page + i)), "name": f"tag {page}.{i}"} for i in (0, 1)]
    return {"count": 1000, "next": "n", "results": tags}


def mock_client(handler: Callable[[httpx.Request], Awaitable[httpx.Response]]) -> AsyncGalatea:
    return AsyncGalatea(
        api_key=API_KEY,
        base_url="https://galatea.test",
        transport=httpx.MockTransport(handler),  # type: ignore[arg-type]
        max_retries=0,
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_closing_the_client_ends_its_walks_with_a_clear_error(backend: str) -> None:
    async def walk() -> None:
        in_flight = anyio.Event()

        async def handler(request: httpx.Request) -> httpx.Response:
            page = int(request.url.params["page"])
            if page > 1:
                in_flight.set()
                await anyio.sleep_forever()
            return httpx.Response(200, json=tags_page(page))

        client = mock_client(handler)
        errors: list[BaseException] = []

        async def list_all() -> None:
            try:
                async for _tag in client.tags.list(page_size=2):
                    pass
            except RuntimeError as error:
                errors.append(error)

        async with anyio.create_task_group() as group:
            group.start_soon(list_all)
            await in_flight.wait()
            await client.aclose()
        assert client._walks.running == 0
        assert len(errors) == 1
        assert "closed while this listing was being read" in str(errors[0])

    run_on(backend, walk)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_closed_client_refuses_to_start_a_walk(backend: str) -> None:
    async def walk() -> None:
        requests: list[httpx.Request] = []

        async def handler(request: httpx.Request) -> httpx.Response:
            requests.append(request)
            return httpx.Response(200, json={"count": 0, "next": None, "results": []})

        client = mock_client(handler)
        await client.aclose()
        with pytest.raises(RuntimeError, match="client is closed, so it cannot list anything"):
            async for _order in client.orders.list():
                pass
        assert requests == []

    run_on(backend, walk)
