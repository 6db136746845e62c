"""aiohttp's connection pool, made to hand out only connections that carry no stray bytes, and
to say of each request whether it went out on a reused connection and which timeout ended a
connect.

A server (or anything between) may send bytes on a kept-alive connection while it is idle in
the pool: an answer to no request. aiohttp would read them as the answer to the next request
sent on that connection, so one order's result could be saved as another's. Before a pooled
connection is used, ``ExchangeOnlyConnector`` closes it instead when anything arrived on it
since its last answer (parsed already, or, on a plain connection, still in the socket); a
connection the server closed while idle reads as readable too, and is dropped the same way.

aiohttp's own ``connect`` timeout bounds getting a connection (waiting for the pool, and
opening a new one), its ``sock_connect`` each socket connect with its TLS handshake; both end
as one ``ConnectionTimeoutError``. The connector raises ``SocketConnectTimeout`` for the second,
so the transport can tell httpx's ``ConnectTimeout`` from its ``PoolTimeout``.

A request on a reused connection that the server had closed while it was idle fails before
any answer; ``lost_reused_connection`` (a session middleware) raises ``ReusedConnectionDropped``
for it, from the mark the connector left on the request (``ExchangeRequest``).
"""

from __future__ import annotations

import asyncio
import select
import weakref

import aiohttp
from aiohttp.client_proto import ResponseHandler
from aiohttp.client_reqrep import ClientRequest, ClientResponse
from aiohttp.connector import Connection
from aiohttp.tracing import Trace

__all__ = [
    "MAX_DISCARDED_CONNECTIONS",
    "ExchangeOnlyConnector",
    "ExchangeRequest",
    "ReusedConnectionDropped",
    "SocketConnectTimeout",
    "lost_reused_connection",
]

# Each discard closes one connection: this bounds the work whatever the server sends.
MAX_DISCARDED_CONNECTIONS = 8


class SocketConnectTimeout(aiohttp.ClientConnectionError):
    """A socket connect (with its TLS handshake) took longer than ``sock_connect``."""


class ReusedConnectionDropped(aiohttp.ClientConnectionError):
    """The server closed or reset the reused connection before answering the request."""


class ExchangeRequest(ClientRequest):
    """aiohttp's request, marked by the connector when it goes out on a reused connection."""

    reused_connection = False


class ExchangeOnlyConnector(aiohttp.TCPConnector):
    """A ``TCPConnector`` whose ``connect`` never returns a connection with stray bytes."""

    def __init__(self, **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        # The connections that have carried a request: handed out again, they are reused.
        self._carried: weakref.WeakSet[ResponseHandler] = weakref.WeakSet()

    async def connect(
        self, req: ClientRequest, traces: list[Trace], timeout: aiohttp.ClientTimeout
    ) -> Connection:
        for _ in range(MAX_DISCARDED_CONNECTIONS):
            connection = await super().connect(req, traces, timeout)
            protocol = connection.protocol
            if protocol is None or not _received_outside_an_exchange(protocol):
                if protocol is not None:
                    if protocol in self._carried:
                        if isinstance(req, ExchangeRequest):
                            req.reused_connection = True
                    else:
                        self._carried.add(protocol)
                return connection
            connection.close()
        raise aiohttp.ClientConnectionError(
            "the server sent bytes outside any request/response exchange on every connection tried"
        )

    async def _create_connection(
        self, req: ClientRequest, traces: list[Trace], timeout: aiohttp.ClientTimeout
    ) -> ResponseHandler:
        try:
            return await super()._create_connection(req, traces, timeout)
        except asyncio.TimeoutError as exc:
            # Only sock_connect ends here as a timeout: the outer connect timeout cancels.
            raise SocketConnectTimeout(str(exc) or "socket connect timeout") from exc


async def lost_reused_connection(
    request: ClientRequest,
    handler: aiohttp.ClientHandlerType,
) -> ClientResponse:
    """A session middleware: a request that fails before its answer on a connection the
    server dropped while idle raises ``ReusedConnectionDropped``."""
    try:
        return await handler(request)
    except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as exc:
        reused = isinstance(request, ExchangeRequest) and request.reused_connection
        if not reused or isinstance(exc, aiohttp.ClientConnectorError):
            raise
        raise ReusedConnectionDropped(str(exc) or "server disconnected") from exc


def _received_outside_an_exchange(protocol: ResponseHandler) -> bool:
    if protocol.should_close:  # parsed bytes wait in its buffer, or it must not be reused
        return True
    transport = protocol.transport
    if transport is None or transport.get_extra_info("sslcontext") is not None:
        # Under TLS the socket also carries the protocol's own records (session tickets).
        return False
    sock = transport.get_extra_info("socket")
    if sock is None:
        return False
    readable, _, _ = select.select([sock], [], [], 0)
    return bool(readable)
