"""Source file uploads: a replayable, streamed ``multipart/form-data`` body with progress.

``prepare_upload`` learns the size before anything is sent (so a file over the API's limit is
refused at once, pointing to SFTP) and makes the body replayable: paths and seekable file objects
are re-read from the start, bytes are kept, and an async iterable (or an unseekable file
object) is spooled once to a private temporary file, stopping as soon as it passes the limit.
``PreparedUpload.stream()`` is an ``httpx.AsyncByteStream`` that starts over on every iteration,
as httpx's auth flows need when they resend a request after refreshing a token.

Before anything is sent, a body whose bytes start like a gzip or zip archive is read once in a
worker thread and its integrity checked (``galatea_async._archive``): a truncated or damaged
archive is refused on the spot, not after the upload and minutes of validation. Bytes that are
not an archive are sent as they are, whatever the file's name. After the upload, the size the
API reports for the new file must be the size sent (``check_reported_size``).

The file is read in 1 MiB blocks in a worker thread; no aiofiles handle is ever given to
httpx's ``files=`` (encode/httpx#1620: it blocks the event loop for good).
"""

from __future__ import annotations

import contextlib
import mimetypes
import os
import secrets
import stat
import tempfile
from collections.abc import AsyncIterable, AsyncIterator, Generator
from pathlib import Path
from typing import IO, BinaryIO, Union

import anyio
import httpx

from galatea_async._archive import ArchiveCheck
from galatea_async._download._threads import run_blocking
from galatea_async._progress import Progress, call_progress
from galatea_async.errors import SizeMismatchError, UploadTooLargeError

__all__ = [
    "MAX_API_UPLOAD_BYTES",
    "PreparedUpload",
    "UploadSource",
    "UploadTooLargeError",
    "check_reported_size",
    "prepare_upload",
]

# The reference says "less than 50MB". Checked in decimal megabytes (50,000,000 bytes), the
# stricter reading: a file the client lets through is never refused by a server that counts in
# MiB, and SFTP takes anything larger.
MAX_API_UPLOAD_BYTES = 50 * 1000 * 1000

UploadSource = Union[
    str, "os.PathLike[str]", bytes, bytearray, memoryview, BinaryIO, AsyncIterable[bytes]
]

_BLOCK = 1 << 20


class _Body:
    """Where a prepared upload's bytes come from; each pass starts from the first byte."""

    def read_blocking(self, size: int) -> Generator[bytes, None, None]:
        """The blocks, read in the calling thread (a worker's)."""
        raise NotImplementedError

    async def blocks(self, size: int) -> AsyncIterator[bytes]:
        """The blocks, each read in a worker thread."""
        with contextlib.closing(self.read_blocking(size)) as reader:
            while (block := await run_blocking(next, reader, None)) is not None:
                yield block

    async def aclose(self) -> None:
        """Release what the body holds."""


class _MemoryBody(_Body):
    def __init__(self, data: bytes | bytearray | memoryview) -> None:
        self._view = memoryview(data).cast("B")

    async def blocks(self, size: int) -> AsyncIterator[bytes]:
        for block in self.read_blocking(size):  # slicing memory needs no thread
            yield block

    def read_blocking(self, size: int) -> Generator[bytes, None, None]:
        for start in range(0, size, _BLOCK):
            yield bytes(self._view[start : start + _BLOCK])


class _FileBody(_Body):
    """A file on disk (the caller's, or our spool), opened anew for every pass."""

    def __init__(self, path: Path, *, owned: bool) -> None:
        self.path = path
        self._owned = owned

    def read_blocking(self, size: int) -> Generator[bytes, None, None]:
        with open(self.path, "rb") as handle:
            yield from _read_blocks(handle, size)

    async def aclose(self) -> None:
        if self._owned:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)


class _SeekableBody(_Body):
    """A caller's seekable binary file object, read from where it stood when prepared."""

    def __init__(self, handle: IO[bytes], start: int) -> None:
        self._handle = handle
        self._start = start

    def read_blocking(self, size: int) -> Generator[bytes, None, None]:
        self._handle.seek(self._start)
        yield from _read_blocks(self._handle, size)


def _read_blocks(handle: IO[bytes], size: int) -> Generator[bytes, None, None]:
    remaining = size
    while remaining > 0:
        block = handle.read(min(_BLOCK, remaining))
        remaining -= _counted(block, remaining, size)
        yield block


