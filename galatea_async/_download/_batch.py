"""Many downloads at once: requests, outcomes, and the batch that runs them.

``stream_downloads`` takes ``DownloadGroup`` values from an async iterable as its workers free
up (so a batch of any size holds only what is in flight) and runs at most ``concurrency``
downloads at a time, each in a ``Seat`` of the batch (its connection slot, given back once its
body is in, and the slots its large files' parts may borrow). ``run_downloads`` is one group
given whole, its outcomes returned in input order.
An item's failure is kept in its outcome and never stops the others. Within a group a final
path belongs to one item (``NameClaims``): an item the server names like an earlier item of
its directory gets a distinct name of its own. A directory's renames are made durable (one
fsync of the directory) when the group's last item there is done, and only then are its
outcomes handed on (``on_durable`` in a worker thread, which ``results.sync`` uses for its
journal; then ``on_outcome``): ``_durable_outcomes.py``.
Cancelling the batch cancels every download; each removes its temporary file.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import anyio
import anyio.abc
import anyio.lowlevel
import attrs

from galatea_async._converter import register_model
from galatea_async._download._batch_progress import BatchProgress, FileProgress, item_progress
from galatea_async._download._claims import NameClaims
from galatea_async._download._durability import DurableDirectories
from galatea_async._download._durable_outcomes import (
    DoneDirectory,
    DurableCallback,
    DurableQueue,
    OutcomeCallback,
)
from galatea_async._download._engine import download_file
from galatea_async._download._job import Downloaded, DownloadJob
from galatea_async._download._seat import Seat
from galatea_async._download._small_files import SmallFileWriter
from galatea_async._enums import ResultType
from galatea_async._models import _JsonModel
from galatea_async._outcomes import error_dict, error_repr, result_or_raise
from galatea_async._progress import Progress

__all__ = [
    "BatchProgress",
    "DownloadGroup",
    "DownloadOutcome",
    "DownloadRequest",
    "DurableCallback",
    "FileProgress",
    "OutcomeCallback",
    "item_key",
    "request_key",
    "run_downloads",
    "stream_downloads",
]


def _to_id(value: str | uuid.UUID) -> str:
    return str(value)


def _to_optional_id(value: str | uuid.UUID | None) -> str | None:
    return None if value is None else str(value)


@attrs.frozen
class DownloadRequest(_JsonModel):
    """One file for ``download_many``: an order's result, or one of its PDF reports.

    :ivar order_id: The order's id (a UUID is turned into text).
    :ivar result_type: Which of its result files.
    :ivar pdf_request_id: With ``ResultType.PDF_REPORT``, the one PDF report to fetch (a
        ``PdfReport.id``); ``None`` fetches them all in one archive.
    """

    order_id: str = attrs.field(converter=_to_id)
    result_type: ResultType = attrs.field(converter=ResultType)
    pdf_request_id: str | None = attrs.field(default=None, converter=_to_optional_id)


register_model(DownloadRequest)


def request_key(request: DownloadRequest) -> str:
    """An item's identity: ``<order_id>/<RESULT_TYPE>``, or ``<order_id>/PDF_REPORT/<report_id>``
    (its key in a sync journal too)."""
    return item_key(request.order_id, request.result_type, request.pdf_request_id)


def item_key(order_id: str, result_type: ResultType, pdf_request_id: str | None) -> str:
    """``request_key`` of the request these would make, without making it."""
    # The member's stored ``_value_``, not the ``value`` property: two Python calls an item.
    key = f"{order_id}/{result_type._value_}"
    return f"{key}/{pdf_request_id}" if pdf_request_id else key


@attrs.frozen
class DownloadOutcome:
    """What became of one item: its file (``path``, ``size``), or the ``error`` that stopped it.

    :ivar request: The item this outcome is about.
    :ivar path: Where the file is, or ``None`` if it failed.
    :ivar error: What stopped it, or ``None``; ``result()`` raises it.
    :ivar skipped: ``True`` when a complete copy was already there and was kept
        (``skip_existing``, ``results.sync``).
    :ivar size: The file's size in bytes, or ``None`` if it failed.
    :ivar md5: The file's MD5 when the SDK computed it (a listed ``check_sum`` was verified,
        or ``results.sync`` journalled it), else ``None``.
    """

    request: DownloadRequest
    path: Path | None = None
    error: BaseException | None = attrs.field(default=None, repr=error_repr)
    skipped: bool = False
    size: int | None = None
    md5: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the file is there (downloaded, or kept as already complete)."""
        return self.error is None and self.path is not None

    def result(self) -> Path:
        """The file's path; raises the stored error if the item failed."""
        return result_or_raise(self.path, self.error, "path")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the request's fields, ``path`` (text), ``size``, ``md5``, ``skipped``,
        and ``error`` (``{"type", "message"}``, or None).

        One way only: an error is not data, so there is no ``from_dict``.
        """
        return {
            **self.request.to_dict(),
            "path": None if self.path is None else str(self.path),
            "size": self.size,
            "md5": self.md5,
            "skipped": self.skipped,
            "error": error_dict(self.error),
        }

    @classmethod
    def from_downloaded(cls, request: DownloadRequest, downloaded: Downloaded) -> DownloadOutcome:
        """The outcome of a download that left ``downloaded`` on disk."""
        return cls(
            request=request,
            path=downloaded.path,
            skipped=downloaded.skipped,
            size=downloaded.size,
            md5=downloaded.md5,
        )


@attrs.frozen
class DownloadGroup:
    """Items of a batch that share their final names: ``names`` decides them among these items
    (by index in ``items``), whose directories are made durable as the group's items end."""

    items: Sequence[tuple[DownloadRequest, DownloadJob]]
    names: NameClaims


