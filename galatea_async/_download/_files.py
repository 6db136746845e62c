"""Files on disk: whole or not at all, private, never clobbered, durable when reported done.

A download is written to a temporary file beside its target (``.{name}.{random}.part``, mode
0600, created exclusively), which becomes the target only when ``finish`` runs: the bytes are
fsynced, the temporary file is linked to the target name (``os.link`` never replaces a name;
``os.replace`` when replacing is allowed) and the directory is fsynced, now or, within a batch,
once per directory through ``DurableDirectories``. Any exception, cancellation included, removes
the temporary file; the removal is synchronous, so a cancellation cannot interrupt it halfway.

Everything that touches the disk runs in a worker thread, one hop at a time: a block write
(a vectored ``os.pwritev``, with the md5 of the same bytes in the same hop); small files held
in memory go several to a hop (``_small_files.py``). The hops are
``run_blocking`` calls (``_threads.py``) rather than aiofiles: the same one hop per block, but
with the vectored write and the md5 in the same hop, and on trio as well as asyncio.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import secrets
import stat
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Union

import attrs

from galatea_async._download import _durability
from galatea_async._download._block_writes import write_pieces
from galatea_async._download._partials import (
    Coverage,
    PartialValidators,
    open_partial,
    remove_partial,
    remove_partial_sidecar,
    resumable_name,
)
from galatea_async._download._target import Destination, Existing, plan_destination
from galatea_async._download._threads import run_blocking

__all__ = [
    "OPEN_FLAGS",
    "LastWrite",
    "PartialFile",
    "file_md5",
    "local_size",
    "place",
    "prepare_destination",
    "refuse_existing",
    "temporary_name",
    "write_pieces",
]

OPEN_FLAGS = os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_BINARY", 0)
OPEN_FLAGS |= getattr(os, "O_CLOEXEC", 0)
_READ_BACK = 1 << 20
_TEMPORARY_STEM_BYTES = 200
_WRITE_BACK_ADVICE: int | None = (
    getattr(os, "POSIX_FADV_DONTNEED", None) if sys.platform.startswith("linux") else None
)
StrPath = Union[str, "os.PathLike[str]"]


def prepare_destination(dest: str | os.PathLike[str]) -> Destination:
    """The ``Destination`` ``dest`` names, its directory created if missing (like mkdir -p)."""
    destination = plan_destination(dest, is_directory=os.path.isdir(dest))
    destination.directory.mkdir(parents=True, exist_ok=True)
    return destination


def temporary_name(name: str) -> str:
    """A temporary name for a file to be called ``name``: hidden, random, and short enough for
    any file system whatever ``name`` is (``.{name}.{12 hex}.part``)."""
    stem = name.encode("utf-8")[:_TEMPORARY_STEM_BYTES].decode("utf-8", "ignore")
    return f".{stem}.{secrets.token_hex(6)}.part"


def refuse_existing(target: StrPath) -> None:
    """Raise ``FileExistsError`` if ``target`` exists (a dangling symbolic link counts)."""
    if os.path.lexists(target):
        raise FileExistsError(
            errno.EEXIST, "already exists; pass overwrite=True to replace it", os.fspath(target)
        )


def local_size(target: Path) -> int | None:
    """The size of the regular file at ``target``; None if there is none (a link never counts)."""
    try:
        status = os.lstat(target)
    except OSError:
        return None
    return status.st_size if stat.S_ISREG(status.st_mode) else None


def file_md5(path: Path) -> str:
    """The md5 (hex) of a file on disk (blocking: call it in a worker thread)."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        while block := handle.read(_READ_BACK):
            digest.update(block)
    return digest.hexdigest()


@attrs.frozen
class LastWrite:
    """A file's last block, left for the hop that finishes the file: ``pieces`` from
    ``offset``, fed to ``digest`` (or None)."""

    offset: int
    pieces: Sequence[bytes]
    digest: Any = None


