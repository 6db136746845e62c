"""One upload, decided once: the job value, request sizes, progress and error words.

Pure values and rules, no I/O beyond the local ``stat`` that fixes the job; ``_sftp_transfer``
does the uploading with them.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import asyncssh
import attrs

from galatea_async._archive import ArchiveCheck
from galatea_async._progress import Progress, call_progress
from galatea_async._sftp_paths import (
    check_remote_folder,
    check_remote_name,
    describe_remote,
    partial_name,
    remote_path,
)

__all__ = [
    "GrowingProgress",
    "RequestSizes",
    "StartCheck",
    "StreamCheck",
    "UploadJob",
    "archive_check_for",
    "is_connection_drop",
    "reason",
    "request_sizes",
]

# Bytes per SFTP write and writes in flight, measured against OpenSSH's sftp-server on
# 127.0.0.1, 256 MiB, 3 interleaved rounds on 2 busy cores (median MiB/s, client CPU s):
# 256 KiB x 8: 201, 0.66; x 16: 176, 0.72; x 32: 281, 0.63; 64 KiB x 64: 199, 0.85;
# 32 KiB x 64: 176, 1.07. Smaller writes cost CPU per byte; 32 in flight keep the server's
# channel window full. At most 8 MiB of the file is in memory at once.
_BLOCK_SIZE = 256 * 1024
_PARALLEL_REQUESTS = 32


class StreamCheck(Protocol):
    """Fed the file's bytes in order; raises at the first inconsistency."""

    def feed(self, data: bytes) -> None: ...

    def finish(self) -> None: ...


StartCheck = Callable[[bytes], "StreamCheck | None"]


@attrs.frozen
class RequestSizes:
    """Bytes per SFTP write and writes in flight."""

    block_size: int
    parallel_requests: int

    @property
    def in_flight(self) -> int:
        return self.block_size * self.parallel_requests


@attrs.frozen
class UploadJob:
    """Everything one upload needs, decided once before the first attempt."""

    source: Path
    size: int
    modified_ns: int
    folder: str
    final: str
    partial: str
    name: str
    overwrite: bool
    host: str
    port: int

    @classmethod
    def for_file(
        cls,
        source: Path,
        *,
        remote_name: str | None,
        remote_folder: str,
        overwrite: bool,
        host: str,
        port: int,
    ) -> UploadJob:
        """The job for uploading ``source``; ``ValueError`` for a bad remote name or folder."""
        if not source.is_file():
            raise FileNotFoundError(f"No such file to upload: {source}")
        status = source.stat()
        name = check_remote_name(source.name if remote_name is None else remote_name)
        folder = check_remote_folder(remote_folder)
        partial = partial_name(
            name, local_name=source.name, size=status.st_size, modified_ns=status.st_mtime_ns
        )
        return cls(
            source=source,
            size=status.st_size,
            modified_ns=status.st_mtime_ns,
            folder=folder,
            final=remote_path(folder, name),
            partial=remote_path(folder, partial),
            name=name,
            overwrite=overwrite,
            host=host,
            port=port,
        )

    def describe(self, path: str) -> str:
        return describe_remote(self.host, self.port, path)


def archive_check_for(job: UploadJob) -> StartCheck:
    """Starts the integrity check of the job's file from its first bytes (None: no archive)."""
    return functools.partial(ArchiveCheck.for_first_bytes, name=job.source.name)


def is_connection_drop(exc: BaseException) -> bool:
    """Whether ``exc`` means the connection went away (worth reconnecting and resuming)."""
    return isinstance(
        exc,
        (
            asyncssh.SFTPConnectionLost,
            asyncssh.SFTPNoConnection,
            asyncssh.DisconnectError,
            ConnectionError,
            asyncio.IncompleteReadError,
        ),
    )


def request_sizes(sftp: asyncssh.SFTPClient) -> RequestSizes:
    """Bytes per write and writes in flight, within what the server allows."""
    limits = getattr(sftp, "limits", None)  # asyncssh 2.14 reads the server's limits
    if limits is None or limits.max_write_len <= 0:
        return RequestSizes(32 * 1024, 64)  # what every SFTP server must accept
    return RequestSizes(min(limits.max_write_len, _BLOCK_SIZE), _PARALLEL_REQUESTS)


def reason(exc: BaseException) -> str:
    """The server's or the library's words for ``exc``, never empty."""
    text = getattr(exc, "reason", None)
    said = text if isinstance(text, str) and text else str(exc)
    return said or type(exc).__name__


class GrowingProgress:
    """Calls ``progress`` with growing byte counts only, so resumed bytes count once."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self._progress = progress
        self._total = total
        self._last = -1

    async def __call__(self, done: int) -> None:
        if done > self._last:
            self._last = done
            await call_progress(self._progress, done, self._total)
