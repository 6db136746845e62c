"""Reading one download's body: blocks, resumption, the speed floor.

The open response is a ``OpenResponse``'s (``_open_response.py``). ``BodyReader`` turns the body
into blocks of about ``chunk_size`` bytes and owns the one rule for a body that breaks: resume
with ``Range`` + ``If-Range`` where the server allows it, else start over from byte 0 (a 200 is
never appended). Whoever consumes the blocks says, through a ``BodyHolder``, how many bytes it
really kept (the resumption starts there) and drops them when the body starts over; it never
decides anything about restarts itself.

A body slower than ``TransferOptions.low_speed_limit`` bytes per second over
``low_speed_time`` seconds counts as broken, like a cut one.

What a connection holds is bounded (``held_bytes_bound``): the block being gathered, which is
also the block being written (the reader gathers nothing while its consumer writes), and what
the transport buffers meanwhile.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator
from typing import Protocol

import attrs
import httpx

from galatea_async._download._open_response import OpenResponse, path_of
from galatea_async._download._options import TransferOptions
from galatea_async._download._ranges import (
    BodyInfo,
    Decoding,
    Resumption,
    decoding_for,
    judge_resumed,
    resume_headers,
)
from galatea_async._http._decoding import BodyTooLarge, BoundedDecoder, ContentDecodingError
from galatea_async._http._tracing import CallSpan
from galatea_async._http._transport import DEFAULT_READ_SIZE
from galatea_async._http._wire import WireResponse
from galatea_async.errors import (
    APIConnectionError,
    APITimeoutError,
    InvalidResponseError,
    SizeMismatchError,
)

__all__ = [
    "Block",
    "BlockGatherer",
    "BodyHolder",
    "BodyReader",
    "Gather",
    "SpeedFloor",
    "broken_too_often",
    "held_bytes_bound",
    "read_blocks",
    "refuse_encoding",
]

# A fast body fills a chunk in a few milliseconds; a block older than this is written as it is.
_MAX_BLOCK_AGE = 0.005
# asyncio reads a socket 256 KiB at a time: the read that crosses a transport's high-water mark.
_SOCKET_READ = 256 << 10


def held_bytes_bound(chunk_size: int, concurrency: int, read_size: int = DEFAULT_READ_SIZE) -> int:
    """The most body bytes ``concurrency`` connections hold at once, blocks of ``chunk_size``.

    A connection holds one block (gathered until it reaches ``chunk_size``, so at most one
    piece of ``read_size`` more; the same block while it is written), what its transport
    buffers while the block is written (aiohttp: up to twice the read size, then the socket
    read that crossed that mark) and the piece a read is returning (joined from buffered ones).
    """
    block = chunk_size - 1 + read_size
    buffered = 2 * read_size + _SOCKET_READ
    return concurrency * (block + buffered + read_size)


@attrs.frozen
class Block:
    """About ``chunk_size`` received bytes, kept as the pieces they arrived in (no copy)."""

    pieces: list[bytes]
    size: int

    def join(self) -> bytes:
        """The bytes as one object (one copy, unless there is one piece)."""
        return self.pieces[0] if len(self.pieces) == 1 else b"".join(self.pieces)

    def first(self, count: int) -> Block:
        """The first ``count`` bytes of the block."""
        if count >= self.size:
            return self
        kept: list[bytes] = []
        remaining = count
        for piece in self.pieces:
            if remaining <= 0:
                break
            kept.append(piece[:remaining])
            remaining -= len(kept[-1])
        return Block(kept, count)


class Gather:
    """Received pieces gathered into a ``Block`` for one disk write."""

    __slots__ = ("pieces", "size")

    def __init__(self) -> None:
        self.pieces: list[bytes] = []
        self.size = 0

    def add(self, piece: bytes) -> int:
        """Keep ``piece``; how many bytes are now held."""
        if piece:
            self.pieces.append(piece)
            self.size += len(piece)
        return self.size

    def take(self) -> Block:
        """Everything held, as a ``Block``; then empty."""
        block = Block(self.pieces, self.size)
        self.pieces, self.size = [], 0
        return block


class SpeedFloor:
    """The low-speed rule: fewer than ``limit`` bytes per second over ``seconds`` is a break."""

    __slots__ = ("_limit", "_received", "_seconds", "_started")

    def __init__(self, options: TransferOptions) -> None:
        self._limit = options.low_speed_limit
        self._seconds = options.low_speed_time
        self._started = time.monotonic()
        self._received = 0

    def count(self, size: int) -> float:
        """Count ``size`` received bytes; the time now. ``httpx.ReadTimeout`` if the window
        was too slow."""
        now = time.monotonic()
        if not self._limit:
            return now
        self._received += size
        elapsed = now - self._started
        if elapsed < self._seconds:
            return now
        if self._received < self._limit * elapsed:
            raise httpx.ReadTimeout(
                f"the body arrived slower than {self._limit} B/s for {self._seconds:g} s "
                "(TransferOptions.low_speed_limit/low_speed_time)"
            )
        self._started, self._received = now, 0
        return now


class BodyHolder(Protocol):
    """Where a reader's blocks go: it says what it kept, and drops it all on a restart."""

    async def kept(self, position: int) -> int:
        """How many of the ``position`` bytes handed out are really kept (re-check storage)."""
        ...

    async def discard(self) -> None:
        """Drop everything: the body starts over from byte 0 (raise if that is impossible)."""
        ...