class PartialFile:
    """The temporary file of one download, beside its target; created by the first write.

    With ``validators`` it is a partial kept for the next run (``_partials.py``): named for its
    item, with a sidecar, resumed from ``offset`` bytes an earlier run wrote; ``keep`` then
    leaves its written prefix in place instead of removing it. With ``write_back`` (a file
    that will be fsynced) each write also starts sending its bytes to the disk.
    """

    def __init__(
        self,
        target: Path,
        validators: PartialValidators | None = None,
        offset: int = 0,
        *,
        write_back: bool = False,
    ) -> None:
        self.target = target
        self.validators = validators
        self._offset = offset
        self._write_back = write_back
        # Beside the target (same file system, so the rename is atomic), hidden, and short
        # enough for any file system whatever the target's name.
        if validators is None:
            name = temporary_name(target.name)
        else:
            name = resumable_name(validators.item)  # the same every run: the next one finds it
        self.temporary = target.with_name(name)
        self.coverage = Coverage(offset)
        self._fd: int | None = None
        self._finished = False
        self._lock = threading.Lock()

    def _open(self) -> int:
        if self.validators is None:
            return os.open(self.temporary, OPEN_FLAGS, 0o600)
        return open_partial(self.temporary, self.validators, self._offset)

    def _descriptor(self) -> int:
        # In a worker thread: parts may race to create the file, so creation is locked.
        with self._lock:
            if self._finished:
                raise RuntimeError("the temporary file is already finished or discarded")
            if self._fd is None:
                self._fd = self._open()
            return self._fd

    async def write_at(self, offset: int, pieces: Sequence[bytes], digest: Any = None) -> None:
        """Write ``pieces`` back to back from ``offset`` (and feed them to ``digest``).

        One thread hop and one vectored write, so a block gathered from many network reads
        reaches the disk without being copied into one.
        """
        await run_blocking(self._write_at, offset, pieces, digest)

    def _write_at(self, offset: int, pieces: Sequence[bytes], digest: Any) -> None:
        fd = self._descriptor()
        size = write_pieces(fd, offset, pieces)
        if self._write_back:
            _start_write_back(fd, offset, size)
        with self._lock:
            self.coverage.add(offset, offset + size)
        if digest is not None:
            for piece in pieces:
                digest.update(piece)

    async def truncate(self, size: int) -> None:
        """Cut or extend the file to ``size`` bytes (extending makes a sparse file)."""
        await run_blocking(self._truncate, size)

    def _truncate(self, size: int) -> None:
        os.ftruncate(self._descriptor(), size)
        with self._lock:
            self.coverage.clip(size)

    async def forget_validators(self) -> None:
        """The body started over as another version: this partial is not kept for a later
        run (its sidecar goes)."""
        if self.validators is not None:
            self.validators = None
            await run_blocking(remove_partial_sidecar, self.temporary)

    async def size_on_disk(self) -> int:
        """How many bytes the temporary file holds."""
        return await run_blocking(lambda: os.fstat(self._descriptor()).st_size)

    async def md5_of_first(self, size: int) -> Any:
        """An md5 object fed with the first ``size`` bytes on disk (read back in one hop)."""
        return await run_blocking(self._md5_of_first, size)

    def _md5_of_first(self, size: int) -> Any:
        digest = hashlib.md5(usedforsecurity=False)
        written = os.fstat(self._descriptor())  # the file exists (and is not finished)
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        fd = os.open(self.temporary, flags)
        read = os.fstat(fd)
        if (read.st_dev, read.st_ino) != (written.st_dev, written.st_ino):
            os.close(fd)  # the name now points at another file: never hash that one
            raise FileNotFoundError(f"the temporary file {self.temporary} was replaced")
        with open(fd, "rb") as readback:
            remaining = size
            while remaining > 0:
                block = readback.read(min(_READ_BACK, remaining))
                if not block:
                    break
                digest.update(block)
                remaining -= len(block)
        return digest

    async def finish(
        self,
        existing: Existing,
        *,
        fsync: bool,
        fsync_directory: bool,
        last: LastWrite | None = None,
        check: Callable[[], None] | None = None,
    ) -> Path:
        """Make the bytes written the target file, durable if ``fsync``; the target's path.

        In the same thread hop, first: ``last`` (the file's last block, written and fed to its
        digest), then ``check`` (which raises if the whole file is not what was promised).
        ``FileExistsError`` if the target appeared meanwhile and ``existing`` refuses it.
        ``fsync_directory=False`` leaves the directory's sync to the caller (a batch).
        """
        return await run_blocking(self._finish, existing, fsync, fsync_directory, last, check)

    def _finish(
        self,
        existing: Existing,
        fsync: bool,
        fsync_directory: bool,
        last: LastWrite | None,
        check: Callable[[], None] | None,
    ) -> Path:
        if last is not None:
            self._write_at(last.offset, last.pieces, last.digest)
        if check is not None:
            check()
        fd = self._descriptor()
        with self._lock:
            self._finished, self._fd = True, None
        try:
            if fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
        place(self.temporary, self.target, existing)
        remove_partial_sidecar(self.temporary)
        if fsync and fsync_directory:
            _durability.fsync_directory(self.target.parent)
        return self.target

    def discard(self) -> None:
        """Close and remove the temporary file; safe at any time, and more than once."""
        with self._lock:
            fd, self._fd, self._finished = self._fd, None, True
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)
        remove_partial(self.temporary)

    def keep(self) -> None:
        """Close the file and leave its written prefix with its sidecar for the next run; a
        file without validators (or nothing written) is removed instead. Synchronous, like
        ``discard``."""
        with self._lock:
            fd, self._fd, self._finished = self._fd, None, True
            prefix = self.coverage.prefix
        if fd is None or self.validators is None or not prefix:
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
            remove_partial(self.temporary)
            return
        try:
            os.ftruncate(fd, prefix)  # parts written past a gap are not a prefix
        except OSError:
            remove_partial(self.temporary)
        finally:
            with contextlib.suppress(OSError):
                os.close(fd)


def _start_write_back(fd: int, offset: int, size: int) -> None:
    # Linux starts writing a range's dirty pages to the disk on POSIX_FADV_DONTNEED (and then
    # drops only the pages already clean): the final fsync waits for the last blocks instead
    # of the whole file. Elsewhere the advice may drop nothing or not exist; it is only a hint.
    if _WRITE_BACK_ADVICE is not None:
        with contextlib.suppress(OSError):
            os.posix_fadvise(fd, offset, size, _WRITE_BACK_ADVICE)


def place(temporary: StrPath, target: StrPath, existing: Existing) -> None:
    """Give the temporary file the target's name; never follows a link at the target."""
    if existing is not Existing.REFUSE:
        os.replace(temporary, target)
        return
    try:
        os.link(temporary, target)
    except FileExistsError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        refuse_existing(target)
        raise
    except OSError:
        # A file system without hard links: check, then rename (a file created between the
        # two would be replaced; there is no portable no-clobber rename).
        try:
            refuse_existing(target)
        except FileExistsError:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        os.replace(temporary, target)
        return
    os.unlink(temporary)
