"""Write a file so that it exists whole or not at all.

Bytes go to a temporary file beside the target (``.{name}.{random}.part``, mode 0600, created
exclusively), which is fsynced and renamed over the target only when the caller commits. Any
exception, cancellation included, removes it. The removal is synchronous on purpose: with no
``await`` in it, a cancellation cannot interrupt it halfway.

Each write is one thread hop carrying a whole buffer (about 1 MiB) and, when asked, the md5
update of the same bytes, so the event loop never blocks on the disk and pays one hop per MiB.
Writes are positional (``os.pwrite``), so parts of one file can be written concurrently.

The hops are ``anyio.to_thread`` calls rather than aiofiles: the same one hop per MiB, but
with a vectored write and the md5 in the same hop (aiofiles' file API has neither), and on
trio as well as asyncio.
"""

from __future__ import annotations

import contextlib
import contextvars
import errno
import hashlib
import os
import secrets
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread

__all__ = [
    "AtomicFile",
    "atomic_file",
    "deferred_directory_syncs",
    "refuse_existing",
    "write_whole_file",
]

_OPEN_FLAGS = os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_BINARY", 0)
_OPEN_FLAGS |= getattr(os, "O_CLOEXEC", 0)
_READ_BACK = 1 << 20
_HAS_PWRITEV = hasattr(os, "pwritev")
# Well under IOV_MAX (1024 on Linux): more pieces than this are joined first.
_MAX_VECTORS = 256
_TEMPORARY_STEM_BYTES = 200


def refuse_existing(target: Path) -> None:
    """Raise ``FileExistsError`` if ``target`` exists (a dangling symbolic link counts)."""
    if os.path.lexists(target):
        raise FileExistsError(
            errno.EEXIST, "already exists; pass overwrite=True to replace it", os.fspath(target)
        )


class AtomicFile:
    """A temporary file that becomes ``target`` on ``commit()`` and vanishes on ``discard()``."""

    def __init__(self, target: Path, *, overwrite: bool, fsync: bool) -> None:
        self.target = target
        self.overwrite = overwrite
        self.fsync = fsync
        # Beside the target (same file system, so the rename is atomic), hidden, and short
        # enough for any file system whatever the target's name.
        stem = target.name.encode("utf-8")[:_TEMPORARY_STEM_BYTES].decode("utf-8", "ignore")
        self.temporary = target.with_name(f".{stem}.{secrets.token_hex(6)}.part")
        self._fd: int | None = os.open(self.temporary, _OPEN_FLAGS, 0o600)
        # Without pwrite (Windows) a seek and a write must not interleave between threads.
        self._seek_lock = threading.Lock()

    def _require_fd(self) -> int:
        if self._fd is None:
            raise RuntimeError("the temporary file is already closed")
        return self._fd

    async def write_at(self, offset: int, pieces: Sequence[bytes], digest: Any = None) -> None:
        """Write ``pieces`` back to back from ``offset`` (and feed them to ``digest``).

        One thread hop for all of them, and one vectored write (``os.pwritev``), so a block
        gathered from many network reads reaches the disk without being copied into one.
        """
        fd = self._require_fd()
        await anyio.to_thread.run_sync(self._write_at, fd, offset, pieces, digest)

    def _write_at(self, fd: int, offset: int, pieces: Sequence[bytes], digest: Any) -> None:
        written = 0
        if _HAS_PWRITEV and 1 < len(pieces) <= _MAX_VECTORS:
            written = os.pwritev(fd, pieces, offset)
        total = sum(len(piece) for piece in pieces)
        if written < total:
            data = pieces[0] if len(pieces) == 1 else b"".join(pieces)
            self._write_all_at(fd, offset + written, memoryview(data)[written:])
        if digest is not None:
            for piece in pieces:
                digest.update(piece)

    def _write_all_at(self, fd: int, offset: int, view: memoryview) -> None:
        if hasattr(os, "pwrite"):
            while view:
                written = os.pwrite(fd, view, offset)
                view = view[written:]
                offset += written
        else:  # pragma: no cover - Windows
            with self._seek_lock:
                os.lseek(fd, offset, os.SEEK_SET)
                while view:
                    view = view[os.write(fd, view) :]

    async def truncate(self, size: int) -> None:
        """Cut or extend the file to ``size`` bytes (extending preallocates a sparse file)."""
        await anyio.to_thread.run_sync(os.ftruncate, self._require_fd(), size)

    async def size_on_disk(self) -> int:
        """How many bytes the temporary file holds."""
        return os.fstat(self._require_fd()).st_size

    async def md5_of_first(self, size: int) -> Any:
        """An md5 object fed with the first ``size`` bytes on disk (read back in one hop)."""
        return await anyio.to_thread.run_sync(self._md5_of_first, size)

    def _md5_of_first(self, size: int) -> Any:
        digest = hashlib.md5()  # noqa: S324 - the API's checksum, not a security measure
        with open(self.temporary, "rb") as readback:
            remaining = size
            while remaining > 0:
                block = readback.read(min(_READ_BACK, remaining))
                if not block:
                    break
                digest.update(block)
                remaining -= len(block)
        return digest

    async def commit(self) -> Path:
        """Make the bytes written the target file; ``FileExistsError`` if it appeared meanwhile.

        One thread hop for the fsync, the rename and the directory's fsync. Without
        ``overwrite`` the rename is ``os.link`` (which never replaces an existing name) then an
        unlink of the temporary name. On a file system without hard links it falls back to an
        existence check then ``os.replace``: a file created between the two is replaced.
        """
        self._require_fd()
        return await anyio.to_thread.run_sync(self.commit_now)

    def commit_now(self) -> Path:
        """``commit`` in the calling thread (blocking)."""
        fd = self._require_fd()
        if self.fsync:
            os.fsync(fd)
        self._fd = None
        os.close(fd)
        if self.overwrite:
            os.replace(self.temporary, self.target)
        else:
            self._link_without_clobbering()
        if self.fsync:
            _sync_directory_now_or_later(self.target.parent)
        return self.target

    def _link_without_clobbering(self) -> None:
        try:
            os.link(self.temporary, self.target)
        except FileExistsError:
            refuse_existing(self.target)
            raise
        except OSError:
            refuse_existing(self.target)
            os.replace(self.temporary, self.target)
            return
        os.unlink(self.temporary)

    def discard(self) -> None:
        """Close and remove the temporary file; safe to call at any time, and more than once."""
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.temporary)


