"""How a body's pieces become disk blocks (``BlockGatherer``): a block is handed out once it
holds ``chunk_size`` bytes, or once its first byte is old (a slow connection holds little), the
rest at the end; a decoded body is counted in decoded bytes."""

from __future__ import annotations

import zlib

from galatea_async._download._blocks import _MAX_BLOCK_AGE, BlockGatherer
from galatea_async._http._decoding import BoundedDecoder

KIB = 1024
CHUNK = 512 * KIB
READ = 256 * KIB


class _Clock:
    """A speed floor that never trips; its time is what the test sets."""

    def __init__(self) -> None:
        self.now = 0.0

    def count(self, size: int) -> float:
        return self.now


class _Span:
    def __init__(self) -> None:
        self.bytes = 0

    def add_bytes(self, size: int) -> None:
        self.bytes += size


def _gatherer(
    clock: _Clock, *, span: _Span | None = None, decoder: BoundedDecoder | None = None
) -> BlockGatherer:
    return BlockGatherer(
        span or _Span(),  # type: ignore[arg-type]
        chunk_size=CHUNK,
        floor=clock,  # type: ignore[arg-type]
        decoder=decoder,
    )


def test_blocks_are_handed_out_at_the_chunk_size_and_the_rest_at_the_end() -> None:
    span = _Span()
    gatherer = _gatherer(_Clock(), span=span)
    sizes = [b.size for piece in [b"a" * READ] * 4 + [b"b" * 100] for b in gatherer.add(piece)]
    last = gatherer.finish()
    assert sizes == [CHUNK, CHUNK]
    assert last is not None and last.size == 100
    assert span.bytes == 4 * READ + 100
    assert gatherer.finish() is None  # nothing is handed out twice


def test_a_slow_connections_block_is_handed_out_once_its_first_byte_is_old() -> None:
    clock = _Clock()
    gatherer = _gatherer(clock)
    assert gatherer.add(b"a" * KIB) == []
    clock.now = _MAX_BLOCK_AGE / 2
    assert gatherer.add(b"a" * KIB) == []
    clock.now = _MAX_BLOCK_AGE
    assert [b.size for b in gatherer.add(b"a" * KIB)] == [3 * KIB]
    clock.now = _MAX_BLOCK_AGE * 1.5  # the next block's age counts from its own first byte
    assert gatherer.add(b"a" * KIB) == []


def test_a_decoded_body_is_gathered_in_decoded_bytes() -> None:
    data = b"x" * (CHUNK + 100)
    encoded = zlib.compress(data)
    span = _Span()
    gatherer = _gatherer(_Clock(), span=span, decoder=BoundedDecoder("deflate", limit=len(data)))
    sizes = [b.size for b in gatherer.add(encoded)]
    last = gatherer.finish()
    # One decoded piece of CHUNK + 100 bytes: the block takes the piece that crossed the size
    # whole (no copy to cut it), and its size is the decoded one, not the wire's.
    assert sizes == [CHUNK + 100]
    assert last is None
    assert span.bytes == len(encoded)  # the span counts what came over the wire