class _GroupRun:
    """One group while it runs: the outcomes of its directories not yet durable."""

    def __init__(self, group: DownloadGroup) -> None:
        self.group = group
        # Directories are numbered once: hashing a Path per item ending is a Python call.
        numbers: dict[Path, int] = {}
        self._number = [
            numbers.setdefault(job.destination.directory, len(numbers)) for _, job in group.items
        ]
        self._directories = list(numbers)
        self._remaining = [0] * len(numbers)
        for number in self._number:
            self._remaining[number] += 1
        self._members: dict[int, list[int]] = {}
        self._outcomes: dict[int, DownloadOutcome] = {}

    def item_done(self, index: int, outcome: DownloadOutcome) -> DoneDirectory | None:
        """Item ``index`` ended; its directory with every outcome, if it was the last there."""
        number = self._number[index]
        self._outcomes[index] = outcome
        self._members.setdefault(number, []).append(index)
        self._remaining[number] -= 1
        if self._remaining[number]:
            return None
        indexes = sorted(self._members.pop(number))
        return DoneDirectory(
            self._directories[number], [(i, self._outcomes.pop(i)) for i in indexes]
        )


class _Batch:
    """One batch's shared state: its connection slots, progress sums and durable queue."""

    def __init__(
        self,
        *,
        concurrency: int,
        progress: Progress | None,
        file_progress: FileProgress | None,
        durable: DurableQueue,
        durability: DurableDirectories,
    ) -> None:
        self._limiter = anyio.CapacityLimiter(concurrency)
        self._durability = durability
        self._durable = durable
        self._writer = SmallFileWriter(durability)
        self._progress = BatchProgress(progress) if progress or file_progress else None
        self._file_progress = file_progress

    def joined(self) -> int | None:
        """A new item's index in the progress sums (None: nobody listens)."""
        return None if self._progress is None else self._progress.add()

    async def run(self, group: _GroupRun, index: int, counted: int | None) -> None:
        """Item ``index`` of ``group`` downloaded, its outcome kept (an exception becomes its
        outcome)."""
        request, job = group.group.items[index]
        key = request_key(request)
        claim = functools.partial(
            group.group.names.claim, index, label=request.result_type._value_, key=key
        )
        if self._progress is not None and counted is not None:
            batch_item = self._progress.for_item(counted)
            each = item_progress(job.progress, batch_item, self._file_progress, request)
            job = attrs.evolve(job, progress=each)
        try:
            seat = Seat(self._limiter, self._durability, claim, self._writer)
            async with seat:
                downloaded = await download_file(job, seat)
        except Exception as exc:
            outcome = DownloadOutcome(request=request, error=exc)
        else:
            outcome = DownloadOutcome.from_downloaded(request, downloaded)
        finally:
            group.group.names.settle(index)
            if self._progress is not None and counted is not None:
                self._progress.forget(counted)
        done = group.item_done(index, outcome)
        if done is not None:
            self._durable.put(done)