class BlockGatherer:
    """One response's body, piece by piece, gathered into blocks of about ``chunk_size`` bytes.

    A block is handed out once it holds ``chunk_size`` bytes, or once its first byte is
    ``_MAX_BLOCK_AGE`` old, so a slow connection holds a few hundred KiB, not a whole chunk (32
    slow downloads would otherwise hold 32 MiB). Every piece counts toward the speed floor and
    the span's bytes.
    """

    __slots__ = ("_chunk_size", "_decoder", "_floor", "_gather", "_oldest", "_span")

    def __init__(
        self,
        span: CallSpan,
        *,
        chunk_size: int,
        floor: SpeedFloor,
        decoder: BoundedDecoder | None = None,
    ) -> None:
        self._span = span
        self._chunk_size = chunk_size
        self._floor = floor
        self._decoder = decoder
        self._gather = Gather()
        self._oldest = 0.0  # when the block being gathered got its first byte

    def add(self, raw: bytes) -> list[Block]:
        """Gather the received ``raw``; the blocks it completed (``httpx.ReadTimeout`` if the
        body is below the speed floor)."""
        now = self._floor.count(len(raw))
        self._span.add_bytes(len(raw))
        gather = self._gather
        done: list[Block] = []
        for piece in self._decoder.feed(raw) if self._decoder is not None else (raw,):
            if not gather.size:
                self._oldest = now
            if gather.add(piece) >= self._chunk_size or now - self._oldest >= _MAX_BLOCK_AGE:
                done.append(gather.take())
        return done

    def finish(self) -> Block | None:
        """The last block, once the body ended (with the decoder's tail)."""
        if self._decoder is not None:
            for piece in self._decoder.finish():
                self._gather.add(piece)
        return self.held()

    def held(self) -> Block | None:
        """What is gathered and not handed out yet (after a break: kept, then resumed after)."""
        return self._gather.take() if self._gather.size else None


async def read_blocks(
    exchange: OpenResponse,
    *,
    chunk_size: int,
    floor: SpeedFloor,
    decoder: BoundedDecoder | None = None,
) -> AsyncGenerator[Block, None]:
    """The blocks of the body of ``exchange``'s open response (``BlockGatherer``'s rule).

    A break (an ``httpx.TransportError``, a too-slow body included) is raised after the bytes
    that arrived before it are handed out, so none is dropped.
    """
    gatherer = BlockGatherer(exchange.span, chunk_size=chunk_size, floor=floor, decoder=decoder)
    try:
        async for raw in exchange.response.iter_raw():
            for block in gatherer.add(raw):
                yield block
    except httpx.TransportError:
        held = gatherer.held()
        if held is not None:
            yield held
        raise
    last = gatherer.finish()
    if last is not None:
        yield last


def broken_too_often(error: BaseException, label: str, attempts: int) -> APIConnectionError:
    """The error raised when a body still breaks after every resume attempt."""
    kind = APITimeoutError if isinstance(error, httpx.TimeoutException) else APIConnectionError
    return kind(
        f"the download of {label} broke off {attempts} times "
        f"(last: {type(error).__name__}: {error}); nothing was kept, try again later"
    )


def refuse_encoding(info: BodyInfo, decoding: Decoding, response: WireResponse) -> None:
    """Raise ``InvalidResponseError`` if an encoded body may not be decoded."""
    if decoding not in (Decoding.REFUSE_UNKNOWN_SIZE, Decoding.REFUSE_ENCODING):
        return
    why = (
        "its decoded size is unknown, so decoding it could fill the disk"
        if decoding is Decoding.REFUSE_UNKNOWN_SIZE
        else "the SDK decodes only gzip and deflate (stacked or not)"
    )
    raise InvalidResponseError(
        f"the server sent the file {info.encoding}-encoded although the SDK asked for it "
        f"unencoded (Accept-Encoding: identity); {why}, so it was refused and nothing was "
        "written. Ask the server's operator to serve files as they are",
        status_code=response.status_code,
        method="GET",
        path=path_of(response.url),
    )


