"""API calls without a body go straight onto the default transport's aiohttp session (no
httpx request, response or cookie extraction per call), and still keep every cookie a
server sets, on both transports."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from galatea_async import AsyncGalatea, RetryPolicy
from tests import payloads
from tests.request_support import Answer, ScriptedServer
from tests.transports import make_transport

API_KEY = "direct-api-calls-key-0123456789"
ORDERS = "/api/v1/exec/orders"
ME = "/api/v1/users/me"
JSON = {"Content-Type": "application/json"}
USER = Answer(200, JSON, json.dumps(payloads.user()).encode())


@pytest.fixture
async def server() -> AsyncIterator[ScriptedServer]:
    async with ScriptedServer() as running:
        yield running


def client_for(server: ScriptedServer, transport_kind: str) -> AsyncGalatea:
    return AsyncGalatea(
        api_key=API_KEY,
        base_url=server.base_url,
        transport=make_transport(transport_kind),
        retry_policy=RetryPolicy(max_retries=1, backoff_initial=0.0, backoff_max=0.0),
    )


def _listing_page(request: Any) -> Answer:
    number = int(request.query["page"])
    orders = [payloads.order(str(uuid.UUID(int=number * 10 + index))) for index in range(2)]
    next_url = f"{ORDERS}?page={number + 1}" if number < 3 else None
    return Answer(200, JSON, json.dumps(payloads.page(orders, count=6, next_url=next_url)).encode())


async def test_listing_pages_on_the_default_transport_build_no_httpx_object(
    server: ScriptedServer, httpx_objects: dict[str, int]
) -> None:
    server.on_call(ORDERS, _listing_page)
    async with client_for(server, "aiohttp") as client:
        httpx_objects.clear()
        orders = [order async for order in client.orders.list(page_size=2)]
    assert len({order.id for order in orders}) == 6
    assert httpx_objects == {}
    sent = server.seen(ORDERS)
    assert len(sent) == 3
    assert {request.headers["authorization"] for request in sent} == {f"Bearer {API_KEY}"}
    assert {request.headers["accept"] for request in sent} == {"application/json"}
    assert {request.headers["accept-encoding"] for request in sent} == {"gzip, deflate"}
    assert {request.headers["user-agent"].split("/")[0] for request in sent} == {"galatea-async"}


@pytest.mark.parametrize("kind", ["aiohttp", "httpx"])
async def test_a_cookie_an_api_answer_sets_goes_back_with_the_later_api_calls(
    server: ScriptedServer, kind: str
) -> None:
    server.on(ME, Answer(200, {**JSON, "Set-Cookie": "lb=node-7; Path=/"}, USER.body), USER)
    async with client_for(server, kind) as client:
        for _ in range(3):
            await client.users.me()
    cookies = [request.headers.get("cookie") for request in server.seen(ME)]
    assert cookies == [None, "lb=node-7", "lb=node-7"]


@pytest.mark.parametrize("kind", ["aiohttp", "httpx"])
async def test_a_cookie_set_on_an_error_answer_is_kept_too(
    server: ScriptedServer, kind: str
) -> None:
    busy = Answer(503, {**JSON, "Set-Cookie": "lb=node-2; Path=/"}, b'{"detail": "busy"}')
    server.on(ME, busy, USER)
    async with client_for(server, kind) as client:
        await client.users.me()
    assert [request.headers.get("cookie") for request in server.seen(ME)] == [None, "lb=node-2"]


async def test_a_users_http_client_sends_every_api_call_itself(
    server: ScriptedServer, httpx_objects: dict[str, int]
) -> None:
    server.on_call(ORDERS, _listing_page)
    http = httpx.AsyncClient(transport=make_transport("aiohttp"))
    async with AsyncGalatea(api_key=API_KEY, base_url=server.base_url, http_client=http) as client:
        httpx_objects.clear()
        orders = [order async for order in client.orders.list(page_size=2)]
    assert len(orders) == 6
    assert httpx_objects["send"] == 3
    await http.aclose()
