"""A block's pieces reach the file as they are: every byte, no joined copy, any piece count."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from galatea_async._download._block_writes import MAX_VECTORS, next_vectors
from galatea_async._download._files import PartialFile, write_pieces

pytestmark = pytest.mark.skipif(not hasattr(os, "pwritev"), reason="no os.pwritev here")

Buffer = bytes | memoryview


class ShortWrites:
    """``os.pwritev`` and ``os.pwrite`` that write at most ``most`` bytes a call, and record
    every buffer they are handed."""

    def __init__(self, most: int) -> None:
        self.most = most
        self.calls: list[list[Buffer]] = []
        self._pwritev = os.pwritev

    def pwritev(self, fd: int, buffers: Sequence[Buffer], offset: int) -> int:
        self.calls.append(list(buffers))
        kept: list[Buffer] = []
        room = self.most
        for buffer in buffers:
            if room <= 0:
                break
            kept.append(memoryview(buffer)[:room])
            room -= len(kept[-1])
        return self._pwritev(fd, kept, offset)

    def pwrite(self, fd: int, buffer: Buffer, offset: int) -> int:
        return self.pwritev(fd, [buffer], offset)

    def buffers(self) -> Iterator[Buffer]:
        for call in self.calls:
            yield from call


@pytest.fixture
def short_writes(monkeypatch: pytest.MonkeyPatch) -> ShortWrites:
    recorder = ShortWrites(most=1000)
    monkeypatch.setattr(os, "pwritev", recorder.pwritev)
    monkeypatch.setattr(os, "pwrite", recorder.pwrite)
    return recorder


def origin(buffer: Buffer) -> object:
    """The object whose memory ``buffer`` is."""
    return buffer.obj if isinstance(buffer, memoryview) else buffer


def write_to_file(path: Path, offset: int, pieces: list[bytes]) -> int:
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    try:
        return write_pieces(fd, offset, pieces)
    finally:
        os.close(fd)


def test_a_short_write_goes_on_inside_the_piece_it_cut_without_joining_the_pieces(
    tmp_path: Path, short_writes: ShortWrites
) -> None:
    pieces = [bytes([n]) * size for n, size in enumerate([700, 1, 2500, 0, 333, 4096], 1)]
    path = tmp_path / "f"
    assert write_to_file(path, 5, pieces) == sum(map(len, pieces))
    assert path.read_bytes() == b"\0" * 5 + b"".join(pieces)
    assert len(short_writes.calls) > 1
    originals = {id(piece) for piece in pieces}
    assert all(id(origin(buffer)) in originals for buffer in short_writes.buffers())


def test_more_pieces_than_one_call_takes_are_written_in_several_calls_without_a_join(
    tmp_path: Path, short_writes: ShortWrites
) -> None:
    short_writes.most = 1 << 30
    pieces = [f"{n:05d}".encode() for n in range(3 * MAX_VECTORS + 7)]
    path = tmp_path / "f"
    write_to_file(path, 0, pieces)
    assert path.read_bytes() == b"".join(pieces)
    assert [len(call) for call in short_writes.calls] == [MAX_VECTORS] * 3 + [7]
    originals = {id(piece) for piece in pieces}
    assert all(id(origin(buffer)) in originals for buffer in short_writes.buffers())


def test_a_write_that_takes_no_bytes_raises_instead_of_looping(
    tmp_path: Path, short_writes: ShortWrites
) -> None:
    short_writes.most = 0
    with pytest.raises(OSError, match="took none"):
        write_to_file(tmp_path / "f", 0, [b"abc", b"def"])


async def test_a_partial_files_md5_covers_exactly_the_bytes_of_short_writes(
    tmp_path: Path, short_writes: ShortWrites
) -> None:
    pieces = [os.urandom(size) for size in (3000, 17, 5000)]
    digest = hashlib.md5(usedforsecurity=False)
    partial = PartialFile(tmp_path / "r.tsv")
    await partial.write_at(0, pieces, digest)
    await partial.write_at(8017, [b"tail"], digest)
    assert partial.temporary.read_bytes() == b"".join(pieces) + b"tail"
    assert digest.hexdigest() == hashlib.md5(b"".join(pieces) + b"tail").hexdigest()
    partial.discard()


def test_the_next_vectors_start_inside_the_piece_a_short_write_cut() -> None:
    pieces = [b"abc", b"", b"defg", b"h"]
    assert next_vectors(pieces, 0) == [b"abc", b"defg", b"h"]
    assert [bytes(v) for v in next_vectors(pieces, 5)] == [b"fg", b"h"]
    assert next_vectors(pieces, 3) == [b"defg", b"h"]
    assert next_vectors(pieces, 8) == []


def test_the_next_vectors_stop_at_the_limit() -> None:
    pieces = [b"x"] * 10
    assert len(next_vectors(pieces, 0, limit=4)) == 4
    assert len(next_vectors(pieces, 8, limit=4)) == 2


def test_the_vector_limit_is_what_the_kernel_allows() -> None:
    assert 16 <= MAX_VECTORS <= 1024
    if hasattr(os, "sysconf") and "SC_IOV_MAX" in os.sysconf_names:
        assert os.sysconf("SC_IOV_MAX") >= MAX_VECTORS


def test_without_pwritev_the_pieces_go_one_by_one_and_a_short_write_goes_on(
    tmp_path: Path, short_writes: ShortWrites, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(os, "pwritev")
    pieces = [bytes([n]) * size for n, size in enumerate([1500, 10, 2200], 1)]
    path = tmp_path / "f"
    assert write_to_file(path, 3, pieces) == 3710
    assert path.read_bytes() == b"\0" * 3 + b"".join(pieces)
    assert all(len(call) == 1 for call in short_writes.calls)  # pwrite: one buffer a call
    originals = {id(piece) for piece in pieces}
    assert all(id(origin(buffer)) in originals for buffer in short_writes.buffers())
