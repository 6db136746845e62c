"""Which way out a request takes: bodiless requests straight onto the client's own aiohttp
session, a request with a body (and every request on another transport) through httpx."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from galatea_async import AsyncGalatea
from galatea_async.emulator import Emulator
from tests.transports import make_transport


def _count_httpx_sends(client: AsyncGalatea, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    sent: list[str] = []
    http = client._requester.http
    send = http.send

    async def counting_send(request: httpx.Request, **options: Any) -> httpx.Response:
        sent.append(f"{request.method} {request.url.path}")
        return await send(request, **options)

    monkeypatch.setattr(http, "send", counting_send)
    return sent


async def test_bodiless_api_calls_skip_httpx_on_the_default_transport(
    emulator: Emulator, emulator_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    order_id = emulator.add_order(status="Registered")
    async with AsyncGalatea(api_key=emulator.api_key, base_url=emulator_url) as client:
        sent = _count_httpx_sends(client, monkeypatch)
        found = await client.orders.get(order_id)
        listed = [str(item.id) async for item in client.orders.list()]
        await client.orders.cancel(order_id)  # a JSON body
    assert str(found.id) == order_id
    assert listed == [order_id]
    assert sent == ["POST /api/v1/exec/cancel"]


async def test_every_api_call_goes_through_httpx_on_httpx_s_transport(
    emulator: Emulator, emulator_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    order_id = emulator.add_order()
    async with AsyncGalatea(
        api_key=emulator.api_key, base_url=emulator_url, transport=make_transport("httpx")
    ) as client:
        sent = _count_httpx_sends(client, monkeypatch)
        await client.orders.get(order_id)
    assert sent == ["GET /api/v1/exec/orders"]
