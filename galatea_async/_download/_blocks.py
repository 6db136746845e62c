"""A body's bytes as blocks for the disk: the gathering rule, the speed floor, the memory bound.

``BlockGatherer`` turns the pieces a response delivers into blocks of about ``chunk_size``
bytes, kept as the pieces they arrived in (no copy). A body slower than
``TransferOptions.low_speed_limit`` bytes per second over ``low_speed_time`` seconds counts as
broken (``SpeedFloor``), like a cut one.

What a connection holds is bounded (``held_bytes_bound``): the block being gathered, which is
also the block being written (the reader gathers nothing while its consumer writes), and what
the transport buffers meanwhile.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator

import attrs
import httpx

from galatea_async._download._open_response import OpenResponse
from galatea_async._download._options import TransferOptions
from galatea_async._http._decoding import BoundedDecoder
from galatea_async._http._tracing import CallSpan
from galatea_async._http._transport import DEFAULT_READ_SIZE

__all__ = [
    "Block",
    "BlockGatherer",
    "Gather",
    "SpeedFloor",
    "held_bytes_bound",
    "read_blocks",
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
