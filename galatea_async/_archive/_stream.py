"""What the gzip and zip readers share: fed bytes, a step loop, inflating, and ``Problem``.

A reader keeps the bytes not yet parsed in ``Pending`` and a current step; a step consumes what
it can and returns whether another step can run now. A fault is a ``Problem`` (file offset and
text), turned into ``ArchiveIntegrityError`` by ``ArchiveCheck``.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

__all__ = ["Inflater", "Pending", "Problem", "Reader", "inflate_available"]

# Input handed to zlib at once: a deflate fault is reported at the end of this piece, so the
# offset given is at most this far past the damage.
_INPUT_PIECE = 64 * 1024
# Decompressed bytes produced at once: a small file of zeros inflating to gigabytes costs CPU,
# never memory.
_OUTPUT_PIECE = 256 * 1024


class Problem(Exception):
    """A fault at ``offset`` in the file, described by ``text``."""

    def __init__(self, offset: int, text: str) -> None:
        super().__init__(offset, text)
        self.offset = offset
        self.text = text


class Pending:
    """The bytes received and not yet parsed; ``offset`` is the file offset of the first."""

    __slots__ = ("data", "offset")

    def __init__(self) -> None:
        self.data = bytearray()
        self.offset = 0

    def take(self, count: int) -> bytes:
        """Up to ``count`` bytes from the front."""
        chunk = bytes(self.data[:count])
        del self.data[:count]
        self.offset += len(chunk)
        return chunk

    def give_back(self, chunk: bytes) -> None:
        """Put bytes taken too eagerly back at the front."""
        self.data[:0] = chunk
        self.offset -= len(chunk)

    @property
    def end(self) -> int:
        """The file offset just past the last byte received."""
        return self.offset + len(self.data)


class Inflater:
    """One raw deflate stream: the CRC32 and length of its output, and where it ends."""

    def __init__(self) -> None:
        self._stream = zlib.decompressobj(-15)
        self.crc = 0
        self.size = 0

    @property
    def done(self) -> bool:
        return self._stream.eof

    def push(self, piece: bytes, *, end_offset: int) -> bytes:
        """Inflate ``piece`` (ending at ``end_offset``); returns the bytes past the stream's end."""
        pending = piece
        while not self._stream.eof:
            try:
                out = self._stream.decompress(pending, _OUTPUT_PIECE)
            except zlib.error as error:
                raise Problem(end_offset, f"corrupt deflate data ({error})") from None
            self.crc = zlib.crc32(out, self.crc)
            self.size += len(out)
            pending = self._stream.unconsumed_tail
            if not pending and len(out) < _OUTPUT_PIECE:
                break
        return self._stream.unused_data if self._stream.eof else b""


def inflate_available(pending: Pending, inflater: Inflater, limit: int | None = None) -> None:
    """Inflate what ``pending`` holds (at most ``limit`` bytes), giving back what follows."""
    while pending.data and not inflater.done and (limit is None or limit > 0):
        size = _INPUT_PIECE if limit is None else min(_INPUT_PIECE, limit)
        piece = pending.take(size)
        rest = inflater.push(piece, end_offset=pending.offset)
        pending.give_back(rest)
        if limit is not None:
            limit -= len(piece) - len(rest)


class Reader:
    """Feeds a step function until it needs more bytes."""

    kind = ""

    def __init__(self) -> None:
        self._pending = Pending()
        self._step: Callable[[], bool] = self._start

    @property
    def offset(self) -> int:
        return self._pending.offset

    def _start(self) -> bool:
        raise NotImplementedError

    def feed(self, data: bytes) -> None:
        self._pending.data += data
        while self._step():
            pass
