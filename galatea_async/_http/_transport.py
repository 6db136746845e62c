"""The default transport: httpx's client API over an aiohttp connection pool.

``httpx.AsyncClient`` stays the one request path (auth flows, hooks, timeouts, errors); only the
bytes move through aiohttp, whose C parser and large reads move files about twice as fast as
httpx's own transport on the same machine and whose pool does not degrade with many concurrent
requests (encode/httpx#3215).

Why not the ``httpx-aiohttp`` package: its read size is fixed at 16 KiB, it maps a connection
lost mid-body to ``ConnectTimeout``, attaches no request to the errors it raises, and has no
pool timeout. This module is the small part of it we need, done to httpx's contract:

- the body comes back undecoded (``auto_decompress=False``): httpx decodes ``Content-Encoding``
  itself, and ``Response.aiter_raw`` must see the bytes on the wire;
- redirects are never followed here (httpx follows them, or the client refuses them);
- cookies stay in httpx (aiohttp's jar is a dummy);
- the per-request timeouts of ``request.extensions["timeout"]`` become an
  ``aiohttp.ClientTimeout``; aiohttp has no write timeout, so ``write`` is not enforced;
- every aiohttp error becomes the httpx exception httpx's own transport would raise, with the
  request attached (``_aiohttp_errors.py``);
- proxies, trusted certificates, keepalive and idle expiry come from the client's
  ``NetworkSettings`` (``_network.py``), the same as for httpx's transport; aiohttp reads
  neither the environment nor ``.netrc`` itself.

``AiohttpTransport.open`` is the direct path of bodiless requests (downloads, and API calls
without a body): the request path opens them straight on the session, with no
``httpx.Request``/``Response``/``URL``/``Headers`` built, under the same timeouts and the same
error mapping, and reads them through an ``AiohttpWireResponse``. Every decision (credentials,
retries, redirects, errors) stays in the request path, shared with the httpx path.
"""

from __future__ import annotations

import base64
import socket
from collections.abc import AsyncIterator, Mapping
from contextlib import suppress
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import aiohttp
import httpx

from galatea_async._http._aiohttp_connector import (
    ExchangeOnlyConnector,
    ExchangeRequest,
    lost_reused_connection,
)
from galatea_async._http._aiohttp_errors import client_timeout, raise_mapped
from galatea_async._http._network import DIRECT, NetworkSettings, keepalive_socket_options
from galatea_async._http._tls import ssl_context

__all__ = ["DEFAULT_READ_SIZE", "AiohttpTransport", "AiohttpWireResponse"]

# The largest piece one read of a body returns: the engine gathers pieces into `chunk_size`
# writes, and fewer, larger reads cost less per byte.
DEFAULT_READ_SIZE = 256 << 10
# What aiohttp may buffer per connection before it pauses the socket (twice this): its own
# default. 256 KiB here held ~1 MiB per slow connection (32 x 4 MiB throttled: 106 MiB peak
# RSS against hand-written aiohttp's 48); reads still return up to DEFAULT_READ_SIZE.
_BUFFER_SIZE = 64 << 10

# aiohttp adds these when a request lacks them; httpx already decided what to send.
_SKIP_AUTO_HEADERS = frozenset({"Accept", "Accept-Encoding", "User-Agent", "Content-Type"})


class _ResponseStream(httpx.AsyncByteStream):
    """An aiohttp response body, as httpx reads it: raw bytes, ``read_size`` at most per chunk."""

    def __init__(
        self, response: aiohttp.ClientResponse, request: httpx.Request, read_size: int
    ) -> None:
        self._response = response
        self._request = request
        self._read_size = read_size

    def __aiter__(self) -> AsyncIterator[bytes]:
        return _BodyPieces(self._response, self._read_size, self._request)

    async def aclose(self) -> None:
        _hand_back(self._response)


class _BodyPieces:
    """An aiohttp body in pieces of at most ``read_size``, its errors mapped to httpx's.

    An iterator object rather than an async generator: every download reads one, and an
    async generator costs the event loop's registration and finalisation on top.
    """

    __slots__ = ("_complete", "_content", "_read_size", "_request")

    def __init__(
        self, response: aiohttp.ClientResponse, read_size: int, request: httpx.Request | None
    ) -> None:
        self._content = response.content
        self._read_size = read_size
        self._request = request
        self._complete = False

    def __aiter__(self) -> _BodyPieces:
        return self

    async def __anext__(self) -> bytes:
        if self._complete:
            raise StopAsyncIteration
        try:
            chunk = await self._content.read(self._read_size)
        except Exception as exc:
            raise_mapped(exc, self._request, in_body=True)
        if not chunk:
            raise StopAsyncIteration
        # aiohttp marks the end only once its parser has the whole body (a cut one raises
        # instead): a body that arrived in one piece ends without a read that returns nothing.
        self._complete = self._content.at_eof()
        return chunk


