"""Writing a block's pieces to a file as they are: no joined copy, every byte, any count.

A block arrives as the pieces the network gave (``_blocks.Block``). ``write_pieces`` hands
them to the kernel as vectored writes (``os.pwritev``) at their offset, so a connection
never holds the pieces and their join at once. Two kernel limits shape the loop, and
``next_vectors`` is the pure rule for both: one call takes at most ``MAX_VECTORS`` buffers
(``IOV_MAX``, 1024 on Linux), and a call may write fewer bytes than it was given (a full
disk, a signal, a file system's own limit); the next call then starts inside the piece where
the last one stopped, through a ``memoryview`` of it (no copy either).

Blocking: runs in a worker thread (``_files.PartialFile`` and ``_small_files`` call it there).
Without ``os.pwritev`` (Windows) the same loop writes one buffer at a time.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Sequence

__all__ = ["MAX_VECTORS", "VectoredWrite", "next_vectors", "write_pieces"]

Buffer = bytes | memoryview
# ``os.pwritev``'s shape: (fd, buffers, offset) -> bytes written.
VectoredWrite = Callable[[int, Sequence[Buffer], int], int]


def _iov_max() -> int:
    try:
        limit = os.sysconf("SC_IOV_MAX")
    except (AttributeError, ValueError, OSError):
        return 1024
    return limit if limit > 0 else 1024


# 16 is the POSIX minimum; more than 1024 buffers a call gains nothing.
MAX_VECTORS = max(16, min(1024, _iov_max()))


def next_vectors(
    pieces: Sequence[bytes], written: int, *, limit: int = MAX_VECTORS
) -> list[Buffer]:
    """The buffers of the next write once ``written`` bytes of ``pieces`` are on disk.

    At most ``limit`` of them; the first is a view of the rest of the piece a short write cut
    (empty pieces are left out). Empty when everything is written.
    """
    vectors: list[Buffer] = []
    for piece in pieces:
        size = len(piece)
        if written >= size:
            written -= size
            continue
        vectors.append(memoryview(piece)[written:] if written else piece)
        written = 0
        if len(vectors) == limit:
            break
    return vectors


def write_pieces(fd: int, offset: int, pieces: Sequence[bytes]) -> int:
    """Write ``pieces`` back to back from ``offset``, every byte; how many bytes that was."""
    # Looked up per call, not at import: the platform's own, or one buffer at a time.
    write: VectoredWrite = getattr(os, "pwritev", None) or _pwritev_one_by_one
    total = sum(len(piece) for piece in pieces)
    written = 0
    while written < total:
        count = write(fd, next_vectors(pieces, written), offset + written)
        if count <= 0:
            # A regular file never takes nothing unless something is wrong: never spin.
            raise OSError(
                errno.EIO, "the file system took none of the bytes of a write: check the disk"
            )
        written += count
    return total


def _pwritev_one_by_one(fd: int, buffers: Sequence[Buffer], offset: int) -> int:
    written = 0
    for buffer in buffers:
        count = _pwrite(fd, buffer, offset + written)
        written += count
        if count < len(buffer):
            break
    return written


def _pwrite(fd: int, buffer: Buffer, offset: int) -> int:
    if hasattr(os, "pwrite"):
        return os.pwrite(fd, buffer, offset)
    # Windows has no positional write: seek, then write (one writer per descriptor there).
    os.lseek(fd, offset, os.SEEK_SET)  # pragma: no cover
    return os.write(fd, buffer)  # pragma: no cover
