"""Hostile listings (a server that cycles, ignores
``page_size`` or ``filter``, and lies about ``count``).

A walk always ends: quietly where the server merely repeats itself or overstates ``count``,
with ``InvalidResponseError`` naming the problem where it cycles or ignores ``filter``; never
with unbounded requests, never yielding an item twice, and holding a bounded number of items.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from galatea_async.errors import InvalidResponseError, NotFoundError, ServiceUnavailableError
from tests.integration.hostile.checks import assert_no_canary, peak_memory, rendered
from tests.integration.hostile.conftest import Connect
from tests.integration.hostile.scripts import answer, new_id, order, page, source_file
from tests.integration.hostile.server import HostileServer, Reply, Request, Script

ORDERS = "exec/orders"
HUGE_COUNT = 10**9


def pages_by_number(
    pages: list[list[dict[str, Any]]],
    *,
    count: Any = None,  # null: no count
    beyond: str = "cycle",
    next_url: str | None = "auto",
) -> Script:
    """Page ``n`` of a listing: ``pages[n - 1]``; past the last, per ``beyond``: ``cycle``
    (start again), ``clamp`` (the last page again), ``empty`` or ``404``."""

    async def script(request: Request, reply: Reply) -> None:
        number = int(request.query.get("page", "1"))
        if number > len(pages) and beyond == "404":
            await reply.json({"detail": "Invalid page."}, status=404)
            return
        if number > len(pages) and beyond == "empty":
            results: list[dict[str, Any]] = []
        elif beyond == "clamp":
            results = pages[min(number, len(pages)) - 1]
        else:
            results = pages[(number - 1) % len(pages)]
        link = next_url
        if link == "auto":
            link = f"{request.path}?page={number + 1}"
        await reply.json(page(results, count=count, next_url=link))

    return script


def orders_pages(how_many: int, per_page: int = 5) -> list[list[dict[str, Any]]]:
    return [[order() for _ in range(per_page)] for _ in range(how_many)]


async def collect(items: AsyncIterator[Any], into: list[str]) -> None:
    async for item in items:
        into.append(item.id)


def ids(pages: list[list[dict[str, Any]]]) -> list[str]:
    return [item["id"] for one_page in pages for item in one_page]


# -- 10.3: a listing that cycles ends ----------------------------------------------------------


@pytest.mark.parametrize("count", [HUGE_COUNT, None], ids=["count-1e9", "no-count"])
async def test_cycling_listing_raises_naming_the_cycle(
    server: HostileServer, connect: Connect, count: int | None
) -> None:
    pages = orders_pages(2)
    server.on("GET", ORDERS, pages_by_number(pages, count=count))
    yielded: list[str] = []
    with pytest.raises(InvalidResponseError, match="cycling") as caught:
        await collect(connect().orders.list(page_size=5), yielded)
    assert_no_canary(rendered(caught.value))
    assert sorted(yielded) == sorted(ids(pages))  # what came before the cycle stays yielded
    # The first page, the four pages judged up to the cycle, and beyond them at most twice
    # the pages in flight (24 in flight, 24 that took the slots of pages landed unjudged).
    assert server.count("GET", ORDERS) <= 1 + 4 + 2 * 24


@pytest.mark.parametrize("count", [HUGE_COUNT, None], ids=["count-1e9", "no-count"])
async def test_listing_that_repeats_its_last_page_ends_quietly(
    server: HostileServer, connect: Connect, count: int | None
) -> None:
    pages = orders_pages(3)
    server.on("GET", ORDERS, pages_by_number(pages, count=count, beyond="clamp"))
    yielded: list[str] = []
    await collect(connect().orders.list(page_size=5), yielded)
    assert yielded == ids(pages)
    # Page 1, the three judged up to the repeated one, at most twice the pages in flight.
    assert server.count("GET", ORDERS) <= 1 + 3 + 2 * 24


# -- the listing items: a server that lies about count -------------------------------------------


@pytest.mark.parametrize("beyond", ["404", "empty"])
async def test_count_overstated_ends_where_the_pages_end(
    server: HostileServer, connect: Connect, beyond: str
) -> None:
    pages = orders_pages(3)
    server.on("GET", ORDERS, pages_by_number(pages, count=HUGE_COUNT, beyond=beyond))
    yielded: list[str] = []
    await collect(connect().orders.list(page_size=5), yielded)
    assert yielded == ids(pages)
    assert server.count("GET", ORDERS) <= 1 + 32


async def test_count_that_changes_every_page_never_duplicates(
    server: HostileServer, connect: Connect
) -> None:
    pages = orders_pages(4)
    counts = iter([7, 400, 3, 10**6, 0, 20, 9, 15] * 10)

    async def shifting(request: Request, reply: Reply) -> None:
        number = int(request.query.get("page", "1"))
        results = pages[number - 1] if number <= len(pages) else []
        await reply.json(page(results, count=next(counts), next_url=f"{request.path}?page=x"))

    server.on("GET", ORDERS, shifting)
    yielded: list[str] = []
    await collect(connect().orders.list(page_size=5), yielded)
    assert len(yielded) == len(set(yielded))
    assert set(yielded) <= set(ids(pages))
    assert server.count("GET", ORDERS) <= 1 + 32 + 3


@pytest.mark.parametrize(
    "body",
    [
        {"count": 3, "next": None, "results": {"id": "0000abcd-0000-0000-0000-000000000001"}},
        {"count": 3, "next": None, "results": None},
        "a listing",
        17,
    ],
    ids=["results-object", "results-null", "a-string", "a-number"],
)
async def test_page_without_a_results_list_is_an_invalid_response(
    server: HostileServer, connect: Connect, body: Any
) -> None:
    server.on("GET", ORDERS, answer(body))
    with pytest.raises(InvalidResponseError, match="results") as caught:
        await collect(connect().orders.list(), [])
    assert_no_canary(rendered(caught.value))
    assert server.count("GET", ORDERS) == 1


async def test_next_link_to_another_origin_is_never_followed(
    server: HostileServer, elsewhere: HostileServer, connect: Connect
) -> None:
    pages = orders_pages(3)
    server.on(
        "GET", ORDERS, pages_by_number(pages, beyond="empty", next_url=f"{elsewhere.api_url}x")
    )
    elsewhere.on("GET", ".*", answer(page([order() for _ in range(5)])))
    yielded: list[str] = []
    await collect(connect().orders.list(page_size=5), yielded)
    assert yielded == ids(pages)
    assert elsewhere.requests == []


async def test_failing_prefetched_pages_raise_the_mapped_error(
    server: HostileServer, connect: Connect
) -> None:
    first = [order() for _ in range(5)]

    async def failing_after_the_first(request: Request, reply: Reply) -> None:
        if request.query.get("page") == "1":
            await reply.json(page(first, count=100, next_url="x"))
        else:
            await reply.json({"detail": "overloaded"}, status=503)

    server.on("GET", ORDERS, failing_after_the_first)
    yielded: list[str] = []
    with pytest.raises(ServiceUnavailableError, match="overloaded") as caught:
        await collect(connect().orders.list(page_size=5), yielded)
    assert_no_canary(rendered(caught.value))
    assert yielded == [item["id"] for item in first]


# -- 10.4: a look-up whose filter the server ignores ----------------------------------------------


@pytest.mark.parametrize("resource", ["orders", "files"])
async def test_get_on_a_server_that_ignores_filter_reads_one_page(
    server: HostileServer, connect: Connect, resource: str
) -> None:
    route = ORDERS if resource == "orders" else "data/files"
    strangers = [
        [order() if resource == "orders" else source_file(new_id(), b"x") for _ in range(10)]
        for _ in range(3)
    ]
    server.on("GET", route, pages_by_number(strangers, count=HUGE_COUNT))
    client = connect()
    lookup = client.orders.get if resource == "orders" else client.files.get
    with pytest.raises(InvalidResponseError, match="filter") as caught:
        await lookup(new_id())
    assert_no_canary(rendered(caught.value))
    assert server.count("GET", route) == 1


async def test_submit_on_a_server_that_ignores_filter_posts_nothing(
    server: HostileServer, connect: Connect
) -> None:
    strangers = [[order(src_file_id=new_id()) for _ in range(10)] for _ in range(3)]
    server.on("GET", ORDERS, pages_by_number(strangers, count=HUGE_COUNT))
    server.on("POST", ORDERS, answer([order()], status=201))
    with pytest.raises(InvalidResponseError, match="filter") as caught:
        await connect().orders.submit(new_id(), "ancestry data model one")
    assert_no_canary(rendered(caught.value))
    assert server.count("POST", ORDERS) == 0
    assert server.count("GET", ORDERS) == 1


@pytest.mark.parametrize("resource", ["orders", "files"])
async def test_plain_miss_is_not_found_naming_the_lookup(
    server: HostileServer, connect: Connect, resource: str
) -> None:
    route = ORDERS if resource == "orders" else "data/files"
    server.on("GET", route, answer(page([])))
    client = connect()
    lookup = client.orders.get if resource == "orders" else client.files.get
    with pytest.raises(NotFoundError) as caught:
        await lookup(new_id())
    assert caught.value.method == "GET"
    assert caught.value.path is not None and route in caught.value.path
    assert server.count("GET", route) == 1


# -- 10.7: memory follows what is held, not the server's page size --------------------------------

PAGES_SENT, PER_PAGE, ASKED = 20, 100, 5
# Each order carries 16 KB, so a page is 1.6 MB: twenty of them fetched ahead at once peak near
# 36 MiB; a window bounded by the items held (32 pages x 5 asked = 160 items) near 10 MiB.
HUGE_PAGES_BOUND = 20 << 20


def big_order() -> dict[str, Any]:
    return order(src_file_short_path="p" * 16_000)


async def test_server_ignoring_page_size_is_bounded_by_items_held(
    server: HostileServer, connect: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    total = PAGES_SENT * PER_PAGE
    bodies = [
        json.dumps(page([big_order() for _ in range(PER_PAGE)], count=total, next_url="x")).encode()
        for _ in range(PAGES_SENT)
    ]
    empty = json.dumps(page([], count=total)).encode()

    async def ignoring_page_size(request: Request, reply: Reply) -> None:
        number = int(request.query.get("page", "1"))
        await reply.json(bodies[number - 1] if number <= PAGES_SENT else empty)

    server.on("GET", ORDERS, ignoring_page_size)
    client = connect()
    seen = 0
    with peak_memory() as peak:
        async for _ in client.orders.list(page_size=ASKED):
            seen += 1
    assert seen == total
    assert peak.bytes < HUGE_PAGES_BOUND, f"{peak.mebibytes:.0f} MiB"
    # Every page once, plus at most a window's pages in flight (8) past the last one.
    assert server.count("GET", ORDERS) <= PAGES_SENT + 1 + 8
    warnings = [
        r for r in caplog.records if r.levelno == logging.WARNING and r.name.startswith("galatea")
    ]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    first_id = json.loads(bodies[0])["results"][0]["id"]
    assert first_id not in warnings[0].getMessage()
