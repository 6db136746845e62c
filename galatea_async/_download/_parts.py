"""A large file fetched as ranged parts in parallel, each written at its offset.

The first response is the whole file's, already open: its reader writes part 0 and goes on
through the following parts as long as nobody has taken them, instead of ending its
connection and asking for them again. Helpers take parts from the back of the queue, each with
its own ranged request, and run only on connection slots *borrowed without waiting* from the
batch's limiter (or, outside a batch, from the download's own ``concurrency``). Nothing ever
waits for a slot while holding one, so a batch whose slots are all taken by large files cannot
deadlock: each download still makes progress on its own slot and borrows more as others end.

Each part resumes on its own (``Range`` from where it stopped, with ``If-Range``). A part
answered with anything but exactly its bytes means the file changed on the server:
``FileChanged``, and the whole download starts over.
"""

from __future__ import annotations

import contextlib

import anyio
import httpx

from galatea_async._download._blocks import Block, SpeedFloor, read_blocks
from galatea_async._download._files import PartialFile
from galatea_async._download._job import DownloadJob
from galatea_async._download._open_response import OpenResponse
from galatea_async._download._options import TransferOptions
from galatea_async._download._ranges import BodyInfo, judge_part, part_headers, plan_parts
from galatea_async._download._reader import broken_too_often
from galatea_async._progress import call_progress

__all__ = ["FileChanged", "PartQueue", "write_parts"]


class FileChanged(Exception):
    """The file changed on the server mid-download (a part came back otherwise): start over."""


class PartQueue:
    """The byte ranges of a split file, and which are still unclaimed (bookkeeping only).

    The first reader takes parts from the front, helpers from the back, so the unclaimed
    parts are always one run of indices: two numbers, whatever the file's size.
    """

    def __init__(self, total: int, part_size: int) -> None:
        self.parts = plan_parts(total, part_size)
        self._front, self._back = 1, len(self.parts)  # unclaimed: [front, back)

    def __bool__(self) -> bool:
        return self._front < self._back

    def take_from_back(self) -> tuple[int, int]:
        """Claim the last unclaimed part (helpers work from the back)."""
        self._back -= 1
        return self.parts[self._back]

    def extend(self, reach: int, end: int) -> int:
        """``end`` pushed over the next parts while ``reach`` gets to it and they are unclaimed."""
        while reach >= end and self and self.parts[self._front][0] == end:
            end = self.parts[self._front][1]
            self._front += 1
        return end


class BorrowedConnections:
    """Extra connections for parts: borrowed only when free, given back when a helper ends."""

    def __init__(self, limiter: anyio.CapacityLimiter | None, options: TransferOptions) -> None:
        # The download's own slot is its caller's; alone, it may add concurrency - 1.
        if limiter is None and options.concurrency > 1:
            limiter = anyio.CapacityLimiter(options.concurrency - 1)
        self._limiter = limiter
        self._allowed = options.concurrency - 1
        self._helpers = 0

    def borrow(self) -> object | None:
        """A token for one more connection, or None when none is free right now."""
        if self._limiter is None or self._helpers >= self._allowed:
            return None
        token = object()
        try:
            self._limiter.acquire_on_behalf_of_nowait(token)
        except anyio.WouldBlock:
            return None
        self._helpers += 1
        return token

    def give_back(self, token: object) -> None:
        """Return a token ``borrow`` gave."""
        assert self._limiter is not None
        self._helpers -= 1
        self._limiter.release_on_behalf_of(token)


class _SplitDownload:
    """The shared state of one split download: the file, the queue, the bytes done."""

    def __init__(
        self, job: DownloadJob, exchange: OpenResponse, first: BodyInfo, file: PartialFile
    ) -> None:
        assert first.total is not None
        assert first.validator is not None
        self.exchange = exchange
        self.total = first.total
        self.validator = first.validator
        self.file = file
        self.label = job.label
        self.progress = job.progress
        self.options = job.options
        self.queue = PartQueue(first.total, job.options.part_size)
        self.done = 0

    async def read_range(
        self, start: int, end: int, exchange: OpenResponse, *, opened: bool
    ) -> None:
        """Write bytes ``[start, end)``; with ``opened``, from the whole file's open response,
        reading on through the parts after ``end`` while nobody has claimed them."""
        position, failures, reads_on = start, 0, opened
        while position < end:
            if not opened:
                answer = await exchange.open(part_headers(position, end, self.validator))
                if not judge_part(answer, position, end, self.total, self.validator):
                    raise FileChanged
                reads_on = False  # a ranged answer ends at ``end``
            opened = False
            blocks = read_blocks(
                exchange, chunk_size=self.options.chunk_size, floor=SpeedFloor(self.options)
            )
            try:
                async with contextlib.aclosing(blocks):
                    async for block in blocks:
                        if reads_on:
                            end = self.queue.extend(position + block.size, end)
                        position = await self._write(block, position, end)
                        # Written: dropped now, not held while the next block is gathered
                        # (a loop variable lives on through the next iteration's await).
                        del block
                        if position >= end:
                            break
            except httpx.TransportError as error:
                failures += 1
                if failures > self.options.max_resume_attempts:
                    raise broken_too_often(error, self.label, failures) from error
                continue
            if position < end:
                failures += 1
                short = httpx.RemoteProtocolError(f"part ended at {position}, before {end}")
                if failures > self.options.max_resume_attempts:
                    raise broken_too_often(short, self.label, failures) from short

    async def _write(self, block: Block, position: int, end: int) -> int:
        block = block.first(end - position)
        await self.file.write_at(position, block.pieces)
        self.done += block.size
        await call_progress(self.progress, self.done, self.total)
        return position + block.size


async def write_parts(
    job: DownloadJob,
    exchange: OpenResponse,
    first: BodyInfo,
    file: PartialFile,
    *,
    limiter: anyio.CapacityLimiter | None,
) -> None:
    """Write the whole file ``first`` announced, part 0 from ``exchange``'s open response.

    ``limiter`` holds the connection slots the download shares (its batch's), or None alone.
    """
    split = _SplitDownload(job, exchange, first, file)
    borrowed = BorrowedConnections(limiter, job.options)
    await file.truncate(split.total)  # every part writes at its offset into a full-size file
    await call_progress(job.progress, 0, split.total)

    async def helper(start: int, end: int, token: object) -> None:
        own = OpenResponse(exchange.open_stream, exchange.span)
        try:
            await split.read_range(start, end, own, opened=False)
            while split.queue:
                grow()  # slots others gave back since
                await split.read_range(*split.queue.take_from_back(), own, opened=False)
        finally:
            await own.close()
            borrowed.give_back(token)

    async def first_reader() -> None:
        await split.read_range(*split.queue.parts[0], exchange, opened=True)
        while split.queue:
            grow()
            await split.read_range(*split.queue.take_from_back(), exchange, opened=False)

    def grow() -> None:
        while split.queue:
            token = borrowed.borrow()
            if token is None:
                return
            group.start_soon(helper, *split.queue.take_from_back(), token)

    try:
        async with anyio.create_task_group() as group:
            grow()
            group.start_soon(first_reader)
    except Exception as exc:
        leaf = _one_error(exc)
        if leaf is exc:
            raise
        raise leaf from leaf.__cause__


def _one_error(error: BaseException) -> BaseException:
    """The one meaningful error inside a task group's exception group (a change wins)."""
    while True:
        inner = getattr(error, "exceptions", None)
        if not isinstance(inner, tuple) or not inner:
            return error
        changed = [e for e in inner if isinstance(e, FileChanged)]
        error = changed[0] if changed else inner[0]
