"""One attempt at an SFTP upload on an open session: resume, stream, check the size, rename.

The local file is read in order off the event loop (holes read as zeros, so a sparse file
arrives whole) and written with up to ``parallel_requests`` writes in flight, sent in offset
order: at most ``block_size * parallel_requests`` bytes of the file are in memory at once, and
a server that applies requests in order (OpenSSH's does) never holds a hole in a partial.
Progress is the acknowledged prefix. The remote size is compared with the local one before the
final rename; the rules for resuming live in ``_sftp_resume``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import cast

import anyio
import asyncssh

from galatea_async._download._threads import run_blocking
from galatea_async._sftp_job import RequestSizes, StartCheck, StreamCheck, UploadJob, reason
from galatea_async._sftp_paths import remote_path
from galatea_async._sftp_resume import (
    RemoteEntry,
    resume_offset,
    stale_partials,
    stretch_to_compare,
)
from galatea_async.errors import SftpError, SftpFileExistsError

__all__ = ["exists_error", "remove_quietly", "remove_stale_partials", "upload_attempt"]

logger = logging.getLogger("galatea_async.sftp")

# Bytes read from the local file per hop to a worker thread.
_READ_SIZE = 1024 * 1024

# What a write-only drop box answers to listing or reading back: not fatal, only no resume.
_REFUSALS = (asyncssh.SFTPPermissionDenied, asyncssh.SFTPOpUnsupported)

# Removing a partial file after a failure gets this long before we give up on it.
_CLEANUP_SECONDS = 10.0


class _LocalFile:
    """The local file, read at offsets in a worker thread (and checked there, if asked)."""

    def __init__(self, descriptor: int, job: UploadJob) -> None:
        self._descriptor = descriptor
        self._job = job

    async def read(self, offset: int, length: int, check: StreamCheck | None = None) -> bytes:
        """``length`` bytes at ``offset``; fed to ``check`` in the same thread hop.

        Inflating a compressed archive to check it is CPU work (zlib lets go of the GIL
        meanwhile), kept off the event loop; the reads are awaited one at a time, so the
        check still sees the bytes in order.
        """
        data = await run_blocking(self._read, offset, length, check)
        if len(data) != length:
            raise SftpError(
                f"{self._job.source} shrank while it was being uploaded (expected "
                f"{self._job.size} bytes, it ends at {offset + len(data)}); upload it again "
                "once it is complete"
            )
        return data

    async def check_unchanged(self) -> None:
        """``SftpError`` if the file's size or modification time moved since the job began."""
        status = await run_blocking(os.fstat, self._descriptor)
        if (status.st_size, status.st_mtime_ns) != (self._job.size, self._job.modified_ns):
            raise SftpError(
                f"{self._job.source} changed while it was being uploaded ({self._job.size} "
                f"bytes when it started, {status.st_size} now); upload it again once it is "
                "complete"
            )

    def _read(self, offset: int, length: int, check: StreamCheck | None) -> bytes:
        data = os.pread(self._descriptor, length, offset)
        if check is not None and len(data) == length:
            check.feed(data)
        return data


@contextlib.asynccontextmanager
async def _open_local(job: UploadJob) -> AsyncIterator[_LocalFile]:
    descriptor = await run_blocking(os.open, str(job.source), os.O_RDONLY)
    try:
        yield _LocalFile(descriptor, job)
    finally:
        await run_blocking(os.close, descriptor)


async def remove_stale_partials(sftp: asyncssh.SFTPClient, job: UploadJob, now: float) -> None:
    """Remove partials of the job's remote name left untouched too long."""
    try:
        entries = [
            RemoteEntry(entry.filename, float(entry.attrs.mtime or 0))
            async for entry in sftp.scandir(job.folder or ".")
            if isinstance(entry.filename, str)
        ]
    except _REFUSALS as exc:
        logger.info("Stale SFTP partials not looked for: listing refused (%s)", reason(exc))
        return
    for name in stale_partials(entries, job.name, now=now):
        with contextlib.suppress(asyncssh.SFTPNoSuchFile):
            await sftp.remove(remote_path(job.folder, name))


async def _remote_size(sftp: asyncssh.SFTPClient, path: str) -> int | None:
    try:
        attributes = await sftp.stat(path)
    except (asyncssh.SFTPNoSuchFile, *_REFUSALS):
        return None
    return attributes.size


async def _resume_point(
    sftp: asyncssh.SFTPClient, local: _LocalFile, job: UploadJob, sizes: RequestSizes
) -> int:
    """Where the upload continues: after the partial's verified stretch, or 0."""
    partial_size = await _remote_size(sftp, job.partial)
    stretch = stretch_to_compare(partial_size, job.size, in_flight=sizes.in_flight)
    if stretch is None:
        return 0
    try:
        async with sftp.open(job.partial, "rb") as remote:
            remote_bytes = cast(bytes, await remote.read(stretch.length, stretch.offset))
    except _REFUSALS as exc:
        # Unverified bytes are never built on: without reading them back, start again.
        logger.info(
            "SFTP partial %s cannot be read back (%s): starting from byte 0",
            job.partial,
            reason(exc),
        )
        return 0
    local_bytes = await local.read(stretch.offset, stretch.length)
    return resume_offset(stretch, local_bytes, remote_bytes)


