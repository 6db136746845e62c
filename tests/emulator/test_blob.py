"""Blobs: any byte range on demand, md5 by streaming, CRC-32 by arithmetic, real zips."""

from __future__ import annotations

import hashlib
import io
import random
import zipfile
import zlib

import pytest

from galatea_async.emulator._blob import Blob, Repeat, crc32_combine, stored_zip


class _BlobFile(io.RawIOBase):
    """A seekable file over a blob, so zipfile can read only what it needs."""

    def __init__(self, blob: Blob) -> None:
        self.blob, self.position = blob, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self.position, 2: self.blob.size}[whence]
        self.position = base + offset
        return self.position

    def tell(self) -> int:
        return self.position

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self.blob.read(self.position, self.position + len(buffer))
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)


def test_crc32_combine_matches_zlib_on_concatenations() -> None:
    rng = random.Random(7)
    for _ in range(100):
        first, second = rng.randbytes(rng.randint(0, 500)), rng.randbytes(rng.randint(0, 500))
        combined = crc32_combine(zlib.crc32(first), zlib.crc32(second), len(second))
        assert combined == zlib.crc32(first + second)


@pytest.mark.parametrize("length", [0, 1, 6, 7, 100, 4097, 70_001])
def test_repeat_segments_read_md5_and_crc_like_the_literal_bytes(length: int) -> None:
    block = b"abcdefg"
    literal = b"head" + (block * (length // 7 + 1))[:length] + b"tail"
    blob = Blob([b"head", Repeat(block, length), b"tail"])
    assert blob.size == len(literal)
    assert blob.read() == literal
    assert blob.md5_hex() == hashlib.md5(literal).hexdigest()
    assert blob.crc32() == zlib.crc32(literal)
    for start in range(0, len(literal), max(len(literal) // 13, 1)):
        assert blob.read(start, start + 33) == literal[start : start + 33]
    assert b"".join(blob.chunks(3, None, chunk_size=5)) == literal[3:]


def test_aligned_chunks_of_a_repeated_block_are_the_block_itself() -> None:
    block = bytes(range(256)) * 4096  # 1 MiB
    chunks = list(Blob([Repeat(block, 3 * len(block))]).chunks())
    assert len(chunks) == 3
    assert all(chunk is block for chunk in chunks)


def test_stored_zip_is_readable_and_checks_its_crcs() -> None:
    members = [("a.tsv", Blob([Repeat(b"x\ty\n", 10_000)])), ("dir/b.txt", Blob.of(b"hello"))]
    archive = zipfile.ZipFile(io.BytesIO(stored_zip(members).read()))
    assert archive.testzip() is None
    assert archive.read("dir/b.txt") == b"hello"
    assert len(archive.read("a.tsv")) == 10_000


def test_a_zip_over_4_gib_uses_zip64_and_is_described_without_reading_it() -> None:
    block = random.Random(1).randbytes(1 << 20)
    big = (4 << 30) + 12_345
    archive_blob = stored_zip(
        [
            ("first.txt", Blob.of(b"abc")),
            ("big.bin", Blob([Repeat(block, big)])),
            ("last.txt", Blob.of(b"tail")),
        ]
    )
    archive = zipfile.ZipFile(_BlobFile(archive_blob))
    sizes = {info.filename: info.file_size for info in archive.infolist()}
    assert sizes == {"first.txt": 3, "big.bin": big, "last.txt": 4}
    assert archive.read("last.txt") == b"tail"  # zipfile checks the CRC after the big member
    with archive.open("big.bin") as member:
        assert member.read(64) == block[:64]