class BodyReader:
    """The blocks of a whole file, across as many responses as resuming it takes.

    ``info`` describes the file as the latest start announced it. ``limit`` is the most bytes
    the file may have (Content-Length or the caller's expectation); more is a mismatch.
    ``expected_size`` allows decoding an encoded body, capped at it.
    """

    def __init__(
        self,
        exchange: OpenResponse,
        first: BodyInfo,
        holder: BodyHolder,
        *,
        label: str,
        limit: int | None,
        options: TransferOptions,
        expected_size: int | None = None,
    ) -> None:
        self.exchange = exchange
        self.info = first
        self._holder = holder
        self._label = label
        self._limit = limit
        self._options = options
        self._expected_size = expected_size
        self._decoding = decoding_for(first, expected_size)
        refuse_encoding(first, self._decoding, exchange.response)

    async def blocks(self) -> AsyncGenerator[Block, None]:
        """Every block of the file, in order; resumes or restarts a broken body itself."""
        position = self.info.start  # past the bytes an earlier run kept, for a resumed file
        failures = 0
        while True:
            # The body's pieces are read here, not through ``read_blocks``: one async
            # generator a download, not two (each costs the loop's registration and cleanup).
            error: BaseException | None = None
            gatherer = BlockGatherer(
                self.exchange.span,
                chunk_size=self._options.chunk_size,
                floor=SpeedFloor(self._options),
                decoder=self._decoder(),
            )
            try:
                async for raw in self.exchange.response.iter_raw():
                    for block in gatherer.add(raw):
                        self._check_length(block, position)
                        yield block
                        position += block.size
                        del block  # handed on: not held while the next one is gathered
            except httpx.TransportError as exc:
                error = exc
            except ContentDecodingError as exc:
                raise self._decoding_error(exc) from None
            try:
                last = gatherer.finish() if error is None else gatherer.held()
            except ContentDecodingError as exc:
                raise self._decoding_error(exc) from None
            if last is not None:
                self._check_length(last, position)
                yield last  # what arrived before a break, too: resumption starts after
                position += last.size
                del last
            if error is None:
                if self.info.total is None or position == self.info.total:
                    return
                error = httpx.RemoteProtocolError(
                    f"body ended after {position} of {self.info.total} bytes"
                )
            failures += 1
            if failures > self._options.max_resume_attempts:
                raise broken_too_often(error, self._label, failures) from error
            position = await self._resume(await self._holder.kept(position))

    def _check_length(self, block: Block, position: int) -> None:
        total = self.info.total if self.info.total is not None else self._limit
        if total is not None and position + block.size > total:
            raise SizeMismatchError(
                f"the download of {self._label} is longer than the {total} bytes announced; "
                "nothing was kept",
                expected=total,
                actual=position + block.size,
            )

    async def _resume(self, position: int) -> int:
        """Open the rest of the file from ``position``; the position reading goes on from."""
        headers = resume_headers(self.info, position)
        if headers is not None:
            answer = await self.exchange.open(headers)
            verdict = judge_resumed(self.info, answer, position)
            if verdict is Resumption.APPEND:
                return position
            if verdict is Resumption.RESTART:
                await self._restart(answer)
                return 0
        await self._restart(await self.exchange.open_whole(self._options.max_resume_attempts + 1))
        return 0

    async def _restart(self, answer: BodyInfo) -> None:
        await self._holder.discard()
        self.info = answer
        self._decoding = decoding_for(answer, self._expected_size)
        refuse_encoding(answer, self._decoding, self.exchange.response)

    def _decoder(self) -> BoundedDecoder | None:
        if self._decoding is Decoding.DECODE:
            assert self._expected_size is not None
            return BoundedDecoder(self.info.encoding, limit=self._expected_size)
        return None

    def _decoding_error(self, error: Exception) -> Exception:
        response = self.exchange.response
        if isinstance(error, BodyTooLarge):
            assert self._expected_size is not None
            return SizeMismatchError(
                f"the {self.info.encoding}-encoded download of {self._label} decodes to more "
                f"than the {self._expected_size} bytes listed for it; nothing was kept",
                expected=self._expected_size,
                actual=self._expected_size + 1,
            )
        return InvalidResponseError(
            f"the download of {self._label}: {error}; nothing was kept",
            status_code=response.status_code,
            method="GET",
            path=path_of(response.url),
        )