def _hand_back(response: aiohttp.ClientResponse) -> None:
    # release() hands a fully read connection back to the pool and closes one that is not;
    # both are synchronous, so a cancelled caller cannot interrupt them.
    if response.content.at_eof():
        response.release()
    else:
        response.close()


class AiohttpWireResponse:
    """A ``WireResponse`` (``_wire.py``) over an open aiohttp response: the direct path's answer.

    ``headers`` is aiohttp's case-insensitive ``CIMultiDictProxy``; ``iter_raw`` yields the
    body undecoded, ``read_size`` at most per piece, and raises the httpx exceptions of
    ``raise_mapped`` for a broken or stalled body.
    """

    __slots__ = ("_read_size", "_response", "url")

    def __init__(self, response: aiohttp.ClientResponse, url: str, read_size: int) -> None:
        self._response = response
        self._read_size = read_size
        self.url = url

    @property
    def status_code(self) -> int:
        return self._response.status

    @property
    def headers(self) -> Mapping[str, str]:
        return self._response.headers

    def iter_raw(self) -> AsyncIterator[bytes]:
        return _BodyPieces(self._response, self._read_size, None)

    async def aclose(self) -> None:
        _hand_back(self._response)


class AiohttpTransport(httpx.AsyncBaseTransport):
    """An ``httpx.AsyncBaseTransport`` that sends requests through an ``aiohttp.ClientSession``.

    ``limit`` caps open connections in all (``limit_per_host`` per host, 0 for no cap),
    ``read_size`` is the largest chunk a response body yields; ``network`` holds the proxies,
    the TLS trust and how long an idle connection is kept (``_network.py``). The session is
    created on first use, inside the running event loop; ``aclose()`` closes it. asyncio only
    (aiohttp is).
    """

    def __init__(
        self,
        *,
        limit: int = 100,
        limit_per_host: int = 0,
        read_size: int = DEFAULT_READ_SIZE,
        network: NetworkSettings = DIRECT,
    ) -> None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        if read_size < 1:
            raise ValueError(f"read_size must be at least 1, got {read_size}")
        self.limit = limit
        self.limit_per_host = limit_per_host
        self.read_size = read_size
        self.network = network
        self._session: aiohttp.ClientSession | None = None
        self._closed = False
        self._timeout_for: httpx.Timeout | None = None
        self._timeout_value = client_timeout({})

    def __repr__(self) -> str:
        return f"{type(self).__name__}(limit={self.limit}, read_size={self.read_size})"

    def _open_session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise RuntimeError("the transport is closed")
        connector = ExchangeOnlyConnector(
            limit=self.limit,
            limit_per_host=self.limit_per_host,
            keepalive_timeout=self.network.keepalive_expiry,
            socket_factory=_keepalive_socket,
        )
        session = aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,
            skip_auto_headers=_SKIP_AUTO_HEADERS,
            # Proxies and certificates come from NetworkSettings (one rule for both
            # transports), never from aiohttp's own reading of the environment or .netrc.
            trust_env=False,
            read_bufsize=min(self.read_size, _BUFFER_SIZE),
            request_class=ExchangeRequest,
            middlewares=(lost_reused_connection,),
            # The body read size, not a line limit: large enough for any header httpx accepts.
            max_field_size=65536,
        )
        # aiohttp resends an idempotent request itself after a disconnect (no public switch):
        # the request path's retry policy and budget decide alone, as with httpx's transport.
        if hasattr(session, "_retry_connection"):
            session._retry_connection = False
        return session

    async def _route(self, url: str, proxy: str | None) -> dict[str, Any]:
        """The proxy and TLS arguments of a request to ``url`` through ``proxy``."""
        route: dict[str, Any] = {}
        if proxy:
            # The credentials go as a header, never in the URL: aiohttp puts the URL it was
            # given into its own exceptions, which tracebacks (and error trackers) show.
            parts = urlsplit(proxy)
            if parts.username is not None:
                host = parts.netloc.rsplit("@", 1)[1]
                pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
                basic = base64.b64encode(pair.encode("utf-8")).decode("ascii")
                route["proxy_headers"] = {"Proxy-Authorization": f"Basic {basic}"}
                proxy = urlunsplit(parts._replace(netloc=host))
            route["proxy"] = proxy
        if url.startswith(("https:", "HTTPS:")) or (proxy and proxy.startswith("https:")):
            route["ssl"] = await ssl_context(self.network.trust)
        return route

    async def open(
        self, method: str, url: str, *, headers: Mapping[str, str], timeout: httpx.Timeout
    ) -> AiohttpWireResponse:
        """The response to a bodiless request, opened straight on the session, body unread.

        The direct path of bodiless requests: no httpx object is built. ``timeout`` applies as in
        ``handle_async_request`` (``pool`` while getting a connection, ``connect`` per
        socket connect, ``read`` per read); errors are the same httpx exceptions.
        """
        response = await self._send(
            None,
            method,
            url,
            headers=headers,
            timeout=self._client_timeout(timeout),
        )
        return AiohttpWireResponse(response, url, self.read_size)

    async def _send(
        self, request: httpx.Request | None, method: str, url: str, **options: Any
    ) -> aiohttp.ClientResponse:
        """aiohttp's response to one request, headers read; its errors as httpx's."""
        session = self._session
        if session is None:
            session = self._session = self._open_session()
        proxy = self.network.proxies.proxy_for(url)
        if proxy or not url.startswith(("http:", "HTTP:")):  # a plain direct one needs none
            route = await self._route(url, proxy)
            if url.startswith(("http:", "HTTP:")) and "proxy_headers" in route:
                # No tunnel for plain http: the proxy reads its credentials off the request.
                sent = options.get("headers") or ()
                items = list(sent.items() if isinstance(sent, Mapping) else sent)
                options["headers"] = [*items, *route.pop("proxy_headers").items()]
            options.update(route)
        try:
            return await session.request(method, url, allow_redirects=False, **options)
        except Exception as exc:
            raise_mapped(exc, request or _failed_request(method, url), in_body=False)

    def _client_timeout(self, timeout: httpx.Timeout) -> aiohttp.ClientTimeout:
        # One ClientTimeout per httpx.Timeout in use, not one per request.
        if self._timeout_for is not timeout:
            self._timeout_value = client_timeout(timeout.as_dict())
            self._timeout_for = timeout
        return self._timeout_value

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """The response to ``request``, its body not yet read."""
        timeouts = request.extensions.get("timeout", {})
        headers = [
            (key, value)
            for key, value in request.headers.multi_items()
            # aiohttp frames a streamed body itself and refuses a caller's chunked header.
            if key.lower() != "transfer-encoding"
        ]
        response = await self._send(
            request,
            request.method,
            str(request.url),
            headers=headers,
            data=_request_body(request),
            timeout=client_timeout(timeouts),
            server_hostname=_sni_hostname(request),
        )
        extensions: dict[str, Any] = {"http_version": b"HTTP/1.1"}
        if response.reason:
            extensions["reason_phrase"] = response.reason.encode("ascii", "replace")
        return httpx.Response(
            status_code=response.status,
            headers=[(bytes(key), bytes(value)) for key, value in response.raw_headers],
            stream=_ResponseStream(response, request, self.read_size),
            request=request,
            extensions=extensions,
        )

    async def aclose(self) -> None:
        """Close every pooled connection; the transport cannot be used afterwards."""
        self._closed = True
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    def close_now(self) -> None:
        """Close every pooled socket without waiting: for a finaliser, where nothing awaits."""
        self._closed = True
        session, self._session = self._session, None
        connector = session.connector if session is not None else None
        if connector is not None:
            # The synchronous half of aiohttp's close (no public way without awaiting): marks
            # the connector closed, so neither it nor the session warns when collected.
            connector._close()


