"""httpx's own transport (``GALATEA_TRANSPORT=httpx``, and the one that also runs on trio),
routed by the client's ``NetworkSettings``.

One httpx pool per way out: direct or through a given proxy, and with or without TLS. The
TLS context is awaited (``_tls.ssl_context``: built once per process, in a worker thread) when
the first request that needs it arrives, so a plain-http client never builds one; the pools
of plain-http requests get a context with no certificates loaded, which they never use.

A request that fails on a pooled connection before its answer's headers (the server or a NAT
dropped the connection while idle) raises ``ReusedConnectionLost``, as on the aiohttp
transport; httpcore's trace hook tells a pooled connection from a new one. A connection whose
server sent more than the answer is closed when the answer's body is (``_AnswerOnlyStream``).
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import h11
import httpx

from galatea_async._http._network import DIRECT, NetworkSettings, keepalive_socket_options
from galatea_async._http._tls import ssl_context
from galatea_async._http._wire import ReusedConnectionLost

__all__ = ["HttpxTransport"]

_PoolKey = tuple[str | None, bool]


class HttpxTransport(httpx.AsyncBaseTransport):
    """``httpx.AsyncHTTPTransport`` pools, one per (proxy or direct, TLS or plain)."""

    def __init__(self, *, max_connections: int, network: NetworkSettings = DIRECT) -> None:
        self.max_connections = max_connections
        self.network = network
        self._pools: dict[_PoolKey, httpx.AsyncHTTPTransport] = {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(max_connections={self.max_connections})"

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """The response of the pool ``request`` goes out by."""
        url = request.url
        proxy = self.network.proxies.proxy_for(str(url))
        tls = url.scheme == "https" or (proxy is not None and proxy.startswith("https:"))
        pool = self._pools.get((proxy, tls))
        if pool is None:
            pool = await self._open_pool(proxy, tls)
        connection = _ConnectionTrace(request.extensions.get("trace"))
        request.extensions["trace"] = connection
        try:
            response = await pool.handle_async_request(request)
        except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError) as exc:
            # Raised before the answer's headers were read: on a pooled connection, the
            # server (or a NAT) had dropped it.
            if connection.reused and _lost_before_answer(exc):
                raise ReusedConnectionLost(str(exc), request=request) from exc
            raise
        if isinstance(response.stream, httpx.AsyncByteStream):
            response.stream = _AnswerOnlyStream(response.stream)
        return response

    async def _open_pool(self, proxy: str | None, tls: bool) -> httpx.AsyncHTTPTransport:
        context = await ssl_context(self.network.trust) if tls else _unused_context()
        # Another request may have opened it while this one waited for the context.
        pool = self._pools.get((proxy, tls))
        if pool is None:
            pool = self._pools[(proxy, tls)] = httpx.AsyncHTTPTransport(
                verify=context,
                proxy=_proxy(proxy, context),
                limits=httpx.Limits(
                    max_connections=self.max_connections,
                    max_keepalive_connections=self.max_connections,
                    keepalive_expiry=self.network.keepalive_expiry,
                ),
                socket_options=keepalive_socket_options(),
            )
        return pool

    async def aclose(self) -> None:
        """Close every pool."""
        pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            await pool.aclose()


def _proxy(url: str | None, context: ssl.SSLContext) -> httpx.Proxy | None:
    if url is None:
        return None
    # The proxy's own TLS (an https:// proxy) is verified like the API's.
    return httpx.Proxy(url, ssl_context=context if url.startswith("https:") else None)


class _ConnectionTrace:
    """httpcore's trace hook for one request: whether it got a new connection or a pooled one.

    Passes every event on to the request's own hook, if it had one.
    """

    __slots__ = ("_inner", "reused")

    def __init__(self, inner: Callable[[str, dict[str, Any]], Awaitable[None]] | None) -> None:
        self._inner = inner
        self.reused = True

    async def __call__(self, event: str, info: dict[str, Any]) -> None:
        if event.startswith(("connection.connect_tcp.", "connection.connect_unix_socket.")):
            self.reused = False
        if self._inner is not None:
            await self._inner(event, info)


class _AnswerOnlyStream(httpx.AsyncByteStream):
    """A response body whose connection is closed, not pooled, when the server sent bytes
    beyond the answer (past its ``Content-Length``): they would be read as the next answer."""

    def __init__(self, stream: httpx.AsyncByteStream) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for part in self._stream:
            yield part

    async def aclose(self) -> None:
        state = _h11_state(self._stream)
        if state is not None and state.their_state is h11.DONE and state.trailing_data[0]:
            # h11's public way to end the connection: httpcore then closes it, not pools it.
            state.send_failed()
        await self._stream.aclose()


def _h11_state(stream: object) -> h11.Connection | None:
    """The h11 state machine under an httpx response body, where httpcore has one."""
    # httpx's AsyncResponseStream -> httpcore's PoolByteStream -> HTTP11ConnectionByteStream
    # -> AsyncHTTP11Connection. No public route reaches h11's buffer; any other shape (a
    # proxy's connection, another httpcore) is left as it is.
    pooled = getattr(stream, "_httpcore_stream", None)
    connection = getattr(getattr(pooled, "_stream", None), "_connection", None)
    state = getattr(connection, "_h11_state", None)
    return state if isinstance(state, h11.Connection) else None


def _lost_before_answer(exc: httpx.TransportError) -> bool:
    if isinstance(exc, httpx.RemoteProtocolError):
        # h11's words for a connection closed with not one byte of the answer.
        return "without sending a response" in str(exc)
    return True


_plain_context: ssl.SSLContext | None = None


def _unused_context() -> ssl.SSLContext:
    # httpx wants a context for every pool; a plain-http pool never does a handshake with it.
    global _plain_context
    if _plain_context is None:
        _plain_context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    return _plain_context
