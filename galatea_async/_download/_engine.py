"""One download, from its job to a whole, verified, durable file (or an exception and no file).

``download_file(job)`` reads top-down:

1. a destination that names the file is checked for an existing file before any request;
2. the GET is opened; its headers give the target (the server's name, made safe, inside the
   destination directory) and the size; ``skip_existing`` keeps a complete copy found there;
   a large body is not read into a server-named target that already exists (a small one is
   refused by the final no-clobber link, which never replaces a name);
3. a file of at most ``chunk_size`` bytes is gathered in memory and then verified, created,
   written, synced and linked with the small files of other downloads waiting at that moment,
   in one thread hop (``_small_files.py``); a larger one streams into a temporary file
   (or, above ``parallel_threshold``, into ranged parts fetched in parallel) and is verified,
   synced and linked when complete;
4. in a batch, the download gives its connection slot back as soon as its body is in, and its
   directory is synced by the batch, once, before anyone is told the file is there.

A job with ``keep_partial`` (a sync's) first looks for the partial an earlier run kept and asks
for the rest of it; interrupted, it keeps its own (``_partials.py``). ``max_time`` bounds the
whole of it.

Reading, resuming and restarting a body is ``BodyReader``'s one rule; where bytes are kept
(memory or a temporary file) is a ``BodyHolder``.
"""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path
from typing import Any

import anyio

from galatea_async._download._files import (
    LastWrite,
    PartialFile,
    file_md5,
    local_size,
    refuse_existing,
)
from galatea_async._download._job import Downloaded, DownloadJob
from galatea_async._download._open_response import OpenResponse
from galatea_async._download._partials import (
    FoundPartial,
    PartialValidators,
    continues_partial,
    find_partial,
    remove_partial,
    validators_for,
)
from galatea_async._download._parts import FileChanged, write_parts
from galatea_async._download._promises import announced_limit, verify
from galatea_async._download._ranges import BodyInfo, covers_whole_file, should_split
from galatea_async._download._reader import BodyReader
from galatea_async._download._seat import Seat
from galatea_async._download._small_files import SmallFile, SmallFileWriter
from galatea_async._download._space import look_before_writing
from galatea_async._download._target import Existing, is_complete_copy
from galatea_async._download._threads import run_blocking
from galatea_async._http._tracing import CallSpan
from galatea_async._progress import Progress, call_progress
from galatea_async.errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    RemoteFileChangedError,
)

__all__ = ["download_file"]


async def download_file(job: DownloadJob, seat: Seat | None = None) -> Downloaded:
    """The file ``job`` describes, complete and verified, or an exception and no file."""
    max_time = job.options.max_time
    with job.trace() as span:
        if max_time is None:
            return await _download_traced(job, seat, span)
        with anyio.move_on_after(max_time) as bounded:
            return await _download_traced(job, seat, span)
    # Only this scope's deadline gets here: a cancellation from outside propagates.
    assert bounded.cancelled_caught
    raise APITimeoutError(
        f"the download of {job.label} took longer than {max_time:g} s "
        "(TransferOptions.max_time); no file was made: try again or raise max_time"
    )


async def _download_traced(job: DownloadJob, seat: Seat | None, span: CallSpan) -> Downloaded:
    destination = job.destination
    if destination.filename is not None and job.existing is Existing.REFUSE:
        # Before any request.
        await run_blocking(refuse_existing, destination.directory / destination.filename)
    exchange = OpenResponse(job.open_stream, span)
    partial = None
    if job.keep_partial and job.partial_possible:
        partial = await run_blocking(find_partial, destination.directory, job.fallback_name)
    try:
        for _attempt in range(job.options.max_resume_attempts + 1):
            first = await _open_first(job, exchange, partial)
            validators = _validators(job, first, partial)
            resumed = partial if first.start else None
            if partial is not None and resumed is None:
                await run_blocking(remove_partial, partial.path)  # changed, or not resumable
            partial = None
            if seat is None:
                target = destination.target(first.server_name, fallback=job.fallback_name)
            else:
                name = destination.name(first.server_name, fallback=job.fallback_name)
                target = await seat.claim(destination.directory, name)
            kept = None
            if job.existing is Existing.SKIP_IF_COMPLETE:
                kept = await _existing_copy(job, target, first)
            if kept is not None:
                if resumed is not None:  # a complete copy turned up: the partial is moot
                    await run_blocking(remove_partial, resumed.path)
                return kept
            try:
                if _fits_in_memory(job, first):
                    return await _download_small(job, exchange, first, target, seat)
                return await _download_to_file(job, exchange, first, target, seat, validators)
            except FileChanged:
                await call_progress(job.progress, 0, None)
        raise RemoteFileChangedError(
            f"the file {job.label} kept changing on the server while it was downloaded; try again"
        )
    finally:
        await exchange.close()


