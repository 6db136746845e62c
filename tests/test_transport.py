"""Both transports behave the same over real TCP: the aiohttp-backed default and httpx's own."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from galatea_async._http._httpx_transport import HttpxTransport
from galatea_async._http._transport import AiohttpTransport
from galatea_async._http._transport_choice import default_transport, httpx_transport
from tests.transfer_support import (
    FileServer,
    Resource,
    make_transport,
    pattern,
)


async def read_all(http_client: httpx.AsyncClient, path: str, **kwargs: Any) -> bytes:
    async with http_client.stream("GET", path, **kwargs) as response:
        return b"".join([chunk async for chunk in response.aiter_raw()])


def test_default_transport_is_aiohttp_backed() -> None:
    transport = default_transport(max_connections=7)
    assert isinstance(transport, AiohttpTransport)
    assert transport.limit == 7
    assert isinstance(httpx_transport(max_connections=7), HttpxTransport)


async def test_get_json(http_client: httpx.AsyncClient) -> None:
    response = await http_client.get("/json")
    assert response.status_code == 200
    assert response.json() == {"ok": True}
    assert response.http_version == "HTTP/1.1"


async def test_post_json_body_arrives_whole(http_client: httpx.AsyncClient) -> None:
    response = await http_client.post("/echo", json={"a": 1})
    echoed = response.json()
    assert echoed["length"] == len(b'{"a":1}')
    assert echoed["content_type"] == "application/json"


async def test_streamed_request_body_arrives_whole(http_client: httpx.AsyncClient) -> None:
    async def body() -> AsyncIterator[bytes]:
        for index in range(5):
            yield bytes([index]) * 100_000

    response = await http_client.post("/echo", content=body())
    assert response.json()["length"] == 500_000
    assert response.json()["transfer_encoding"] == "chunked"


async def test_streamed_request_body_with_length_is_not_chunked(
    http_client: httpx.AsyncClient,
) -> None:
    async def body() -> AsyncIterator[bytes]:
        yield b"x" * 1000
        yield b"y" * 24

    response = await http_client.post("/echo", content=body(), headers={"Content-Length": "1024"})
    assert response.json()["length"] == 1024
    assert response.json()["content_length"] == "1024"
    assert response.json()["transfer_encoding"] is None


async def test_gzip_body_is_decoded_by_httpx(http_client: httpx.AsyncClient) -> None:
    response = await http_client.get("/gzip-json")
    assert response.headers["content-encoding"] == "gzip"
    assert response.json() == {"zipped": True}


async def test_raw_body_stays_encoded(
    http_client: httpx.AsyncClient, file_server: FileServer
) -> None:
    file_server.add("/zipped", Resource(size=1000, gzip=True))
    async with http_client.stream("GET", "/zipped") as response:
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
    assert raw[:2] == b"\x1f\x8b"


async def test_redirect_is_not_followed_by_the_transport(http_client: httpx.AsyncClient) -> None:
    response = await http_client.get("/redirect")
    assert response.status_code == 302
    assert response.headers["location"] == "/json"


async def test_large_body_streams_intact(
    http_client: httpx.AsyncClient, file_server: FileServer
) -> None:
    size = 3 * (1 << 20) + 17
    file_server.add("/big", Resource(size=size))
    async with http_client.stream("GET", "/big") as response:
        data = b"".join([chunk async for chunk in response.aiter_raw()])
    assert data == pattern(0, size)


async def test_body_cut_midway_is_a_transport_error(
    http_client: httpx.AsyncClient, file_server: FileServer
) -> None:
    file_server.add("/cut", Resource(size=1 << 20, cuts=[300_000]))
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)) as caught:
        await read_all(http_client, "/cut")
    assert isinstance(caught.value, httpx.TransportError)
    assert caught.value.request.url.path == "/cut"


async def test_stalled_body_is_a_read_timeout(http_client: httpx.AsyncClient) -> None:
    with pytest.raises(httpx.ReadTimeout) as caught:
        await read_all(http_client, "/stall", timeout=0.2)
    assert caught.value.request.url.path == "/stall"


async def test_refused_connection_is_a_connect_error(transport_kind: str) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with httpx.AsyncClient(transport=make_transport(transport_kind)) as http:
        with pytest.raises(httpx.ConnectError) as caught:
            await http.get(f"http://127.0.0.1:{port}/")
    assert caught.value.request.url.port == port


async def test_exhausted_pool_is_a_pool_timeout(
    transport_kind: str, file_server: FileServer
) -> None:
    gate = asyncio.Event()
    file_server.add("/held", Resource(size=1 << 20, notify_after=65_536, gate=gate))
    transport = make_transport(transport_kind, max_connections=1)
    async with (
        httpx.AsyncClient(transport=transport, base_url=file_server.base_url) as http,
        http.stream("GET", "/held") as first,
    ):
        assert first.status_code == 200
        with pytest.raises(httpx.PoolTimeout):
            await http.get("/json", timeout=httpx.Timeout(5.0, pool=0.2))
        gate.set()
        assert len(await first.aread()) == 1 << 20


# -- AiohttpTransport.open: the direct aiohttp path of downloads, without httpx objects -----

TIMEOUT = httpx.Timeout(5.0)


async def read_open(transport: AiohttpTransport, url: str, timeout: httpx.Timeout) -> bytes:
    response = await transport.open("GET", url, headers={"x-test": "1"}, timeout=timeout)
    try:
        return b"".join([chunk async for chunk in response.iter_raw()])
    finally:
        await response.aclose()
        await response.aclose()  # twice is harmless


async def test_open_reads_a_body_raw_and_intact(file_server: FileServer) -> None:
    size = 3 * (1 << 20) + 17
    url = file_server.add("/big", Resource(size=size, gzip=False))
    zipped = file_server.add("/zipped", Resource(size=1000, gzip=True))
    transport = AiohttpTransport(limit=2)
    try:
        assert await read_open(transport, url, TIMEOUT) == pattern(0, size)
        response = await transport.open("GET", zipped, headers={}, timeout=TIMEOUT)
        assert response.status_code == 200
        assert response.headers.get("CONTENT-ENCODING") == "gzip"
        assert response.url == zipped
        raw = b"".join([chunk async for chunk in response.iter_raw()])
        await response.aclose()
        assert raw[:2] == b"\x1f\x8b"
        assert file_server.gets("/big")[0].headers["x-test"] == "1"
    finally:
        await transport.aclose()


async def test_open_maps_a_cut_body_and_a_stall_to_httpx_errors(file_server: FileServer) -> None:
    cut = file_server.add("/cut", Resource(size=1 << 20, cuts=[300_000]))
    transport = AiohttpTransport(limit=2)
    try:
        with pytest.raises(httpx.RemoteProtocolError):
            await read_open(transport, cut, TIMEOUT)
        with pytest.raises(httpx.ReadTimeout):
            await read_open(transport, file_server.base_url + "/stall", httpx.Timeout(5, read=0.2))
    finally:
        await transport.aclose()


async def test_open_maps_a_refused_connection(file_server: FileServer) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    transport = AiohttpTransport()
    try:
        with pytest.raises(httpx.ConnectError):
            await transport.open("GET", f"http://127.0.0.1:{port}/", headers={}, timeout=TIMEOUT)
    finally:
        await transport.aclose()


async def test_open_waits_for_the_pool_no_longer_than_the_pool_timeout(
    file_server: FileServer,
) -> None:
    gate = asyncio.Event()
    held = file_server.add("/held", Resource(size=1 << 20, notify_after=65_536, gate=gate))
    transport = AiohttpTransport(limit=1)
    try:
        first = await transport.open("GET", held, headers={}, timeout=TIMEOUT)
        with pytest.raises(httpx.PoolTimeout):
            await transport.open(
                "GET",
                file_server.base_url + "/json",
                headers={},
                timeout=httpx.Timeout(5, pool=0.2),
            )
        gate.set()
        assert len(b"".join([chunk async for chunk in first.iter_raw()])) == 1 << 20
        await first.aclose()
        # The connection went back to the pool: the next request gets it.
        assert await read_open(transport, file_server.base_url + "/json", TIMEOUT) == (
            b'{"ok": true}'
        )
    finally:
        await transport.aclose()
