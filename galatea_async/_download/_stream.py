"""A download read chunk by chunk by the caller: ``results.stream``."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import AbstractContextManager

import attrs

from galatea_async._download._names import safe_filename
from galatea_async._download._open_response import OpenResponse
from galatea_async._download._options import DEFAULT_OPTIONS, TransferOptions
from galatea_async._download._ranges import BodyInfo
from galatea_async._download._reader import BodyReader
from galatea_async._http._tracing import CallSpan, untraced
from galatea_async._http._wire import OpenStream
from galatea_async.errors import APIConnectionError

__all__ = ["StreamedDownload", "open_download"]


class _Delivered:
    """What the caller already has: a restart from byte 0 cannot take it back."""

    def __init__(self, label: str) -> None:
        self.count = 0
        self._label = label

    async def kept(self, position: int) -> int:
        return self.count

    async def discard(self) -> None:
        if self.count:
            raise APIConnectionError(
                f"the download of {self._label} broke off and the server can only send it "
                "again from the start; download it again"
            )


class StreamedDownload:
    """A download read chunk by chunk: ``filename``, ``size`` and ``async for chunk in ...``.

    Chunks are raw bytes of about ``chunk_size``; a body cut mid-way is resumed transparently
    where the server allows ranges, and raises ``APIConnectionError`` where it would have to
    start over. Iterate once.

    :ivar filename: The server's file name made safe (or a fallback from the ids).
    :ivar size: The announced ``Content-Length``, or ``None``.
    :ivar content_type: The response's ``Content-Type``, or ``None``.
    :ivar etag: The response's ``ETag``, or ``None``.
    """

    def __init__(
        self,
        exchange: OpenResponse,
        first: BodyInfo,
        *,
        fallback_name: str,
        options: TransferOptions,
    ) -> None:
        self._exchange = exchange
        self._first = first
        self._options = options
        self._label = repr(fallback_name)
        self._consumed = False
        self.filename = safe_filename(first.server_name, fallback=fallback_name)
        self.size = first.total
        headers = exchange.response.headers
        self.content_type: str | None = headers.get("content-type")
        self.etag: str | None = headers.get("etag")

    def __repr__(self) -> str:
        return f"StreamedDownload(size={self.size!r})"

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self.aiter_bytes()

    async def aiter_bytes(self) -> AsyncGenerator[bytes, None]:
        """The file's bytes, in chunks of about ``chunk_size``."""
        if self._consumed:
            raise RuntimeError("a streamed download can be iterated only once")
        self._consumed = True
        delivered = _Delivered(self._label)
        reader = BodyReader(
            self._exchange,
            self._first,
            delivered,
            label=self._label,
            limit=self._first.total,
            options=self._options,
        )
        async with contextlib.aclosing(reader.blocks()) as blocks:
            async for block in blocks:
                delivered.count += block.size
                yield block.join()


@contextlib.asynccontextmanager
async def open_download(
    open_stream: OpenStream,
    *,
    fallback_name: str,
    chunk_size: int = DEFAULT_OPTIONS.chunk_size,
    options: TransferOptions = DEFAULT_OPTIONS,
    trace: Callable[[], AbstractContextManager[CallSpan]] = untraced,
) -> AsyncIterator[StreamedDownload]:
    """A ``StreamedDownload`` over an open response, closed when the block exits.

    ``trace`` gives the span the whole download is recorded on (none by default).
    """
    if chunk_size != options.chunk_size:
        options = attrs.evolve(options, chunk_size=chunk_size)
    with trace() as span:
        exchange = OpenResponse(open_stream, span)
        try:
            first = await exchange.open_whole(options.max_resume_attempts + 1)
            yield StreamedDownload(exchange, first, fallback_name=fallback_name, options=options)
        finally:
            await exchange.close()