async def _open_first(
    job: DownloadJob, exchange: OpenResponse, partial: FoundPartial | None
) -> BodyInfo:
    """The first answer: the rest of the partial an earlier run kept, when the server's file
    is still the same version (else its whole file), or the whole file."""
    if partial is not None:
        recorded = partial.validators
        try:
            answer = await exchange.open(
                {"Range": f"bytes={partial.size}-", "If-Range": recorded.validator}
            )
        except APIError:  # a 416 (the file is shorter now) or another refusal: start over
            answer = None
        if answer is not None and (
            continues_partial(answer, recorded, partial.size) or covers_whole_file(answer)
        ):
            return answer
    return await exchange.open_whole(job.options.max_resume_attempts + 1)


def _validators(
    job: DownloadJob, first: BodyInfo, partial: FoundPartial | None
) -> PartialValidators | None:
    """What the download's partial is kept as for a later run; None: it is not kept."""
    if not job.keep_partial:
        return None
    if first.start and partial is not None:
        return partial.validators
    return validators_for(job.fallback_name, first)


async def _existing_copy(job: DownloadJob, target: Path, first: BodyInfo) -> Downloaded | None:
    """A complete copy already at ``target`` (``skip_existing``), kept; else None."""
    size = await run_blocking(local_size, target)
    announced = first.total if first.total is not None else job.expected_size
    if size is None or size != announced:
        return None
    md5 = None
    if job.expected_md5 is not None or job.want_md5:
        md5 = await run_blocking(file_md5, target)
    if not is_complete_copy(
        local_size=size, announced_size=announced, local_md5=md5, expected_md5=job.expected_md5
    ):
        return None
    await call_progress(job.progress, size, size)
    return Downloaded(path=target, size=size, md5=md5, skipped=True)


def _fits_in_memory(job: DownloadJob, first: BodyInfo) -> bool:
    size = first.total if not first.encoded else job.expected_size
    # A resumed file goes on in the partial that holds its first bytes.
    return not first.start and size is not None and size <= job.options.chunk_size


class _MemoryHolder:
    """A small file's bytes, kept in memory until they are written in one hop."""

    def __init__(self, progress: Progress | None) -> None:
        self.pieces: list[bytes] = []
        self.size = 0
        self._progress = progress

    async def kept(self, position: int) -> int:
        return self.size

    async def discard(self) -> None:
        self.pieces, self.size = [], 0
        await call_progress(self._progress, 0, None)


async def _download_small(
    job: DownloadJob, exchange: OpenResponse, first: BodyInfo, target: Path, seat: Seat | None
) -> Downloaded:
    holder = _MemoryHolder(job.progress)
    reader = _reader(job, exchange, first, holder)
    async with contextlib.aclosing(reader.blocks()) as blocks:
        async for block in blocks:
            holder.pieces.extend(block.pieces)
            holder.size += block.size
    await exchange.close()  # the connection goes back before the disk work
    if seat is not None:
        seat.body_received()

    def check(digest: Any) -> None:
        verify(job, size=holder.size, digest=digest)

    small = SmallFile(
        target,
        holder.pieces,
        existing=job.existing,
        fsync=job.options.fsync,
        want_md5=job.want_md5 or job.expected_md5 is not None,
        check=check,
    )
    # Alone, a download syncs its directory in its own hop; in a batch the batch does.
    writer = seat.writer if seat is not None else SmallFileWriter()
    md5 = await writer.write(small)
    await call_progress(job.progress, holder.size, holder.size)
    return Downloaded(path=target, size=holder.size, md5=md5)


