"""Listings and look-ups against the emulator over real TCP, on both transports.

- a listing that changes while it is walked (orders created and leaving the listing between
  page answers, driven from the test, no sleeps) yields every order present throughout
  exactly once and nothing twice;
- ``orders.get``/``files.get`` make one request; a miss is a ``NotFoundError`` carrying the
  method and path of the look-up; a server that ignores the filter is an
  ``InvalidResponseError`` after one page, and ``orders.submit`` then sends no POST.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from galatea_async import AsyncGalatea, OrderStatus
from galatea_async.emulator import Emulator
from galatea_async.emulator._serve import serve_app
from galatea_async.errors import InvalidResponseError, NotFoundError
from tests.transports import make_transport


class OnListingRequest:
    """Runs ``actions[n]`` just before the n-th GET of ``path`` reaches the emulator."""

    def __init__(self, app: ASGIApp, path: str, actions: dict[int, Callable[[], None]]) -> None:
        self.app = app
        self.path = path
        self.actions = actions
        self.seen = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"] == self.path:
            self.seen += 1
            action = self.actions.get(self.seen)
            if action is not None:
                action()
        await self.app(scope, receive, send)


class IgnoringFilters:
    """The emulator behind a proxy that drops ``filter=`` and ``file=`` from every query."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            pairs = scope.get("query_string", b"").split(b"&")
            kept = [p for p in pairs if not p.startswith((b"filter=", b"file="))]
            scope = {**scope, "query_string": b"&".join(kept)}
        await self.app(scope, receive, send)


@pytest.fixture
def served(emulator: Emulator, transport_kind: str) -> Any:
    """``async with served(app) as client``: ``app`` (in front of ``emulator``) over TCP."""

    @contextlib.asynccontextmanager
    async def serve(app: ASGIApp) -> AsyncIterator[AsyncGalatea]:
        async with (
            serve_app(app) as url,
            AsyncGalatea(
                api_key=emulator.api_key, base_url=url, transport=make_transport(transport_kind)
            ) as client,
        ):
            yield client

    return serve


def listing_requests(emulator: Emulator, fragment: str) -> int:
    return sum(1 for r in emulator.requests if r.method == "GET" and r.path.endswith(fragment))


# --- what a walk guarantees ----------------------------------------------------------------


def completed_orders(emulator: Emulator, count: int) -> list[str]:
    """``count`` completed orders, newest first, a minute apart."""
    source = emulator.add_file("cohort.txt")["id"]
    now = emulator.clock.now()
    ids = [
        emulator.add_order(
            source, status=OrderStatus.COMPLETED, created_at=now - timedelta(days=1, minutes=n)
        )
        for n in range(count)
    ]
    return ids


@pytest.mark.parametrize(
    "plan",
    [
        "created at the front",
        "deleted from pages already read",
        "created and deleted",
        "more deleted than a page",
    ],
)
async def test_a_listing_changing_during_the_walk_yields_each_lasting_order_once(
    emulator: Emulator, served: Any, plan: str
) -> None:
    initial = completed_orders(emulator, 60)  # 12 pages of 5
    source = emulator.add_file("late.txt")["id"]
    created: list[str] = []
    gone: set[str] = set()

    def create(how_many: int) -> Callable[[], None]:
        def action() -> None:
            newest = emulator.clock.now() - timedelta(hours=1)
            for _ in range(how_many):
                created.append(
                    emulator.add_order(source, status=OrderStatus.COMPLETED, created_at=newest)
                )

        return action

    def leave(*positions: int) -> Callable[[], None]:
        # An order that fails no longer belongs to status_group=completed: for this
        # listing it is deleted.
        def action() -> None:
            for position in positions:
                order_id = initial[position]
                if order_id not in gone:
                    emulator.set_order_status(order_id, OrderStatus.FAILED)
                    gone.add(order_id)

        return action

    actions = {
        "created at the front": {3: create(2), 6: create(4)},
        "deleted from pages already read": {4: leave(0, 1), 7: leave(2)},
        "created and deleted": {3: create(3), 5: leave(0, 4), 8: create(1)},
        "more deleted than a page": {4: leave(*range(7))},
    }[plan]
    app = OnListingRequest(emulator.app, "/api/v1/exec/orders", actions)
    async with served(app) as client:
        found = [
            order.id async for order in client.orders.list(status_group="completed", page_size=5)
        ]
    assert len(found) == len(set(found)), "an order was yielded twice"
    lasting = set(initial) - gone
    assert lasting <= set(found), f"{len(lasting - set(found))} lasting orders were not yielded"
    assert set(found) <= set(initial) | set(created)


# --- single-object look-ups -----------------------------------------


async def test_an_unknown_order_is_a_not_found_error_naming_the_look_up(
    emulator: Emulator, live_client: AsyncGalatea
) -> None:
    wanted = str(uuid.uuid4())
    with pytest.raises(NotFoundError) as caught:
        await live_client.orders.get(wanted)
    error = caught.value
    assert (error.status_code, error.method, error.path) == (404, "GET", "/api/v1/exec/orders")
    assert str(error).startswith(f"GET /api/v1/exec/orders -> 404: no order with id {wanted}")
    assert listing_requests(emulator, "/exec/orders") == 1


async def test_an_unknown_source_file_is_a_not_found_error_naming_the_look_up(
    emulator: Emulator, live_client: AsyncGalatea
) -> None:
    wanted = str(uuid.uuid4())
    with pytest.raises(NotFoundError) as caught:
        await live_client.files.get(wanted)
    error = caught.value
    assert (error.method, error.path) == ("GET", "/api/v1/data/files")
    assert str(error).startswith(f"GET /api/v1/data/files -> 404: no source file with id {wanted}")


async def test_a_look_up_finds_the_order_and_the_file(
    emulator: Emulator, live_client: AsyncGalatea
) -> None:
    order_ids = completed_orders(emulator, 3)
    order = await live_client.orders.get(order_ids[1])
    assert order.id == order_ids[1]
    source_file = await live_client.files.get(str(order.src_file_id))
    assert source_file.id == order.src_file_id


async def test_orders_get_on_a_server_ignoring_the_filter_fails_after_one_page(
    emulator: Emulator, served: Any
) -> None:
    completed_orders(emulator, 200)
    async with served(IgnoringFilters(emulator.app)) as client:
        with pytest.raises(InvalidResponseError, match=r"ignored the filter"):
            await client.orders.get(str(uuid.uuid4()))
    assert listing_requests(emulator, "/exec/orders") == 1


async def test_files_get_on_a_server_ignoring_the_filter_fails_after_one_page(
    emulator: Emulator, served: Any
) -> None:
    for number in range(30):
        emulator.add_file(f"sample-{number}.txt")
    async with served(IgnoringFilters(emulator.app)) as client:
        with pytest.raises(InvalidResponseError, match=r"ignored the filter"):
            await client.files.get(str(uuid.uuid4()))
    assert listing_requests(emulator, "/data/files") == 1


async def test_submit_on_a_server_ignoring_the_filter_fails_before_its_post(
    emulator: Emulator, served: Any
) -> None:
    completed_orders(emulator, 200)
    fresh = emulator.add_file("fresh.txt")["id"]
    before = len(emulator.state.orders)
    async with served(IgnoringFilters(emulator.app)) as client:
        with pytest.raises(InvalidResponseError, match=r"nothing was submitted"):
            await client.orders.submit(fresh, "ancestry data model one")
    assert len(emulator.state.orders) == before
    assert not any(r.method == "POST" for r in emulator.requests)
    assert listing_requests(emulator, "/exec/orders") == 1