class _ItemQueue:
    """The items of the groups, handed to the workers one at a time, in order.

    Only the group is handed over between tasks (by the task that reads the groups, so that an
    iterable bound to its task is read in one); its items are then taken by plain reads, with
    a checkpoint every ``_CHECKPOINT_EVERY`` items so a run of items that end at once still
    lets cancellation and other tasks in.
    """

    def __init__(self, groups: anyio.abc.ObjectReceiveStream[_GroupRun]) -> None:
        self._groups = groups
        self._running: _GroupRun | None = None
        self._next = 0
        self._taken = 0
        self._turn = anyio.Lock()  # one worker at a time waits for the next group

    async def take(self) -> tuple[_GroupRun, int] | None:
        """The next item (its group and index), or None when every group is handed out."""
        self._taken += 1
        if self._taken % _CHECKPOINT_EVERY == 0:
            await anyio.lowlevel.checkpoint()
        while True:
            running = self._running
            if running is not None and self._next < len(running.group.items):
                self._next += 1
                return running, self._next - 1
            async with self._turn:
                if self._running is running:  # no other worker brought a group meanwhile
                    try:
                        self._running = await self._groups.receive()
                    except anyio.EndOfStream:
                        return None
                    self._next = 0


_CHECKPOINT_EVERY = 64


async def stream_downloads(
    groups: AsyncIterable[DownloadGroup],
    *,
    concurrency: int,
    progress: Progress | None = None,
    file_progress: FileProgress | None = None,
    on_durable: DurableCallback | None = None,
    on_outcome: OutcomeCallback | None = None,
) -> None:
    """Every item of ``groups``, taken as they come, ``concurrency`` at a time.

    Items are taken from ``groups`` only as workers free up, so what is held is bounded by the
    groups in flight, not by how many there are. ``progress(done_bytes, total_bytes_or_None)``
    hears of the whole batch (its total grows as items join), ``file_progress(request,
    done_bytes, total_bytes_or_None)`` of each file. When the last item of a group's directory
    is done, the directory is made durable (if its downloads asked for fsync) and
    ``on_durable`` runs, then ``on_outcome`` hears of each outcome. Exceptions become outcomes;
    cancellation and other ``BaseException`` (``KeyboardInterrupt``) propagate, after what was
    already written is made durable.
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}")
    durability = DurableDirectories()
    durable = DurableQueue(durability, on_durable, on_outcome)
    batch = _Batch(
        concurrency=concurrency,
        progress=progress,
        file_progress=file_progress,
        durable=durable,
        durability=durability,
    )
    # A pool of workers taking items in order, not a task per item: thousands of tasks all
    # queueing on the limiter cost more than their downloads. Twice the concurrency, so that
    # while some finish (made durable and linked) others hold every connection slot.
    send, receive = anyio.create_memory_object_stream[_GroupRun]()
    items = _ItemQueue(receive)

    async def feed() -> None:
        async with send:
            async for group in groups:
                await send.send(_GroupRun(group))

    async def worker() -> None:
        while (item := await items.take()) is not None:
            await batch.run(*item, batch.joined())

    try:
        async with anyio.create_task_group() as outer:
            outer.start_soon(durable.run)
            async with anyio.create_task_group() as group:
                group.start_soon(feed)
                for _ in range(2 * concurrency):
                    group.start_soon(worker)
            durable.close()
    finally:
        with anyio.CancelScope(shield=True):
            await durable.drain()
            await durability.flush()  # what was written before a cancellation too


async def run_downloads(
    items: Sequence[tuple[DownloadRequest, DownloadJob]],
    *,
    concurrency: int,
    progress: Progress | None = None,
    file_progress: FileProgress | None = None,
    on_durable: DurableCallback | None = None,
) -> list[DownloadOutcome]:
    """One ``DownloadOutcome`` per ``(request, job)``, in order, ``concurrency`` at a time.

    One group (``stream_downloads``): an item the server names like an earlier item of its
    directory gets a distinct name of its own; each directory is made durable once its last
    item is done, then ``on_durable([(directory, its outcomes), ...])`` runs (in a worker
    thread).
    """
    outcomes: list[DownloadOutcome | None] = [None] * len(items)

    def keep(index: int, outcome: DownloadOutcome) -> None:
        outcomes[index] = outcome

    names = NameClaims([job.destination.directory for _, job in items])

    async def one_group() -> AsyncIterator[DownloadGroup]:
        if items:
            yield DownloadGroup(items, names)

    await stream_downloads(
        one_group(),
        concurrency=concurrency,
        progress=progress,
        file_progress=file_progress,
        on_durable=on_durable,
        on_outcome=keep,
    )
    return [outcome for outcome in outcomes if outcome is not None]