# Inside ``deferred_directory_syncs()`` (a batch), directories to fsync are collected instead of
# synced after every rename: 2,000 files in one folder then cost one directory sync, not 2,000.
_deferred_syncs: contextvars.ContextVar[set[Path] | None] = contextvars.ContextVar(
    "galatea_deferred_directory_syncs", default=None
)


def _sync_directory_now_or_later(directory: Path) -> None:
    pending = _deferred_syncs.get()
    if pending is None:
        _fsync_directory(directory)
    else:
        pending.add(directory)


@contextlib.asynccontextmanager
async def deferred_directory_syncs() -> AsyncIterator[None]:
    """Within the block, renames' directory fsyncs wait for its end, one per directory.

    Each file's own bytes are still fsynced before its rename, so no file is ever seen half
    written; what waits is the durability of the renames, which the block's end provides.
    """
    pending: set[Path] = set()
    token = _deferred_syncs.set(pending)
    try:
        yield
    finally:
        _deferred_syncs.reset(token)
        if pending:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(_fsync_directories, sorted(pending))


def _fsync_directories(directories: Sequence[Path]) -> None:
    for directory in directories:
        _fsync_directory(directory)


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable on POSIX; there is no such thing on Windows.
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
    try:
        fd = os.open(directory, flags)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.asynccontextmanager
async def atomic_file(target: Path, *, overwrite: bool, fsync: bool) -> AsyncIterator[AtomicFile]:
    """An ``AtomicFile`` for ``target``, discarded unless committed inside the block."""
    if not overwrite:
        refuse_existing(target)
    file = AtomicFile(target, overwrite=overwrite, fsync=fsync)
    try:
        yield file
    except BaseException:
        file.discard()
        raise
    file.discard()  # after a commit only the already-renamed name is left to miss


async def write_whole_file(
    target: Path,
    pieces: Sequence[bytes],
    *,
    overwrite: bool,
    fsync: bool,
    check: Callable[[], None] | None = None,
) -> Path:
    """Write a file held in memory atomically, in one thread hop; its path.

    Creating, writing, fsyncing and renaming a small file one hop at a time costs more than
    the bytes: a batch of thousands of small results is bound by it. ``check`` runs after the
    bytes are written and before the rename; raising there keeps no file.
    """
    return await anyio.to_thread.run_sync(
        _write_whole_file, target, pieces, overwrite, fsync, check
    )


def _write_whole_file(
    target: Path,
    pieces: Sequence[bytes],
    overwrite: bool,
    fsync: bool,
    check: Callable[[], None] | None,
) -> Path:
    if not overwrite:
        refuse_existing(target)
    file = AtomicFile(target, overwrite=overwrite, fsync=fsync)
    try:
        file._write_at(file._require_fd(), 0, pieces, None)
        if check is not None:
            check()
        return file.commit_now()
    except BaseException:
        file.discard()
        raise