def _counted(block: object, remaining: int, size: int) -> int:
    """The length of a block read, which must be bytes and not empty before the end."""
    if not block:
        raise OSError(f"the file ended {remaining} bytes short of the {size} announced")
    _require_bytes(block)
    return len(block)  # type: ignore[arg-type]


def _require_bytes(block: object) -> None:
    if not isinstance(block, (bytes, bytearray, memoryview)):
        raise TypeError("the file object must be opened in binary mode ('rb')")


class _MultipartStream(httpx.AsyncByteStream):
    """The multipart body; each iteration sends it whole again and rewinds the progress."""

    def __init__(self, upload: PreparedUpload) -> None:
        self._upload = upload

    async def __aiter__(self) -> AsyncIterator[bytes]:
        upload = self._upload
        await call_progress(upload.progress, 0, upload.size)
        yield upload.head
        sent = 0
        async for block in upload.body.blocks(upload.size):
            yield block
            sent += len(block)
            await call_progress(upload.progress, sent, upload.size)
        yield upload.tail


class PreparedUpload:
    """A file ready to send as ``multipart/form-data`` (field ``file``), as often as needed."""

    def __init__(
        self,
        body: _Body,
        *,
        filename: str,
        size: int,
        content_type: str,
        progress: Progress | None,
    ) -> None:
        self.body = body
        self.filename = filename
        self.size = size
        self.content_type = content_type
        self.progress = progress
        self.boundary = secrets.token_hex(16)
        self.head = (
            f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{_quote(filename)}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode()
        self.tail = f"\r\n--{self.boundary}--\r\n".encode()

    def __repr__(self) -> str:
        return f"PreparedUpload(size={self.size}, content_type={self.content_type!r})"

    @property
    def content_length(self) -> int:
        """The size of the whole multipart body."""
        return len(self.head) + self.size + len(self.tail)

    def headers(self) -> dict[str, str]:
        """The request headers the body needs."""
        return {
            "Content-Type": f"multipart/form-data; boundary={self.boundary}",
            "Content-Length": str(self.content_length),
        }

    def stream(self) -> httpx.AsyncByteStream:
        """A body stream for one request; it may be iterated again (a resend after a 401)."""
        return _MultipartStream(self)

    async def aclose(self) -> None:
        """Remove the spooled copy, if one was made."""
        await self.body.aclose()

    async def __aenter__(self) -> PreparedUpload:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        with anyio.CancelScope(shield=True):
            await self.aclose()


def _quote(filename: str) -> str:
    # What browsers and httpx do (HTML's multipart/form-data encoding algorithm).
    return filename.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def _content_type(filename: str) -> str:
    guessed, _ = mimetypes.guess_type(filename, strict=False)
    return guessed or "application/octet-stream"


def _name_required(kind: str) -> ValueError:
    return ValueError(f"uploading {kind} needs a file name: pass filename='sample.txt.zip'")


def _check_size(size: int) -> None:
    if size > MAX_API_UPLOAD_BYTES:
        raise UploadTooLargeError(size, MAX_API_UPLOAD_BYTES)


async def prepare_upload(
    source: UploadSource,
    *,
    filename: str | None = None,
    progress: Progress | None = None,
    check_archive: bool = True,
) -> PreparedUpload:
    """A ``PreparedUpload`` of ``source``: its size known, checked against the API's limit.

    ``source`` is a path, bytes, a binary file object or an async iterable of bytes. The name
    sent is ``filename``, else the path's (or file object's) base name; bytes and iterables
    need ``filename``. Over ``MAX_API_UPLOAD_BYTES`` is an ``UploadTooLargeError`` (a
    ``ValueError``), raised before anything is sent. With ``check_archive``, a gzip or zip
    archive (known by its first bytes) that is damaged is an ``ArchiveIntegrityError``.
    """
    body, size, name = await _body_of(source, filename)
    name = os.path.basename(name.replace("\\", "/")) or name
    if check_archive:
        try:
            await run_blocking(_check_archive, body, size, name)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await body.aclose()
            raise
    return PreparedUpload(
        body, filename=name, size=size, content_type=_content_type(name), progress=progress
    )


async def _body_of(source: UploadSource, filename: str | None) -> tuple[_Body, int, str]:
    """Where the bytes come from, how many there are, and the name to send."""
    name = filename
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        status = await run_blocking(os.stat, path)
        if not stat.S_ISREG(status.st_mode):
            raise ValueError(f"{os.fspath(path)!r} is not a regular file")
        _check_size(status.st_size)
        return _FileBody(path, owned=False), status.st_size, name or path.name
    if isinstance(source, (bytes, bytearray, memoryview)):
        if name is None:
            raise _name_required("bytes")
        size = memoryview(source).nbytes
        _check_size(size)
        return _MemoryBody(source), size, name
    if hasattr(source, "read"):
        handle: IO[bytes] = source  # type: ignore[assignment]
        name = name or _handle_name(handle)
        if name is None:
            raise _name_required("a file object without a name")
        return (*await _prepare_handle(handle), name)
    if isinstance(source, AsyncIterable):
        if name is None:
            raise _name_required("an async iterable")
        return (*await _spool(_async_blocks(source)), name)
    raise TypeError(
        "source must be a path, bytes, a binary file object or an async iterable of bytes, "
        f"not {type(source).__name__}"
    )


def _check_archive(body: _Body, size: int, name: str) -> None:
    """Read the body once (in a worker thread) and check it if it is a gzip or zip archive."""
    with contextlib.closing(body.read_blocking(size)) as blocks:
        first = next(blocks, b"")
        archive_check = ArchiveCheck.for_first_bytes(first, name=name)
        if archive_check is None:
            return
        archive_check.feed(first)
        for block in blocks:
            archive_check.feed(block)
        archive_check.finish()


def check_reported_size(reported: int | None, sent: int, *, name: str, file_id: str) -> None:
    """The size the API reports for a new upload must be the size sent, when it reports one."""
    if reported is None or reported == sent:
        return
    raise SizeMismatchError(
        f"the API reports the upload of {name!r} (file {file_id}) as {reported} bytes, but "
        f"{sent} bytes were sent: the server's copy is incomplete or altered; delete it "
        f"(files.delete({file_id!r})) and upload the file again",
        expected=sent,
        actual=reported,
    )


def _handle_name(handle: IO[bytes]) -> str | None:
    name = getattr(handle, "name", None)
    if isinstance(name, str) and name and not name.startswith("<"):
        return os.path.basename(name)
    return None


async def _prepare_handle(handle: IO[bytes]) -> tuple[_Body, int]:
    seekable = False
    with contextlib.suppress(AttributeError, OSError, ValueError):
        seekable = bool(handle.seekable())
    if seekable:
        start = await run_blocking(handle.tell)
        end = await run_blocking(handle.seek, 0, os.SEEK_END)
        await run_blocking(handle.seek, start)
        size = max(0, end - start)
        _check_size(size)
        return _SeekableBody(handle, start), size
    return await _spool(_handle_blocks(handle))


async def _handle_blocks(handle: IO[bytes]) -> AsyncIterator[bytes]:
    while True:
        block = await run_blocking(handle.read, _BLOCK)
        if not block:
            return
        _require_bytes(block)
        yield block


async def _async_blocks(source: AsyncIterable[bytes]) -> AsyncIterator[bytes]:
    async for block in source:
        _require_bytes(block)
        yield block


async def _spool(blocks: AsyncIterator[bytes]) -> tuple[_Body, int]:
    """Copy ``blocks`` to a private temporary file; refuse as soon as it passes the limit."""
    fd, name = await run_blocking(
        lambda: tempfile.mkstemp(prefix="galatea-upload-", suffix=".part")
    )
    path = Path(name)
    size = 0
    pending: list[bytes] = []
    pending_size = 0
    try:
        async for block in blocks:
            size += len(block)
            if size > MAX_API_UPLOAD_BYTES:
                raise UploadTooLargeError(None, MAX_API_UPLOAD_BYTES)
            pending.append(bytes(block))
            pending_size += len(block)
            if pending_size >= _BLOCK:
                await run_blocking(_write_all, fd, b"".join(pending))
                pending, pending_size = [], 0
        if pending:
            await run_blocking(_write_all, fd, b"".join(pending))
    except BaseException:
        os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        raise
    os.close(fd)
    return _FileBody(path, owned=True), size


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
