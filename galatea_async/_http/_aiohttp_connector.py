"""aiohttp's connection pool, made to hand out only connections that carry no stray bytes.

A server (or anything between) may send bytes on a kept-alive connection while it is idle in
the pool: an answer to no request. aiohttp would read them as the answer to the next request
sent on that connection, so one order's result could be saved as another's. Before a pooled
connection is used, ``ExchangeOnlyConnector`` closes it instead when anything arrived on it
since its last answer (parsed already, or, on a plain connection, still in the socket); a
connection the server closed while idle reads as readable too, and is dropped the same way.
"""

from __future__ import annotations

import select

import aiohttp
from aiohttp.client_reqrep import ClientRequest
from aiohttp.connector import Connection
from aiohttp.tracing import Trace

__all__ = ["MAX_DISCARDED_CONNECTIONS", "ExchangeOnlyConnector"]

# Each discard closes one connection: this bounds the work whatever the server sends.
MAX_DISCARDED_CONNECTIONS = 8


class ExchangeOnlyConnector(aiohttp.TCPConnector):
    """A ``TCPConnector`` whose ``connect`` never returns a connection with stray bytes."""

    async def connect(
        self, req: ClientRequest, traces: list[Trace], timeout: aiohttp.ClientTimeout
    ) -> Connection:
        for _ in range(MAX_DISCARDED_CONNECTIONS):
            connection = await super().connect(req, traces, timeout)
            if not _received_outside_an_exchange(connection):
                return connection
            connection.close()
        raise aiohttp.ClientConnectionError(
            "the server sent bytes outside any request/response exchange on every connection tried"
        )


def _received_outside_an_exchange(connection: Connection) -> bool:
    protocol = connection.protocol
    if protocol is None:
        return False
    if protocol.should_close:  # parsed bytes wait in its buffer, or it must not be reused
        return True
    transport = connection.transport
    if transport is None or transport.get_extra_info("sslcontext") is not None:
        # Under TLS the socket also carries the protocol's own records (session tickets).
        return False
    sock = transport.get_extra_info("socket")
    if sock is None:
        return False
    readable, _, _ = select.select([sock], [], [], 0)
    return bool(readable)
