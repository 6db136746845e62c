"""Container integrity of gzip (BGZF included) and zip files, checked as their bytes arrive.

``ArchiveCheck.for_first_bytes`` decides from the signature alone whether a file is an archive
(``1f 8b`` is gzip, ``PK 03 04`` or ``PK 05 06`` is zip); the file's name is only used in
messages, so plain text named ``.txt.zip`` is not an archive. The caller then feeds every byte
of the file, from the first, and calls ``finish`` at the end; the first inconsistency raises
``ArchiveIntegrityError`` with the file's name, the offset and the problem.

gzip: every member's header, deflate data, CRC32 and ISIZE; a BGZF block's ``BSIZE`` must match
the block; the file may not end inside a member. After the last member, zero padding is
accepted and anything else is refused, as Python's gzip module does (GNU gzip warns).

zip: each local entry's data is inflated (deflate) or summed (stored) as it streams and its
CRC32 and sizes compared with its local header or data descriptor; the central directory is then
matched entry by entry against what streamed, and the end-of-central-directory record (zip64
included) against the directory's count, size and offset. Entries with another method, or
encrypted, are delimited but their CRC is not checked. A stored entry with a data descriptor
cannot be delimited without the central directory; the check stops there and passes.

Memory stays bounded: decompressed data is only summed, in pieces of ``_OUTPUT_PIECE``; a zip
keeps one small record per entry.
"""

from __future__ import annotations

import zlib

from galatea_async._archive._gzip import GzipReader
from galatea_async._archive._stream import Problem
from galatea_async._archive._zip import ZipReader
from galatea_async.errors import ArchiveIntegrityError

__all__ = ["ArchiveCheck"]

_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")


class ArchiveCheck:
    """One archive's integrity check, fed its bytes in order."""

    __slots__ = ("_error", "_reader", "kind", "name")

    def __init__(self, reader: GzipReader | ZipReader, *, name: str) -> None:
        self._reader = reader
        self._error: ArchiveIntegrityError | None = None
        self.kind = reader.kind
        self.name = name

    def __repr__(self) -> str:
        return f"ArchiveCheck(kind={self.kind!r})"

    @classmethod
    def for_first_bytes(cls, head: bytes, *, name: str) -> ArchiveCheck | None:
        """A check for a file starting with ``head``, or ``None`` when it is not an archive.

        ``head`` is only looked at (its first 4 bytes decide): feed it again with the rest.
        """
        if head.startswith(_GZIP_MAGIC):
            return cls(GzipReader(), name=name)
        if head[:4] in _ZIP_MAGICS:
            return cls(ZipReader(), name=name)
        return None

    def feed(self, data: bytes) -> None:
        """Check the next bytes of the file; ``ArchiveIntegrityError`` at the first fault."""
        self._raise_if_failed()
        try:
            self._reader.feed(data)
        except Problem as problem:
            self._fail(problem)
        except zlib.error as error:  # a reader lets no zlib error out; kept as a last guard
            self._fail(Problem(self._reader.offset, f"undecodable data ({error})"))

    def finish(self) -> None:
        """The file has ended: ``ArchiveIntegrityError`` if the archive is incomplete."""
        self._raise_if_failed()
        try:
            self._reader.finish()
        except Problem as problem:
            self._fail(problem)

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error

    def _fail(self, problem: Problem) -> None:
        self._error = ArchiveIntegrityError(
            name=self.name, kind=self.kind, offset=problem.offset, problem=problem.text
        )
        raise self._error
