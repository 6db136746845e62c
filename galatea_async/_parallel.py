"""One large file fetched as ranged parts in parallel, each written at its offset.

The connection budget is a ``CapacityLimiter`` shared with the batch the download belongs to
(``download_many``), so a batch of large files never opens more connections than its
``concurrency``. The download itself already holds one token (its batch slot), which covers its
first part: that part is read from the response that is already open, and that reader goes on
through the following parts as long as nobody has taken them. Extra parts run only on
tokens *borrowed without waiting*; when none is free the download carries on with the workers it
has, and each worker tries again after every part. Nothing ever waits for a token while holding
one, so a batch whose slots are all taken by large files cannot deadlock: each item still makes
progress on its own slot, and borrows more as other items finish.

Each part is resumed independently (``Range`` from where it stopped, with ``If-Range``). A part
answered with a 200 means the file changed on the server: the whole download starts over.
"""

from __future__ import annotations

import contextvars
from collections import deque

import anyio
import httpx

from galatea_async._atomic import AtomicFile
from galatea_async._ranges import BodyInfo, judge_part, part_headers, plan_parts
from galatea_async._session import (
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

__all__ = ["batch_limiter", "current_batch_limiter", "write_parts"]

batch_limiter: contextvars.ContextVar[anyio.CapacityLimiter | None] = contextvars.ContextVar(
    "galatea_batch_limiter", default=None
)


def current_batch_limiter() -> anyio.CapacityLimiter | None:
    """The limiter of the ``download_many`` batch this task runs in, if any."""
    return batch_limiter.get()


class _Budget:
    """Extra connections for parts: borrowed only when free, returned when a worker ends."""

    def __init__(self, limiter: anyio.CapacityLimiter | None, options: TransferOptions) -> None:
        # The download's own slot is the caller's; alone, a download may add concurrency - 1.
        self._limiter = limiter
        if limiter is None and options.concurrency > 1:
            self._limiter = anyio.CapacityLimiter(options.concurrency - 1)
        self._allowed = options.concurrency - 1
        self.helpers = 0

    def borrow(self) -> object | None:
        if self._limiter is None or self.helpers >= self._allowed:
            return None
        token = object()
        try:
            self._limiter.acquire_on_behalf_of_nowait(token)
        except anyio.WouldBlock:
            return None
        self.helpers += 1
        return token

    def give_back(self, token: object) -> None:
        assert self._limiter is not None
        self.helpers -= 1
        self._limiter.release_on_behalf_of(token)


class _Parts:
    """The shared state of one split download."""

    def __init__(
        self,
        open_stream: OpenStream,
        first: BodyInfo,
        file: AtomicFile,
        *,
        label: str,
        progress: Progress | None,
        options: TransferOptions,
    ) -> None:
        assert first.total is not None
        assert first.validator is not None
        self.open_stream = open_stream
        self.total = first.total
        self.validator = first.validator
        self.file = file
        self.label = label
        self.progress = progress
        self.options = options
        self.parts = plan_parts(first.total, options.part_size)
        self.pending = deque(range(1, len(self.parts)))
        self.done = 0

    async def fetch(self, index: int, session: Session | None) -> None:
        """Write part ``index``, reading ``session``'s open response first if given.

        The open response is the whole file's: while it lasts, its reader claims the parts
        that follow its own (from the front of the queue, as it reaches them) instead of
        ending its connection and asking for them again. Helpers take parts from the back.
        """
        start, end = self.parts[index]
        position, failures = start, 0
        own = session or Session(self.open_stream)
        continuous = session is not None
        try:
            while position < end:
                if session is None:
                    answer = await own.open(part_headers(position, end, self.validator))
                    if not judge_part(answer, position, end, self.total):
                        raise ResourceChanged
                    continuous = False  # a ranged answer ends at ``end``
                session = None
                buffer = Buffer()
                error: httpx.TransportError | None = None
                try:
                    async for chunk in own.response.iter_raw():
                        if buffer.add(chunk) >= self.options.chunk_size:
                            if continuous:
                                end = self._claim_following(position + buffer.size, end)
                            position = await self._write(buffer.take(), position, end)
                            if position >= end:
                                break
                except httpx.TransportError as exc:
                    error = exc
                if buffer.size and position < end:
                    if continuous:
                        end = self._claim_following(position + buffer.size, end)
                    # What arrived before a break is kept; the resumption starts after it.
                    position = await self._write(buffer.take(), position, end)
                if error is None and position < end:
                    error = httpx.RemoteProtocolError(f"part ended at {position}, before {end}")
                if error is not None:
                    failures += 1
                    if failures > self.options.max_resume_attempts:
                        raise connection_error(error, self.label, failures) from error
        finally:
            await own.close()

    def _claim_following(self, reach: int, end: int) -> int:
        """Extend ``end`` over the next parts while ``reach`` gets to it and they are unclaimed."""
        while reach >= end and self.pending and self.parts[self.pending[0]][0] == end:
            end = self.parts[self.pending.popleft()][1]
        return end

    async def _write(self, block: Block, position: int, end: int) -> int:
        block = block.first(end - position)
        await self.file.write_at(position, block.pieces)
        self.done += block.size
        await report(self.progress, self.done, self.total)
        return position + block.size


async def write_parts(
    session: Session,
    first: BodyInfo,
    file: AtomicFile,
    *,
    label: str,
    progress: Progress | None,
    options: TransferOptions,
    limiter: anyio.CapacityLimiter | None,
) -> None:
    """Write the whole file ``first`` announced, part 0 from ``session``'s open response."""
    state = _Parts(
        session.open_stream, first, file, label=label, progress=progress, options=options
    )
    budget = _Budget(limiter, options)
    await file.truncate(state.total)  # every part writes at its offset into a full-size file
    await report(progress, 0, state.total)

    async def worker(index: int, opened: Session | None, token: object | None) -> None:
        try:
            await state.fetch(index, opened)
            grow()  # tokens other downloads gave back since
            while state.pending:
                await state.fetch(state.pending.pop(), None)
                grow()
        finally:
            if token is not None:
                budget.give_back(token)

    def grow() -> None:
        # Helpers take parts from the back, leaving the front to the open response's reader.
        while state.pending:
            token = budget.borrow()
            if token is None:
                return
            group.start_soon(worker, state.pending.pop(), None, token)

    try:
        async with anyio.create_task_group() as group:
            grow()
            group.start_soon(worker, 0, session, None)
    except Exception as exc:
        leaf = _single(exc)
        if leaf is exc:
            raise
        raise leaf from leaf.__cause__


def _single(error: BaseException) -> BaseException:
    """The one meaningful error inside a task group's exception group."""
    while True:
        inner = getattr(error, "exceptions", None)
        if not isinstance(inner, tuple) or not inner:
            return error
        changed = [e for e in inner if isinstance(e, ResourceChanged)]
        error = changed[0] if changed else inner[0]
