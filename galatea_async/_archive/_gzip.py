"""gzip members (BGZF blocks included) checked as they stream: header, deflate data, trailer."""

from __future__ import annotations

import struct
import zlib

import attrs

from galatea_async._archive._stream import Inflater, Problem, Reader, inflate_available

__all__ = ["GzipReader"]

_FEXTRA, _FNAME, _FCOMMENT, _FHCRC = 4, 8, 16, 2
# A header's name or comment longer than this is taken as damage, not waited for.
_MAX_HEADER = 1 << 20


@attrs.frozen
class _GzipHeader:
    length: int
    block_size: int | None  # BGZF's BSIZE: the whole block's length minus one


def _gzip_header(head: bytes | bytearray, start: int) -> _GzipHeader | None:
    """The member header at the front of ``head`` (file offset ``start``); ``None`` if cut."""
    if len(head) < 10:
        return None
    if head[2] != 8:
        raise Problem(start + 2, f"unknown gzip compression method {head[2]}")
    flags = head[3]
    if flags & 0xE0:
        raise Problem(start + 3, "reserved gzip header flags are set")
    end, block_size = 10, None
    if flags & _FEXTRA:
        if len(head) < 12:
            return None
        end = 12 + int.from_bytes(head[10:12], "little")
        if len(head) < end:
            return None
        block_size = _bgzf_block_size(bytes(head[12:end]))
    for flag in (_FNAME, _FCOMMENT):
        if flags & flag:
            zero = head.find(b"\0", end)
            if zero < 0:
                return None
            end = zero + 1
    if flags & _FHCRC:
        if len(head) < end + 2:
            return None
        if int.from_bytes(head[end : end + 2], "little") != zlib.crc32(head[:end]) & 0xFFFF:
            raise Problem(start + end, "the gzip header's CRC16 does not match the header")
        end += 2
    return _GzipHeader(end, block_size)


def _bgzf_block_size(extra: bytes) -> int | None:
    position = 0
    while position + 4 <= len(extra):
        length = int.from_bytes(extra[position + 2 : position + 4], "little")
        if extra[position : position + 2] == b"BC" and length == 2:
            return int.from_bytes(extra[position + 4 : position + 6], "little")
        position += 4 + length
    return None


class GzipReader(Reader):
    """gzip members one after another, then optional zero padding."""

    kind = "gzip"

    def __init__(self) -> None:
        super().__init__()
        self._member = 0
        self._member_start = 0
        self._header = _GzipHeader(0, None)
        self._inflater = Inflater()

    def _start(self) -> bool:
        pending = self._pending
        if self._member:  # zero padding may follow a member, as Python's gzip module allows
            pending.take(len(pending.data) - len(pending.data.lstrip(b"\0")))
        if not pending.data:
            return False
        if bytes(pending.data[:2]) not in (b"\x1f", b"\x1f\x8b"):
            where = "after the last gzip member" if self._member else "at the start"
            raise Problem(pending.offset, f"bytes that are not a gzip member {where}")
        if len(pending.data) < 2:
            return False
        header = _gzip_header(pending.data, pending.offset)
        if header is None:
            if len(pending.data) > _MAX_HEADER:
                raise Problem(pending.offset, "a gzip header field is not terminated")
            return False
        self._member += 1
        self._member_start = pending.offset
        self._header = header
        pending.take(header.length)
        self._inflater = Inflater()
        self._step = self._body
        return True

    def _body(self) -> bool:
        inflate_available(self._pending, self._inflater)
        if not self._inflater.done:
            return False
        self._step = self._trailer
        return True

    def _trailer(self) -> bool:
        pending = self._pending
        if len(pending.data) < 8:
            return False
        at = pending.offset
        crc, size = struct.unpack("<II", pending.take(8))
        number = f"gzip member {self._member} (at offset {self._member_start})"
        if crc != self._inflater.crc:
            raise Problem(at, f"{number}: CRC32 {crc:08x} stored, {self._inflater.crc:08x} found")
        if size != self._inflater.size & 0xFFFFFFFF:
            raise Problem(at + 4, f"{number}: length {size} stored, {self._inflater.size} found")
        block_size = self._header.block_size
        if block_size is not None and pending.offset - self._member_start != block_size + 1:
            raise Problem(
                self._member_start,
                f"BGZF block {self._member}: BSIZE says {block_size + 1} bytes, "
                f"the block has {pending.offset - self._member_start}",
            )
        self._step = self._start
        return True

    def finish(self) -> None:
        if self._step == self._start and not self._pending.data:
            return
        part = {self._start: "header", self._body: "deflate data", self._trailer: "trailer"}
        raise Problem(
            self._pending.end,
            f"the file ends inside gzip member {self._member + (self._step == self._start)}'s "
            f"{part[self._step]} (truncated)",
        )
