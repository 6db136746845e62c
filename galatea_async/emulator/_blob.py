"""Byte contents of any size described by a few segments, never held whole in memory.

A :class:`Blob` is a list of segments: literal ``bytes`` and :class:`Repeat` runs (one block
repeated up to a length). Any byte range of it can be produced chunk by chunk, its md5 is
computed once by streaming, and its CRC-32 is computed arithmetically (zlib's
``crc32_combine``), so a multi-GiB zip archive can be described without reading it.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import Iterator, Sequence

import attrs

__all__ = ["BLOCK_SIZE", "Blob", "Repeat", "crc32_combine", "stored_zip", "zip_overhead"]

BLOCK_SIZE = 1 << 20


@attrs.frozen
class Repeat:
    """``block`` repeated and cut at ``length`` bytes."""

    block: bytes
    length: int

    def __attrs_post_init__(self) -> None:
        if not self.block:
            raise ValueError("a Repeat needs a non-empty block")
        if self.length < 0:
            raise ValueError("length must not be negative")


Segment = bytes | Repeat


def _segment_size(segment: Segment) -> int:
    return len(segment) if isinstance(segment, bytes) else segment.length


class Blob:
    """A byte string of any size, described by segments."""

    def __init__(self, segments: Sequence[Segment]) -> None:
        self._segments = tuple(s for s in segments if _segment_size(s) > 0)
        self.size = sum(_segment_size(s) for s in self._segments)
        self._md5: str | None = None
        self._crc32: int | None = None

    @classmethod
    def of(cls, data: bytes) -> Blob:
        """A blob holding ``data``."""
        return cls([data])

    def chunks(
        self, start: int = 0, end: int | None = None, chunk_size: int = BLOCK_SIZE
    ) -> Iterator[bytes]:
        """The bytes ``[start, end)`` in chunks of at most ``chunk_size`` bytes."""
        end = self.size if end is None else min(end, self.size)
        position = 0
        for segment in self._segments:
            seg_size = _segment_size(segment)
            seg_start, seg_end = position, position + seg_size
            position = seg_end
            if seg_end <= start or seg_start >= end:
                continue
            local = max(start, seg_start) - seg_start
            local_end = min(end, seg_end) - seg_start
            if isinstance(segment, bytes):
                for offset in range(local, local_end, chunk_size):
                    yield segment[offset : min(offset + chunk_size, local_end)]
                continue
            block = segment.block
            block_len = len(block)
            while local < local_end:
                within = local % block_len
                take = min(block_len - within, local_end - local, chunk_size)
                # Aligned whole blocks go out as the block itself: no copy on the hot path.
                yield block if take == block_len else block[within : within + take]
                local += take

    def read(self, start: int = 0, end: int | None = None) -> bytes:
        """The bytes ``[start, end)`` joined; only for small ranges."""
        return b"".join(self.chunks(start, end))

    def md5_hex(self) -> str:
        """The md5 of the whole content, computed once by streaming and cached."""
        if self._md5 is None:
            digest = hashlib.md5(usedforsecurity=False)
            for chunk in self.chunks():
                digest.update(chunk)
            self._md5 = digest.hexdigest()
        return self._md5

    def crc32(self) -> int:
        """The CRC-32 of the whole content, without reading repeated runs byte by byte."""
        if self._crc32 is None:
            crc = 0
            for segment in self._segments:
                if isinstance(segment, bytes):
                    crc = zlib.crc32(segment, crc)
                else:
                    crc = crc32_combine(crc, _repeat_crc(segment), segment.length)
            self._crc32 = crc
        return self._crc32


def _repeat_crc(run: Repeat) -> int:
    block_len = len(run.block)
    whole, tail = divmod(run.length, block_len)
    crc, power_crc, power_len = 0, zlib.crc32(run.block), block_len
    # Binary exponentiation over the number of whole blocks.
    while whole:
        if whole & 1:
            crc = crc32_combine(crc, power_crc, power_len)
        whole >>= 1
        if whole:
            power_crc = crc32_combine(power_crc, power_crc, power_len)
            power_len *= 2
    return crc32_combine(crc, zlib.crc32(run.block[:tail]), tail)


def _gf2_times(matrix: Sequence[int], vector: int) -> int:
    total = 0
    index = 0
    while vector:
        if vector & 1:
            total ^= matrix[index]
        vector >>= 1
        index += 1
    return total


def _gf2_square(matrix: Sequence[int]) -> list[int]:
    return [_gf2_times(matrix, row) for row in matrix]


def _zero_operators(count: int = 64) -> list[list[int]]:
    # The operator that appends one zero bit, then squared up to one byte, two bytes, ...
    one_bit = [0xEDB88320] + [1 << n for n in range(31)]
    operator = _gf2_square(_gf2_square(_gf2_square(one_bit)))
    operators = [operator]
    for _ in range(count - 1):
        operator = _gf2_square(operator)
        operators.append(operator)
    return operators


_ZERO_BYTES_OPERATORS = _zero_operators()


def crc32_combine(crc1: int, crc2: int, length2: int) -> int:
    """The CRC-32 of ``A + B`` from ``crc32(A)``, ``crc32(B)`` and ``len(B)``."""
    if length2 <= 0:
        return crc1
    bit = 0
    while length2:
        if length2 & 1:
            crc1 = _gf2_times(_ZERO_BYTES_OPERATORS[bit], crc1)
        length2 >>= 1
        bit += 1
    return crc1 ^ crc2


# --- stored (uncompressed) zip archives, zip64 when large ------------------------------------

_DOS_TIME, _DOS_DATE = 0x6000, 0x5AE1  # 12:00:00, 2025-07-01
_ZIP64_LIMIT = 0xFFFFFFFF
_UTF8_FLAG = 0x0800


def _local_header(name: bytes, crc: int, size: int, zip64: bool) -> bytes:
    extra = struct.pack("<HHQQ", 0x0001, 16, size, size) if zip64 else b""
    shown = _ZIP64_LIMIT if zip64 else size
    version = 45 if zip64 else 20
    head = struct.pack(
        "<IHHHHHIIIHH",
        0x04034B50,
        version,
        _UTF8_FLAG,
        0,
        _DOS_TIME,
        _DOS_DATE,
        crc,
        shown,
        shown,
        len(name),
        len(extra),
    )
    return head + name + extra


def _central_header(name: bytes, crc: int, size: int, offset: int, zip64: bool) -> bytes:
    extra = struct.pack("<HHQQQ", 0x0001, 24, size, size, offset) if zip64 else b""
    shown_size = _ZIP64_LIMIT if zip64 else size
    shown_offset = _ZIP64_LIMIT if zip64 else offset
    version = 45 if zip64 else 20
    head = struct.pack(
        "<IHHHHHHIIIHHHHHII",
        0x02014B50,
        version,
        version,
        _UTF8_FLAG,
        0,
        _DOS_TIME,
        _DOS_DATE,
        crc,
        shown_size,
        shown_size,
        len(name),
        len(extra),
        0,
        0,
        0,
        0,
        shown_offset,
    )
    return head + name + extra


def _end_records(count: int, cd_offset: int, cd_size: int, zip64: bool) -> bytes:
    if not zip64:
        return struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, cd_size, cd_offset, 0)
    zip64_end_offset = cd_offset + cd_size
    record = struct.pack(
        "<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, count, count, cd_size, cd_offset
    )
    locator = struct.pack("<IIQI", 0x07064B50, 0, zip64_end_offset, 1)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, _ZIP64_LIMIT, _ZIP64_LIMIT, 0)
    return record + locator + end


def zip_overhead(names: Sequence[str], *, zip64: bool) -> int:
    """The bytes a stored zip adds around its members' contents."""
    per_name = sum(len(n.encode()) * 2 for n in names)
    per_member = (30 + 46 + (20 + 28 if zip64 else 0)) * len(names)
    end = 22 + (56 + 20 if zip64 else 0)
    return per_name + per_member + end


def stored_zip(members: Sequence[tuple[str, Blob]]) -> Blob:
    """A real zip archive (method "stored") of ``members``, as a blob."""
    total = sum(blob.size for _, blob in members) + zip_overhead(
        [name for name, _ in members], zip64=False
    )
    zip64 = total >= _ZIP64_LIMIT or len(members) >= 0xFFFF
    segments: list[Segment] = []
    central: list[bytes] = []
    offset = 0
    for name, blob in members:
        encoded = name.encode()
        crc = blob.crc32()
        header = _local_header(encoded, crc, blob.size, zip64)
        central.append(_central_header(encoded, crc, blob.size, offset, zip64))
        segments.append(header)
        segments.extend(blob._segments)
        offset += len(header) + blob.size
    directory = b"".join(central)
    segments.append(directory + _end_records(len(members), offset, len(directory), zip64))
    return Blob(segments)
