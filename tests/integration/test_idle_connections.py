"""Pooled connections the server (or a NAT) has dropped while idle never fail a call.

A raw server answers the first request of each connection and treats the connection as gone
for any later one: it closes it (FIN), resets it (RST) or, like a NAT that forgot it, never
answers. Idempotent calls on a dropped reused connection are sent again at once on another
connection, without using up ``max_retries``; idle connections expire after
``keepalive_expiry`` seconds, so a connection a NAT forgot is never reused.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import uuid
from collections.abc import AsyncIterator

import attrs
import pytest

from galatea_async import APIConnectionError, AsyncGalatea, RetryPolicy
from tests.conftest import API_KEY
from tests.raw_http import RawServer, Request

pytestmark = pytest.mark.usefixtures("transport_kind")

ORDER_ID = str(uuid.uuid4())
BODY = b'{"ok": true}'
CALLS = 5


@attrs.define
class OneAnswerPerConnection(RawServer):
    """Answers a connection's first request; then drops it as ``drop`` says."""

    drop: str = "close"
    connections: int = 0
    # The writers themselves (not their ids, which a later connection may reuse).
    _answered: set[asyncio.StreamWriter] = attrs.field(factory=set)

    async def respond(self, request: Request, writer: asyncio.StreamWriter) -> bool:
        if writer not in self._answered:
            self._answered.add(writer)
            self.connections += 1
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(BODY)}\r\n\r\n".encode()
                + BODY
            )
            await writer.drain()
            return True
        if self.drop == "reset":
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
        elif self.drop == "silent":
            await asyncio.Event().wait()  # like a NAT that forgot the connection
        return False


@pytest.fixture(params=["close", "reset"])
async def dropping_server(request: pytest.FixtureRequest) -> AsyncIterator[OneAnswerPerConnection]:
    async with OneAnswerPerConnection(drop=request.param) as server:
        yield server


def _client(server: RawServer, **options: object) -> AsyncGalatea:
    return AsyncGalatea(
        api_key=API_KEY,
        base_url=server.base_url,
        retry_policy=RetryPolicy(max_retries=0),
        **options,  # type: ignore[arg-type]
    )


async def test_a_dropped_reused_connection_is_replaced_at_once_for_idempotent_calls(
    dropping_server: OneAnswerPerConnection,
) -> None:
    async with _client(dropping_server) as client:
        for _ in range(CALLS):
            assert await client.results.json(ORDER_ID) == {"ok": True}
    # Every call after the first met the previous call's connection dropped, and once only.
    assert dropping_server.connections == CALLS
    assert len(dropping_server.requests) == 1 + 2 * (CALLS - 1)


async def test_downloads_replace_a_dropped_reused_connection_too(
    dropping_server: OneAnswerPerConnection, tmp_path: object
) -> None:
    async with _client(dropping_server) as client:
        for index in range(3):
            path = await client.results.download(ORDER_ID, "SUMMARY_CHROMS", f"{tmp_path}/{index}/")
            assert path.read_bytes() == BODY
    assert dropping_server.connections == 3


async def test_a_post_on_a_dropped_reused_connection_is_not_sent_again(
    dropping_server: OneAnswerPerConnection,
) -> None:
    async with _client(dropping_server) as client:
        await client.results.json(ORDER_ID)
        with pytest.raises(APIConnectionError):
            await client.orders.cancel(ORDER_ID)
    assert len(dropping_server.requests) == 2


async def test_expired_idle_connections_are_never_reused() -> None:
    async with OneAnswerPerConnection(drop="silent") as server:
        async with _client(server, keepalive_expiry=0, timeout=30) as client:
            for _ in range(CALLS):
                assert await client.results.json(ORDER_ID) == {"ok": True}
        assert server.connections == CALLS
        assert len(server.requests) == CALLS


@pytest.mark.parametrize("bad", [-1, float("nan"), "15"])
def test_a_bad_keepalive_expiry_is_refused(bad: object) -> None:
    with pytest.raises((TypeError, ValueError), match="keepalive_expiry"):
        AsyncGalatea(api_key=API_KEY, keepalive_expiry=bad)  # type: ignore[arg-type]
