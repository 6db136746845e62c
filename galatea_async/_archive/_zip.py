"""zip archives checked as they stream: local entries, then the central directory and its end.

Entries are named by number and offset in messages, never by their file names, which may carry
a patient's name.
"""

from __future__ import annotations

import struct
import zlib

import attrs

from galatea_async._archive._stream import Inflater, Problem, Reader, inflate_available

__all__ = ["ZipReader"]

_LOCAL, _CENTRAL, _END = b"PK\x03\x04", b"PK\x01\x02", b"PK\x05\x06"
_ZIP64_END, _ZIP64_LOCATOR, _DESCRIPTOR = b"PK\x06\x06", b"PK\x06\x07", b"PK\x07\x08"
_LOCAL_HEAD = struct.Struct("<4sHHHHHIIIHH")
_CENTRAL_HEAD = struct.Struct("<4sHHHHHHIIIHHHHHII")
_END_HEAD = struct.Struct("<4sHHHHIIH")
_ZIP64_END_HEAD = struct.Struct("<4sQHHIIQQQQ")
_STORED, _DEFLATED = 0, 8
_ENCRYPTED, _HAS_DESCRIPTOR = 0x1, 0x8
_FULL32, _FULL16 = 0xFFFFFFFF, 0xFFFF


@attrs.define
class _Entry:
    """What one local entry said and what its data turned out to be."""

    number: int
    offset: int
    data_offset: int
    name_crc: int  # the name's CRC32: enough to match it, small whatever the name's length
    method: int
    crc: int
    compressed_size: int
    size: int
    zip64: bool
    checked: bool  # whether the data's CRC and size were computed


def _zip64_sizes(extra: bytes, wanted: list[int]) -> list[int]:
    """Replace the 0xFFFFFFFF values in ``wanted`` with the zip64 extra field's, in order."""
    position = 0
    while position + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, position)
        if tag == 1:
            values = extra[position + 4 : position + 4 + length]
            result, taken = [], 0
            for value in wanted:
                if value == _FULL32 and taken + 8 <= len(values):
                    value = int.from_bytes(values[taken : taken + 8], "little")
                    taken += 8
                result.append(value)
            return result
        position += 4 + length
    return wanted


