"""How a body's pieces become disk blocks: a file's short tail joins its last block instead of
costing a write of its own, and what a connection holds stays bounded."""

from __future__ import annotations

import zlib

from galatea_async._download._blocks import BlockGatherer
from galatea_async._http._decoding import BoundedDecoder

KIB = 1024
CHUNK = 512 * KIB
READ = 256 * KIB


class _StillClock:
    """A speed floor that never trips and a clock that never moves: no block is handed out
    for its age, so only the size rules decide."""

    def count(self, size: int) -> float:
        return 0.0


class _Span:
    def add_bytes(self, size: int) -> None:
        pass


def _gatherer(
    unread: int | None, *, chunk_size: int = CHUNK, decoder: BoundedDecoder | None = None
) -> BlockGatherer:
    return BlockGatherer(
        _Span(),  # type: ignore[arg-type]
        chunk_size=chunk_size,
        floor=_StillClock(),  # type: ignore[arg-type]
        decoder=decoder,
        unread=unread,
    )


def _blocks(gatherer: BlockGatherer, pieces: list[bytes]) -> list[int]:
    """The sizes of the blocks handed out, the last one from ``finish``."""
    sizes = [block.size for piece in pieces for block in gatherer.add(piece)]
    last = gatherer.finish()
    return sizes if last is None else [*sizes, last.size]


def test_a_short_tail_joins_the_last_block() -> None:
    pieces = [b"a" * READ] * 4 + [b"b" * 100]
    assert _blocks(_gatherer(4 * READ + 100), pieces) == [CHUNK, CHUNK + 100]


def test_a_tail_arriving_with_its_block_makes_one_block() -> None:
    pieces = [b"a" * READ] * 3 + [b"a" * (READ - 361), b"b" * 361]
    assert _blocks(_gatherer(4 * READ), pieces) == [CHUNK, CHUNK]


def test_without_a_known_size_the_tail_is_a_block_of_its_own() -> None:
    pieces = [b"a" * READ] * 4 + [b"b" * 100]
    assert _blocks(_gatherer(None), pieces) == [CHUNK, CHUNK, 100]


def test_a_tail_longer_than_half_a_chunk_is_a_block_of_its_own() -> None:
    pieces = [b"a" * READ] * 4 + [b"b" * (300 * KIB)]
    assert _blocks(_gatherer(4 * READ + 300 * KIB), pieces) == [CHUNK, CHUNK, 300 * KIB]


def test_a_tail_longer_than_what_is_held_is_not_waited_for() -> None:
    # A slow connection hands out small blocks: waiting for a larger tail would multiply what
    # it holds.
    chunk = 64 * KIB
    gatherer = _gatherer(4 * KIB + 3 * KIB, chunk_size=chunk)
    assert [block.size for block in gatherer.add(b"a" * (4 * KIB))] == []
    pieces = [b"a" * KIB] * 3
    assert _blocks(gatherer, pieces) == [7 * KIB]
    gatherer = _gatherer(KIB + 20 * KIB, chunk_size=2 * KIB)
    sizes = [block.size for block in gatherer.add(b"a" * (2 * KIB))]
    assert sizes == [2 * KIB]  # 19 KiB to come: more than the 2 KiB held, so handed out


def test_a_body_longer_than_announced_is_handed_out_for_the_length_check() -> None:
    gatherer = _gatherer(150, chunk_size=100)
    assert gatherer.add(b"a" * 100) == []  # 50 to come: held for the tail
    assert [block.size for block in gatherer.add(b"a" * 100)] == [200]


def test_a_decoded_body_ignores_the_wire_size() -> None:
    # The encoded size says nothing about the decoded bytes still to come.
    data = b"x" * (CHUNK + 100)
    encoded = zlib.compress(data)
    decoder = BoundedDecoder("deflate", limit=len(data))
    gatherer = _gatherer(len(encoded), decoder=decoder)
    assert [block.size for block in gatherer.add(encoded)] == [CHUNK + 100]