def _request_body(request: httpx.Request) -> bytes | AsyncIterator[bytes] | None:
    stream = request.stream
    if isinstance(stream, httpx.ByteStream):
        # A body httpx holds in memory: sent with its Content-Length in one write.
        content = request.read()
        return content or None
    if not isinstance(stream, httpx.AsyncByteStream):
        raise RuntimeError("a sync request body cannot be sent through an async transport")

    async def chunks() -> AsyncIterator[bytes]:
        async for chunk in stream:
            yield chunk

    return chunks()


def _failed_request(method: str, url: str) -> httpx.Request | None:
    """The request a direct-path error names (built only then): what the CLI reads its host
    and port from, as from an error of the httpx path."""
    try:
        return httpx.Request(method, url)
    except (httpx.InvalidURL, ValueError, TypeError):
        return None


def _sni_hostname(request: httpx.Request) -> str | None:
    value = request.extensions.get("sni_hostname")
    return value if isinstance(value, str) else None


def _keepalive_socket(address: Any) -> socket.socket:
    """A socket for aiohttp to connect, with TCP keepalive probes (``_network.py``)."""
    family, kind, protocol, _, _ = address
    sock = socket.socket(family=family, type=kind, proto=protocol)
    for level, name, value in keepalive_socket_options():
        with suppress(OSError):
            sock.setsockopt(level, name, value)
    return sock
