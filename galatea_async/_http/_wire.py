"""The open response of one request, as the download engine reads it, however it was sent.

The request path (``_requester.py``) opens downloads either through ``httpx.AsyncClient.send``
(the general path: any transport, a user's own client) or straight on the aiohttp session of
the client's own ``AiohttpTransport`` (the direct path). Either way the engine gets a
``WireResponse``: a status, case-insensitive headers, the final URL, and the body's bytes as
they came off the wire. A body that breaks or stalls raises an ``httpx.TransportError``
subclass (``ReadError``, ``RemoteProtocolError``, ``ReadTimeout``): the request path's one
vocabulary for transport failures, which it maps to ``APIConnectionError`` and
``APITimeoutError``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Protocol

import anyio
import httpx

from galatea_async._http._tracing import CallSpan

__all__ = ["HttpxWireResponse", "OpenStream", "ReusedConnectionLost", "WireResponse"]


class ReusedConnectionLost(httpx.RemoteProtocolError):
    """A pooled connection, reused for this request, was closed or reset by the server (or a
    NAT) before any byte of the answer: the request may go again at once on another one."""


class WireResponse(Protocol):
    """An open 2xx response whose body has not been read yet."""

    @property
    def status_code(self) -> int:
        """The HTTP status."""
        ...

    @property
    def headers(self) -> Mapping[str, str]:
        """The response headers; ``.get()`` ignores case."""
        ...

    @property
    def url(self) -> str:
        """The URL that answered (after redirects)."""
        ...

    def iter_raw(self) -> AsyncIterator[bytes]:
        """The body's bytes as on the wire (no content decoding), in pieces as they arrive."""
        ...

    async def aclose(self) -> None:
        """Hand the connection back (or close it, if the body was not read to its end)."""
        ...


OpenStream = Callable[[Mapping[str, str], CallSpan], AbstractAsyncContextManager[WireResponse]]
"""``open_stream(extra_headers, span)`` sends a download's GET (through the client's request path:
auth, retries, error mapping, recorded on ``span``) and yields the open 200/206 response."""


_CLOSED_BODY = httpx.ByteStream(b"")


class HttpxWireResponse:
    """A ``WireResponse`` over an ``httpx.Response`` opened with ``stream=True``."""

    __slots__ = ("_response",)

    def __init__(self, response: httpx.Response) -> None:
        self._response = response

    @property
    def status_code(self) -> int:
        return self._response.status_code

    @property
    def headers(self) -> Mapping[str, str]:
        return self._response.headers

    @property
    def url(self) -> str:
        return str(self._response.url)

    def iter_raw(self) -> AsyncIterator[bytes]:
        if self._response.is_stream_consumed:
            # Built with content= (httpx.MockTransport and respx do that): httpx has read it
            # already, and ``.content`` is decoded; the stream still holds the raw bytes.
            return _raw_bytes(self._response.stream)
        return self._response.aiter_raw()

    async def aclose(self) -> None:
        # Closing must finish even in a cancelled scope, or the connection leaks.
        with anyio.CancelScope(shield=True):
            await self._response.aclose()
        # httpx.AsyncClient wraps the body in a stream that points back at the response. Once
        # closed the body is never read again: dropping the wrapper breaks that cycle, so the
        # response is freed at once rather than left to a (generation 2) garbage collection.
        self._response.stream = _CLOSED_BODY


async def _raw_bytes(stream: httpx.SyncByteStream | httpx.AsyncByteStream) -> AsyncIterator[bytes]:
    if isinstance(stream, httpx.AsyncByteStream):
        async for piece in stream:
            yield piece
    else:
        for piece in stream:
            yield piece