class _FileHolder:
    """A larger file's bytes, written block by block into its temporary file."""

    def __init__(self, file: PartialFile, progress: Progress | None, *, want_md5: bool) -> None:
        self.file = file
        self.written = 0
        self.want_md5 = want_md5
        self.digest: Any = hashlib.md5(usedforsecurity=False) if want_md5 else None
        # The last block, when the body's size says which one it is: not yet on disk.
        self.last: LastWrite | None = None
        self._progress = progress

    async def resume_at(self, offset: int) -> None:
        """Go on after the ``offset`` bytes an earlier run kept (their md5 read back)."""
        self.written = offset
        if self.want_md5:
            self.digest = await self.file.md5_of_first(offset)

    async def append(self, pieces: list[bytes], size: int, total: int | None) -> None:
        start = self.written
        if self.last is not None:  # taken for the last block, but more came: write both now
            start, pieces = self.last.offset, [*self.last.pieces, *pieces]
            self.last = None
        if total is not None and self.written + size == total:
            # The last block is written by the hop that syncs and names the file.
            self.last = LastWrite(start, pieces, self.digest)
        else:
            await self.file.write_at(start, pieces, self.digest)
        self.written += size
        await call_progress(self._progress, self.written, total)

    async def kept(self, position: int) -> int:
        # Resume from what the disk really holds, not from what we believe we wrote (a last
        # block not yet written is asked for again).
        self.last = None
        on_disk = await self.file.size_on_disk()
        if on_disk != position:
            self.written = min(on_disk, position)
            await self.file.truncate(self.written)
            if self.want_md5:
                self.digest = await self.file.md5_of_first(self.written)
        return self.written

    async def discard(self) -> None:
        await self.file.forget_validators()  # another version now: not a partial to keep
        await self.file.truncate(0)
        self.written, self.last = 0, None
        self.digest = hashlib.md5(usedforsecurity=False) if self.want_md5 else None
        await call_progress(self._progress, 0, None)


async def _download_to_file(
    job: DownloadJob,
    exchange: OpenResponse,
    first: BodyInfo,
    target: Path,
    seat: Seat | None,
    validators: PartialValidators | None,
) -> Downloaded:
    options = job.options
    # Now, not after a large body: the one look at a server-named target, and the space.
    refuse = job.existing is Existing.REFUSE and job.destination.filename is None
    announced = first.total if first.total is not None else job.expected_size
    needed = None if announced is None else announced - first.start
    if refuse or needed is not None:
        await run_blocking(look_before_writing, target, refuse, needed, job.label)
    want_md5 = job.want_md5 or job.expected_md5 is not None
    file = PartialFile(target, validators, offset=first.start, write_back=options.fsync)
    holder = None
    try:
        if should_split(first, threshold=options.parallel_threshold, part_size=options.part_size):
            assert first.total is not None
            limiter = seat.limiter if seat is not None else None
            await write_parts(job, exchange, first, file, limiter=limiter)
            size = first.total
            digest = await file.md5_of_first(size) if want_md5 else None
        else:
            holder = _FileHolder(file, job.progress, want_md5=want_md5)
            if first.start:
                await holder.resume_at(first.start)
            reader = _reader(job, exchange, first, holder)
            async with contextlib.aclosing(reader.blocks()) as blocks:
                async for block in blocks:
                    await holder.append(block.pieces, block.size, reader.info.total)
                    del block  # written: not held while the next one is gathered
            size, digest = holder.written, holder.digest
        await exchange.close()
        if seat is not None:
            seat.body_received()

        def check() -> None:
            verify(job, size=size, digest=digest)

        path = await file.finish(
            job.existing,
            fsync=options.fsync,
            fsync_directory=seat is None,
            last=holder.last if holder is not None else None,
            check=check,
        )
    except BaseException as exc:
        if _interrupted(exc):
            file.keep()  # a partial with validators stays for the next run; others go
        else:
            file.discard()
        raise
    _make_durable_later(job, seat, target)
    return Downloaded(path=path, size=size, md5=digest.hexdigest() if digest else None)


def _interrupted(error: BaseException) -> bool:
    """Whether ``error`` cut a download short (the bytes so far are worth resuming), rather
    than proved them wrong."""
    return isinstance(
        error,
        (APIConnectionError, KeyboardInterrupt, SystemExit, anyio.get_cancelled_exc_class()),
    )


def _reader(job: DownloadJob, exchange: OpenResponse, first: BodyInfo, holder: Any) -> BodyReader:
    return BodyReader(
        exchange,
        first,
        holder,
        label=job.label,
        limit=announced_limit(job, first),
        options=job.options,
        expected_size=job.expected_size,
    )


def _make_durable_later(job: DownloadJob, seat: Seat | None, target: Path) -> None:
    if seat is not None and job.options.fsync:
        seat.durable_directories.add(target.parent)
