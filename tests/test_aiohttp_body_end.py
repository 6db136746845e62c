"""The direct aiohttp path's body: a complete body ends without one more read, a cut one still
raises (``AiohttpTransport.open``, over real TCP on 127.0.0.1)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from galatea_async._http._transport import AiohttpTransport

COMPLETE = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
CUT = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello"


async def _serve(answer: bytes, *, close: bool) -> tuple[asyncio.Server, str]:
    async def answer_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(answer)
        await writer.drain()
        if close:
            writer.close()
        else:
            await reader.read()  # keep the connection open until the client leaves

    server = await asyncio.start_server(answer_once, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}/file"


class _CountedReads:
    """aiohttp's body stream, with the reads asked of it counted."""

    def __init__(self, content: Any) -> None:
        self._content = content
        self.reads = 0

    async def read(self, size: int = -1) -> bytes:
        self.reads += 1
        data: bytes = await self._content.read(size)
        return data

    def at_eof(self) -> bool:
        return bool(self._content.at_eof())


async def _body(pieces: AsyncIterator[bytes]) -> bytes:
    return b"".join([piece async for piece in pieces])


def test_complete_body_ends_after_the_read_that_brought_its_last_byte() -> None:
    async def main() -> tuple[bytes, int]:
        server, url = await _serve(COMPLETE, close=False)
        transport = AiohttpTransport()
        try:
            response = await transport.open("GET", url, headers={}, timeout=httpx.Timeout(5))
            pieces = response.iter_raw()
            counted = _CountedReads(pieces._content)  # type: ignore[attr-defined]
            pieces._content = counted  # type: ignore[attr-defined]
            body = await _body(pieces)
            await response.aclose()
        finally:
            await transport.aclose()
            server.close()
        return body, counted.reads

    body, reads = asyncio.run(main())
    assert body == b"hello"
    assert reads == 1


def test_cut_body_still_raises_after_its_bytes() -> None:
    async def main() -> list[bytes]:
        server, url = await _serve(CUT, close=True)
        transport = AiohttpTransport()
        got: list[bytes] = []
        try:
            response = await transport.open("GET", url, headers={}, timeout=httpx.Timeout(5))
            pieces = response.iter_raw()
            got.append(await pieces.__anext__())
            with pytest.raises(httpx.TransportError):
                await pieces.__anext__()
            await response.aclose()
        finally:
            await transport.aclose()
            server.close()
        return got

    assert b"".join(asyncio.run(main())) == b"hello"