async def _replay_prefix(local: _LocalFile, check: StreamCheck, end: int) -> None:
    """Feed ``check`` the bytes already on the server, so it sees the file from byte 0."""
    offset = 0
    while offset < end:
        data = await local.read(offset, min(_READ_SIZE, end - offset), check)
        offset += len(data)


async def _stream(
    remote: asyncssh.SFTPClientFile,
    local: _LocalFile,
    *,
    start: int,
    size: int,
    sizes: RequestSizes,
    check: StreamCheck | None,
    on_written: Callable[[int], Awaitable[None]],
) -> None:
    pending: deque[tuple[int, asyncio.Future[int]]] = deque()
    offset = start
    read_size = max(_READ_SIZE, sizes.block_size)
    try:
        while offset < size:
            chunk = await local.read(offset, min(read_size, size - offset), check)
            for begin in range(0, len(chunk), sizes.block_size):
                while len(pending) >= sizes.parallel_requests:
                    end, oldest = pending.popleft()
                    await oldest
                    await on_written(end)
                piece = chunk[begin : begin + sizes.block_size]
                # Tasks start in creation order, so the requests leave in offset order.
                request = asyncio.ensure_future(remote.write(piece, offset + begin))
                pending.append((offset + begin + len(piece), request))
            offset += len(chunk)
        while pending:
            end, oldest = pending.popleft()
            await oldest
            await on_written(end)
    finally:
        for _, unfinished in pending:
            unfinished.cancel()
        if pending:
            await asyncio.gather(*(future for _, future in pending), return_exceptions=True)


async def upload_attempt(
    sftp: asyncssh.SFTPClient,
    job: UploadJob,
    sizes: RequestSizes,
    *,
    start_check: StartCheck | None,
    on_written: Callable[[int], Awaitable[None]],
) -> None:
    """Upload ``job`` into its partial, resuming what is there, then rename it into place."""
    async with _open_local(job) as local:
        start = await _resume_point(sftp, local, job, sizes)
        check = None
        if start_check is not None and job.size:
            check = start_check(await local.read(0, min(_READ_SIZE, job.size)))
            if check is not None:
                await _replay_prefix(local, check, start)
        if start:
            logger.info(
                "SFTP upload of %s resumes at byte %d of %d", job.source.name, start, job.size
            )
        await on_written(start)
        # block_size=0: one write request per call, the pipelining is ours.
        mode = "r+b" if start else "wb"
        async with sftp.open(job.partial, mode, block_size=0) as remote:
            await _stream(
                remote,
                local,
                start=start,
                size=job.size,
                sizes=sizes,
                check=check,
                on_written=on_written,
            )
            await local.check_unchanged()
            if check is not None:
                check.finish()
            remote_size = (await remote.stat()).size
    if remote_size != job.size:
        raise SftpError(
            f"{job.describe(job.partial)} holds {remote_size} bytes after the upload, but "
            f"{job.source} has {job.size}: the upload is incomplete and was not renamed into "
            "place; upload the file again"
        )
    await _move_into_place(sftp, job)


def exists_error(job: UploadJob) -> SftpFileExistsError:
    return SftpFileExistsError(
        f"{job.describe(job.final)} already exists; choose another remote_name (unique names "
        "are advised) or pass overwrite=True"
    )


async def _move_into_place(sftp: asyncssh.SFTPClient, job: UploadJob) -> None:
    if job.overwrite:
        try:
            await sftp.posix_rename(job.partial, job.final)
            return
        except asyncssh.SFTPOpUnsupported:
            pass
        with contextlib.suppress(asyncssh.SFTPNoSuchFile):
            await sftp.remove(job.final)
        await sftp.rename(job.partial, job.final)
        return
    try:
        # Plain SFTP rename never replaces an existing file, so a file that appeared
        # since the first check is kept.
        await sftp.rename(job.partial, job.final)
    except asyncssh.SFTPError:
        if await sftp.exists(job.final):
            raise exists_error(job) from None
        raise


async def remove_quietly(sftp: asyncssh.SFTPClient, path: str) -> bool:
    """Remove ``path`` even while being cancelled; whether it is gone (or never was)."""
    with anyio.CancelScope(shield=True) as scope:
        scope.deadline = anyio.current_time() + _CLEANUP_SECONDS
        try:
            await sftp.remove(path)
        except asyncssh.SFTPNoSuchFile:
            return True
        except (asyncssh.Error, OSError) as exc:
            logger.warning("Could not remove the partial SFTP file %s: %s", path, reason(exc))
            return False
        return True
    logger.warning("Timed out removing the partial SFTP file %s", path)
    return False