class ZipReader(Reader):
    """Local entries in order, the central directory, then its end record and comment."""

    kind = "zip"

    def __init__(self) -> None:
        super().__init__()
        self._entries: dict[int, _Entry] = {}  # by local header offset, until listed
        self._count = 0
        self._entry: _Entry | None = None
        self._inflater = Inflater()
        self._remaining = 0
        self._directory_start = -1
        self._directory_end = -1
        self._directory_entries = 0
        self._zip64_end: tuple[int, int, int, int] | None = None
        self._comment_left = 0

    def _start(self) -> bool:
        signature = bytes(self._pending.data[:4])
        if len(signature) < 4:
            return False
        steps = {
            _LOCAL: self._local_header,
            _CENTRAL: self._central_header,
            _ZIP64_END: self._zip64_end_record,
            _ZIP64_LOCATOR: self._zip64_locator,
            _END: self._end_record,
        }
        if signature not in steps or (signature == _LOCAL and self._directory_start >= 0):
            raise Problem(self.offset, f"an unexpected record signature {signature.hex(' ')}")
        if signature != _LOCAL and self._directory_start < 0:
            self._directory_start = self.offset
        self._step = steps[signature]
        return True

    def _record(self, fixed: struct.Struct, *length_fields: int) -> tuple[int, ...] | None:
        """The fixed part of the record at the front, once it and its variable tail arrived."""
        data = self._pending.data
        if len(data) < fixed.size:
            return None
        fields = fixed.unpack_from(data)
        if len(data) < fixed.size + sum(fields[index] for index in length_fields):
            return None
        return tuple(fields[1:])

    def _local_header(self) -> bool:
        fields = self._record(_LOCAL_HEAD, 9, 10)
        if fields is None:
            return False
        _, flags, method, _, _, crc, compressed, size, name_length, extra_length = fields
        offset = self.offset
        self._pending.take(_LOCAL_HEAD.size)
        name = self._pending.take(name_length)
        extra = self._pending.take(extra_length)
        size, compressed = _zip64_sizes(extra, [size, compressed])
        checked = method in (_STORED, _DEFLATED) and not flags & _ENCRYPTED
        entry = _Entry(
            number=self._count + 1,
            offset=offset,
            data_offset=self.offset,
            name_crc=zlib.crc32(name),
            method=method,
            crc=crc,
            compressed_size=compressed,
            size=size,
            zip64=any(tag == 1 for tag in _extra_tags(extra)),
            checked=checked,
        )
        self._count += 1
        self._entries[offset] = self._entry = entry
        self._inflater = Inflater()
        if not flags & _HAS_DESCRIPTOR:
            self._remaining = compressed
            self._step = self._known_size_data
        elif method == _DEFLATED and checked:
            self._step = self._deflate_until_end
        else:  # no way to find this entry's end while streaming: stop checking here
            self._step = self._unchecked_rest
        return True

    def _known_size_data(self) -> bool:
        entry, pending = self._current(), self._pending
        if entry.checked and entry.method == _DEFLATED:
            before = pending.offset
            inflate_available(pending, self._inflater, self._remaining)
            self._remaining -= pending.offset - before
            if self._inflater.done and self._remaining:
                raise Problem(pending.offset, f"{_where(entry)}: deflate data ends early")
        else:
            chunk = pending.take(self._remaining)
            self._remaining -= len(chunk)
            self._inflater.crc = zlib.crc32(chunk, self._inflater.crc)
            self._inflater.size += len(chunk)
        if self._remaining:
            return False
        if entry.checked and entry.method == _DEFLATED and not self._inflater.done:
            raise Problem(pending.offset, f"{_where(entry)}: deflate data is cut short")
        self._compare(entry, entry.crc, entry.compressed_size, entry.size, self.offset)
        self._step = self._start
        return True

    def _deflate_until_end(self) -> bool:
        entry = self._current()
        inflate_available(self._pending, self._inflater)
        if not self._inflater.done:
            return False
        entry.compressed_size = self.offset - entry.data_offset
        self._step = self._descriptor
        return True

    def _descriptor(self) -> bool:
        entry, data = self._current(), self._pending.data
        start = 4 if data[:4] == _DESCRIPTOR else 0
        wide = entry.zip64
        length = start + (20 if wide else 12)
        if len(data) < max(4, length):
            return False
        crc, compressed, size = struct.unpack_from("<IQQ" if wide else "<III", data, start)
        at = self.offset
        self._pending.take(length)
        self._compare(entry, crc, compressed, size, at)
        entry.crc, entry.size = crc, size
        self._step = self._start
        return True

    def _unchecked_rest(self) -> bool:
        self._pending.take(len(self._pending.data))
        return False

    def _current(self) -> _Entry:
        assert self._entry is not None
        return self._entry

    def _compare(self, entry: _Entry, crc: int, compressed: int, size: int, at: int) -> None:
        found = self._inflater
        if entry.checked and crc != found.crc:
            raise Problem(at, f"{_where(entry)}: CRC32 {crc:08x} stored, {found.crc:08x} found")
        if entry.checked and size != found.size:
            raise Problem(at, f"{_where(entry)}: length {size} stored, {found.size} found")
        if compressed != entry.compressed_size:
            raise Problem(
                at,
                f"{_where(entry)}: compressed length {compressed} stored, "
                f"{entry.compressed_size} found",
            )

    def _central_header(self) -> bool:
        fields = self._record(_CENTRAL_HEAD, 10, 11, 12)
        if fields is None:
            return False
        at = self.offset
        _, _, _, method, _, _, crc, compressed, size, name_length, extra_length = fields[:11]
        self._pending.take(_CENTRAL_HEAD.size)
        name = self._pending.take(name_length)
        extra = self._pending.take(extra_length)
        self._pending.take(fields[11])
        size, compressed, offset = _zip64_sizes(extra, [size, compressed, fields[15]])
        self._directory_entries += 1
        number = self._directory_entries
        entry = self._entries.pop(offset, None)
        if entry is None:
            raise Problem(
                at,
                f"central directory entry {number} points to offset {offset}, "
                "where no entry starts",
            )
        listed = (zlib.crc32(name), method, crc, compressed, size)
        streamed = (entry.name_crc, entry.method, entry.crc, entry.compressed_size, entry.size)
        for field, said, found in zip(_FIELDS, listed, streamed, strict=True):
            if said != found:
                raise Problem(
                    at,
                    f"central directory entry {number}: its {field} differs from {_where(entry)}'s",
                )
        self._step = self._start
        return True

    def _zip64_end_record(self) -> bool:
        data = self._pending.data
        if len(data) < _ZIP64_END_HEAD.size:
            return False
        fields = _ZIP64_END_HEAD.unpack_from(data)
        if fields[1] < _ZIP64_END_HEAD.size - 12 or fields[1] > 1 << 20:
            raise Problem(self.offset, f"a zip64 end record of impossible size {fields[1]}")
        if len(data) < 12 + fields[1]:
            return False
        self._zip64_end = (self.offset, fields[7], fields[8], fields[9])
        self._directory_end = self.offset
        self._pending.take(12 + fields[1])
        self._step = self._start
        return True

    def _zip64_locator(self) -> bool:
        if len(self._pending.data) < 20:
            return False
        _, _, record_offset, _ = struct.unpack_from("<4sIQI", self._pending.data)
        if self._zip64_end is None or record_offset != self._zip64_end[0]:
            raise Problem(self.offset, "the zip64 locator does not point to the zip64 end record")
        self._pending.take(20)
        self._step = self._start
        return True

    def _end_record(self) -> bool:
        fields = self._record(_END_HEAD, 7)
        if fields is None:
            return False
        at = self.offset
        disk, _, _, count, size, offset, comment_length = fields
        if self._zip64_end is None:
            self._directory_end = at
        else:
            _, wide_count, wide_size, wide_offset = self._zip64_end
            count = wide_count if count == _FULL16 else count
            size = wide_size if size == _FULL32 else size
            offset = wide_offset if offset == _FULL32 else offset
        actual = (
            self._directory_entries,
            self._directory_end - self._directory_start,
            self._directory_start,
        )
        for field, said, found in zip(_END_FIELDS, (count, size, offset), actual, strict=True):
            if said != found:
                raise Problem(
                    at,
                    f"the end record gives the central directory's {field} as "
                    f"{said}, the file has {found}",
                )
        if disk:
            raise Problem(at, "a multi-part (spanned) zip archive")
        if self._entries:
            missing = min(self._entries.values(), key=lambda entry: entry.number)
            raise Problem(at, f"{_where(missing)} is not in the central directory")
        self._pending.take(_END_HEAD.size + comment_length)
        self._step = self._after_end
        return True

    def _after_end(self) -> bool:
        if self._pending.data:
            raise Problem(self.offset, "bytes after the end of the zip archive")
        return False

    def finish(self) -> None:
        if self._step in (self._after_end, self._unchecked_rest):
            return
        where = "the central directory" if self._directory_start >= 0 else "its entries"
        raise Problem(
            self._pending.end,
            f"the file ends in {where}, before the zip archive's end record (truncated)",
        )


_FIELDS = ("name", "method", "CRC32", "compressed length", "length")
_END_FIELDS = ("entry count", "size", "offset")


def _extra_tags(extra: bytes) -> list[int]:
    tags, position = [], 0
    while position + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, position)
        tags.append(tag)
        position += 4 + length
    return tags


def _where(entry: _Entry) -> str:
    return f"entry {entry.number} (at offset {entry.offset})"
