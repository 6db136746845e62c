"""The one download engine behind results, PDF reports, source files and ``download_many``.

It is handed an ``OpenStream``: a callable that opens the GET (through the client's auth,
retries and error mapping) with extra headers, and yields the open 200 or 206 response. From
there it:

- asks for the bytes as they are on the wire (``Accept-Encoding: identity``; httpx accepts a
  truncated gzip body without error) and reads them raw in ``chunk_size`` pieces, so memory
  stays flat whatever the size;
- writes them to a temporary file beside the target (``_atomic``), one thread hop per chunk;
- counts them against Content-Length and the caller's expected size and md5: a mismatch is a
  ``ChecksumMismatchError`` and no file;
- resumes a body cut mid-way with ``Range`` + ``If-Range`` where the server advertises ranges,
  and starts over cleanly where it does not (a 200 is never appended; progress rewinds);
- fetches a large file as parallel ranged parts (``_parallel``).

The decisions (what a response promises, whether to resume or split) are pure, in ``_ranges``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import attrs
import httpx

from galatea_async._atomic import AtomicFile, atomic_file, refuse_existing, write_whole_file
from galatea_async._filenames import dest_names_directory, resolve_target, safe_filename
from galatea_async._parallel import current_batch_limiter, write_parts
from galatea_async._ranges import BodyInfo, Resumption, judge_resumed, resume_headers, should_split
from galatea_async._session import (
    DEFAULT_OPTIONS,
    IDENTITY,
    Block,
    Buffer,
    OpenStream,
    Progress,
    ResourceChanged,
    Session,
    TransferOptions,
    connection_error,
    report,
)
from galatea_async._wire import WireResponse
from galatea_async.errors import APIConnectionError, ChecksumMismatchError, InvalidResponseError

__all__ = [
    "IDENTITY",
    "OpenStream",
    "Progress",
    "StreamedDownload",
    "TransferOptions",
    "download_to_path",
    "open_download",
]


def _body_chunks(response: WireResponse, info: BodyInfo) -> AsyncIterator[bytes]:
    # Raw bytes, as counted by Content-Length. The Buffer below gathers pieces without copying.
    if info.encoded:
        # We asked for identity. Decoding a body of unknown decoded size could fill the disk
        # from a few bytes on the wire (issue 10.1), so it is refused.
        encoding = response.headers.get("content-encoding", "")
        raise InvalidResponseError(
            f"the server sent the file {encoding}-encoded although the SDK asked for it "
            "unencoded (Accept-Encoding: identity); its decoded size is unknown, so it was "
            "refused and nothing was written. Ask the server's operator to serve files as they are",
            status_code=response.status_code,
            method="GET",
            path=httpx.URL(response.url).path,
        )
    return response.iter_raw()


async def sequential_chunks(
    session: Session,
    first: BodyInfo,
    *,
    label: str,
    limit: int | None,
    options: TransferOptions,
    confirm: Callable[[int], Awaitable[int]] | None = None,
) -> AsyncGenerator[tuple[int, Block, BodyInfo], None]:
    """``(offset, block, info)`` of the whole body, resuming where the server allows.

    ``block`` holds about ``chunk_size`` bytes, which belong at ``offset``. ``offset`` drops
    back to 0 when the body starts over (a 200 to a resume request, or no ranges): the
    consumer must then discard what it holds. ``info`` describes the file as the latest start
    announced it. ``limit`` is the most bytes the file may have (Content-Length or the
    caller's expectation); more is a mismatch. Before resuming, ``confirm(offset)`` returns
    how many bytes the consumer really holds (it re-checks the disk), and resumption starts
    there. Bytes received before a break are handed out before resuming, never dropped.
    """
    position = 0
    failures = 0
    while True:
        total = first.total if first.total is not None else limit
        buffer = Buffer()
        error: BaseException | None = None
        try:
            async for chunk in _body_chunks(session.response, first):
                if buffer.add(chunk) >= options.chunk_size:
                    block = buffer.take()
                    _check_length(label, total, position + block.size)
                    yield position, block, first
                    position += block.size
        except httpx.TransportError as exc:
            error = exc
        if buffer.size:
            block = buffer.take()
            _check_length(label, total, position + block.size)
            yield position, block, first
            position += block.size
        if error is None:
            if first.total is None or position == first.total:
                return
            error = httpx.RemoteProtocolError(
                f"body ended after {position} of {first.total} bytes",
            )
        failures += 1
        if failures > options.max_resume_attempts:
            raise connection_error(error, label, failures) from error
        if confirm is not None:
            position = await confirm(position)
        headers = resume_headers(first, position)
        if headers is None:
            first, position = await session.open({}), 0
            continue
        answer = await session.open(headers)
        verdict = judge_resumed(first, answer, position)
        if verdict is Resumption.RESTART:
            first, position = answer, 0
        elif verdict is Resumption.REOPEN:
            first, position = await session.open({}), 0


def _check_length(label: str, total: int | None, length: int) -> None:
    if total is not None and length > total:
        raise ChecksumMismatchError(
            f"the download of {label} is longer than the {total} bytes announced; nothing was kept",
            expected=total,
            actual=length,
        )


def announced_limit(first: BodyInfo, expected_size: int | None, label: str) -> int | None:
    """The most bytes the body may have; a mismatch between server and caller raises now."""
    if expected_size is not None and first.total is not None and first.total != expected_size:
        raise ChecksumMismatchError(
            f"the server announced {first.total} bytes for {label}, expected {expected_size}; "
            "nothing was kept",
            expected=expected_size,
            actual=first.total,
        )
    return first.total if first.total is not None else expected_size


def verify(
    label: str,
    *,
    size: int,
    expected_size: int | None,
    digest: Any,
    expected_md5: str | None,
) -> None:
    """Raise ``ChecksumMismatchError`` unless the finished body matches what was promised."""
    if expected_size is not None and size != expected_size:
        raise ChecksumMismatchError(
            f"the download of {label} has {size} bytes, expected {expected_size}; nothing was kept",
            expected=expected_size,
            actual=size,
        )
    if expected_md5 is not None and digest is not None:
        actual = digest.hexdigest()
        if actual != expected_md5.strip().lower():
            raise ChecksumMismatchError(
                f"the md5 of {label} is {actual}, expected {expected_md5}; nothing was kept",
                expected=expected_md5,
                actual=actual,
            )


async def _write_sequential(
    session: Session,
    first: BodyInfo,
    file: AtomicFile,
    *,
    label: str,
    limit: int | None,
    progress: Progress | None,
    expected_md5: str | None,
    options: TransferOptions,
) -> tuple[int, Any]:
    digest = hashlib.md5() if expected_md5 is not None else None  # noqa: S324
    written = 0

    async def confirm(position: int) -> int:
        # Resume from what the disk really holds, not from what we believe we wrote.
        nonlocal written, digest
        on_disk = await file.size_on_disk()
        if on_disk != position:
            written = min(on_disk, position)
            await file.truncate(written)
            if digest is not None:
                digest = await file.md5_of_first(written)
        return written

    chunks = sequential_chunks(
        session, first, label=label, limit=limit, options=options, confirm=confirm
    )
    async with contextlib.aclosing(chunks):
        async for offset, block, info in chunks:
            if offset != written:
                # The body started over: what is on disk is another attempt's, drop it.
                await file.truncate(0)
                digest = hashlib.md5() if expected_md5 is not None else None  # noqa: S324
                written = 0
                await report(progress, 0, info.total)
            await file.write_at(offset, block.pieces, digest)
            written += block.size
            await report(progress, written, info.total if info.total is not None else limit)
    return written, digest


async def _download_small(
    session: Session,
    first: BodyInfo,
    target: Path,
    *,
    label: str,
    overwrite: bool,
    progress: Progress | None,
    expected_size: int | None,
    expected_md5: str | None,
    options: TransferOptions,
) -> Path:
    """A file of at most one chunk: gathered in memory, then written in one thread hop."""
    pieces: list[bytes] = []
    held = 0

    async def confirm(position: int) -> int:
        return held  # resume from what memory holds

    chunks = sequential_chunks(
        session, first, label=label, limit=first.total, options=options, confirm=confirm
    )
    async with contextlib.aclosing(chunks):
        async for offset, block, info in chunks:
            if offset != held:  # the body started over: drop the earlier attempt's bytes
                pieces, held = [], 0
                await report(progress, 0, info.total)
            pieces.extend(block.pieces)
            held += block.size
    await session.close()

    def check() -> None:
        digest = None
        if expected_md5 is not None:
            digest = hashlib.md5()  # noqa: S324 - the API's checksum, not a security measure
            for piece in pieces:
                digest.update(piece)
        verify(
            label, size=held, expected_size=expected_size, digest=digest, expected_md5=expected_md5
        )

    path = await write_whole_file(
        target, pieces, overwrite=overwrite, fsync=options.fsync, check=check
    )
    await report(progress, held, first.total)
    return path


async def download_to_path(
    open_stream: OpenStream,
    dest: str | os.PathLike[str],
    *,
    fallback_name: str,
    overwrite: bool = False,
    progress: Progress | None = None,
    expected_size: int | None = None,
    expected_md5: str | None = None,
    options: TransferOptions = DEFAULT_OPTIONS,
    limiter: anyio.CapacityLimiter | None = None,
) -> Path:
    """The path of the downloaded file, complete and verified, or an exception and no file.

    ``dest`` is a directory (the server's name, made safe, or ``fallback_name``) or a file path.
    ``limiter`` is the budget of connections the caller shares across downloads; the caller
    holds one of its tokens for this download, and parallel parts only borrow free ones.
    """
    label = repr(fallback_name)
    if not overwrite and not _names_directory(dest):
        refuse_existing(Path(dest))  # before any request
    session = Session(open_stream)
    try:
        for _attempt in range(options.max_resume_attempts + 1):
            first = await session.open({})
            target = resolve_target(dest, first.server_name, fallback=fallback_name)
            limit = announced_limit(first, expected_size, label)
            try:
                if first.total is not None and first.total <= options.chunk_size:
                    return await _download_small(
                        session,
                        first,
                        target,
                        label=label,
                        overwrite=overwrite,
                        progress=progress,
                        expected_size=expected_size,
                        expected_md5=expected_md5,
                        options=options,
                    )
                async with atomic_file(target, overwrite=overwrite, fsync=options.fsync) as file:
                    if should_split(
                        first, threshold=options.parallel_threshold, part_size=options.part_size
                    ):
                        assert first.total is not None
                        await write_parts(
                            session,
                            first,
                            file,
                            label=label,
                            progress=progress,
                            options=options,
                            limiter=limiter or current_batch_limiter(),
                        )
                        size = first.total
                        digest = await file.md5_of_first(size) if expected_md5 else None
                    else:
                        size, digest = await _write_sequential(
                            session,
                            first,
                            file,
                            label=label,
                            limit=limit,
                            progress=progress,
                            expected_md5=expected_md5,
                            options=options,
                        )
                    await session.close()
                    verify(
                        label,
                        size=size,
                        expected_size=expected_size,
                        digest=digest,
                        expected_md5=expected_md5,
                    )
                    return await file.commit()
            except ResourceChanged:
                await report(progress, 0, None)
        raise APIConnectionError(
            f"the file {label} kept changing on the server while it was downloaded; try again"
        )
    finally:
        await session.close()


def _names_directory(dest: str | os.PathLike[str]) -> bool:
    return dest_names_directory(dest) or os.path.isdir(dest)


class StreamedDownload:
    """A download read chunk by chunk: ``filename``, ``size`` and ``async for chunk in ...``.

    ``filename`` is the server's name made safe (or the fallback), ``size`` the announced
    Content-Length (or None). Chunks are raw bytes of about ``chunk_size``; a body cut
    mid-way is resumed transparently where the server allows ranges, and raises
    ``APIConnectionError`` where it would have to start over. Iterate once.
    """

    def __init__(
        self, session: Session, first: BodyInfo, *, fallback_name: str, options: TransferOptions
    ) -> None:
        self._session = session
        self._first = first
        self._options = options
        self._label = repr(fallback_name)
        self._consumed = False
        self.filename = safe_filename(first.server_name, fallback=fallback_name)
        self.size = first.total
        headers = session.response.headers
        self.content_type: str | None = headers.get("content-type")
        self.etag: str | None = headers.get("etag")

    def __repr__(self) -> str:
        return f"StreamedDownload(size={self.size!r})"

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self.aiter_bytes()

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        """The file's bytes, in chunks of about ``chunk_size``."""
        if self._consumed:
            raise RuntimeError("a streamed download can be iterated only once")
        self._consumed = True
        delivered = 0
        chunks = sequential_chunks(
            self._session, self._first, label=self._label, limit=None, options=self._options
        )
        async with contextlib.aclosing(chunks):
            async for offset, block, _info in chunks:
                if offset != delivered:
                    raise APIConnectionError(
                        f"the download of {self._label} broke off and the server can only "
                        "send it again from the start; download it again"
                    )
                delivered += block.size
                yield block.join()


@contextlib.asynccontextmanager
async def open_download(
    open_stream: OpenStream,
    *,
    fallback_name: str,
    chunk_size: int = DEFAULT_OPTIONS.chunk_size,
    options: TransferOptions = DEFAULT_OPTIONS,
) -> AsyncIterator[StreamedDownload]:
    """A ``StreamedDownload`` over an open response, closed when the block exits."""
    if chunk_size != options.chunk_size:
        options = attrs.evolve(options, chunk_size=chunk_size)
    session = Session(open_stream)
    try:
        first = await session.open({})
        yield StreamedDownload(session, first, fallback_name=fallback_name, options=options)
    finally:
        await session.close()
