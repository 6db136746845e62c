"""Many downloads at once: requests, outcomes, and the batch that runs them.

``run_downloads`` runs at most ``concurrency`` downloads at a time, each in a ``Seat`` of the
batch (its connection slot, given back once its body is in, and the slots its large files'
parts may borrow).
Every item gets one outcome, in input order; an item's failure is kept in its outcome and never
stops the others. A final path belongs to one item of the batch (``NameClaims``): an item the
server names like an earlier item of its directory gets a distinct name of its own. A directory's
renames are made durable (one fsync of the directory) when its last item is done, and only then
are its outcomes handed on as durable (``on_durable``, which ``results.sync`` uses for its
journal).
Cancelling the batch cancels every download; each removes its temporary file.
"""

from __future__ import annotations

import functools
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import anyio
import attrs

from galatea_async._converter import register_model
from galatea_async._download._claims import NameClaims, item_tag
from galatea_async._download._durability import DurableDirectories
from galatea_async._download._engine import Seat, download_file
from galatea_async._download._job import Downloaded, DownloadJob
from galatea_async._download._small_files import SmallFileWriter
from galatea_async._enums import ResultType
from galatea_async._models import _JsonModel
from galatea_async._outcomes import error_dict, error_repr, result_or_raise
from galatea_async._progress import Progress, call_progress

__all__ = [
    "BatchProgress",
    "DownloadOutcome",
    "DownloadRequest",
    "DurableCallback",
    "FileProgress",
    "request_key",
    "run_downloads",
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
    key = f"{request.order_id}/{request.result_type.value}"
    return f"{key}/{request.pdf_request_id}" if request.pdf_request_id else key


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


class BatchProgress:
    """One progress callback for a whole batch: bytes done, and the total once all are known.

    Kept as running sums, so each call costs the same however large the batch.
    """

    def __init__(self, progress: Progress | None, count: int) -> None:
        self._progress = progress
        self._done = [0] * count
        self._totals: list[int | None] = [None] * count
        self._sum_done = 0
        self._sum_totals = 0
        self._unknown = count

    def for_item(self, index: int) -> Progress:
        """The callback item ``index`` calls with its own bytes."""

        async def item_progress(done: int, total: int | None) -> None:
            self._set(index, done, total)
            known = None if self._unknown else self._sum_totals
            await call_progress(self._progress, self._sum_done, known)

        return item_progress

    def ended(self, index: int) -> None:
        """Item ``index`` ended without a size of its own (failed): its total is what it did."""
        if self._totals[index] is None:
            self._set(index, self._done[index], self._done[index])

    def _set(self, index: int, done: int, total: int | None) -> None:
        self._sum_done += done - self._done[index]
        self._done[index] = done
        previous = self._totals[index]
        self._unknown += (total is None) - (previous is None)
        self._sum_totals += (total or 0) - (previous or 0)
        self._totals[index] = total


FileProgress = Callable[[DownloadRequest, int, "int | None"], object]
"""``file_progress(request, done_bytes, total_bytes_or_None)``, for each file of a batch."""


def _item_progress(
    job_progress: Progress | None,
    batch_item: Progress,
    file_progress: FileProgress | None,
    request: DownloadRequest,
) -> Progress:
    """One file's progress callback: its job's own, the batch's sum, and ``file_progress``."""

    async def each(done: int, total: int | None) -> None:
        await call_progress(job_progress, done, total)
        await call_progress(batch_item, done, total)
        if file_progress is not None:
            await call_progress(functools.partial(file_progress, request), done, total)

    return each


DurableCallback = Callable[[Path, list[DownloadOutcome]], None]


class _Directories:
    """Each directory of a batch made durable once its last item is done (one fsync of the
    directory for all its renames), then ``on_durable`` told of its outcomes, in batch order."""

    def __init__(
        self,
        directories: list[Path],
        outcomes: list[DownloadOutcome | None],
        on_durable: DurableCallback | None,
    ) -> None:
        self.durability = DurableDirectories()
        self._remaining = Counter(directories)
        self._members: dict[Path, list[int]] = {}
        self._outcomes = outcomes
        self._on_durable = on_durable

    async def item_done(self, index: int, directory: Path) -> None:
        self._members.setdefault(directory, []).append(index)
        self._remaining[directory] -= 1
        if self._remaining[directory]:
            return
        await self.durability.flush([directory])
        if self._on_durable is not None:
            done = [self._outcomes[i] for i in sorted(self._members.pop(directory))]
            self._on_durable(directory, [outcome for outcome in done if outcome is not None])


class _Batch:
    """One batch's shared state: its connection slots, names, progress sums and outcomes."""

    def __init__(
        self,
        items: Sequence[tuple[DownloadRequest, DownloadJob]],
        *,
        concurrency: int,
        progress: Progress | None,
        file_progress: FileProgress | None,
        on_durable: DurableCallback | None,
        names: NameClaims | None,
    ) -> None:
        directories = [job.destination.directory for _, job in items]
        self.outcomes: list[DownloadOutcome | None] = [None] * len(items)
        self.directories = _Directories(directories, self.outcomes, on_durable)
        self._limiter = anyio.CapacityLimiter(concurrency)
        self._writer = SmallFileWriter(self.directories.durability)
        self._claims = names or NameClaims(directories)
        self._progress = BatchProgress(progress, len(items)) if progress or file_progress else None
        self._file_progress = file_progress

    async def run(self, index: int, request: DownloadRequest, job: DownloadJob) -> None:
        """Item ``index`` downloaded, its outcome kept (an exception becomes its outcome)."""
        key = request_key(request)
        claim = functools.partial(
            self._claims.claim, index, tag=item_tag(request.result_type.value, key), key=key
        )
        if self._progress is not None:
            batch_item = self._progress.for_item(index)
            each = _item_progress(job.progress, batch_item, self._file_progress, request)
            job = attrs.evolve(job, progress=each)
        try:
            seat = Seat(self._limiter, self.directories.durability, claim, self._writer)
            async with seat:
                downloaded = await download_file(job, seat)
        except Exception as exc:
            self.outcomes[index] = DownloadOutcome(request=request, error=exc)
            if self._progress is not None:
                self._progress.ended(index)
        else:
            self.outcomes[index] = DownloadOutcome.from_downloaded(request, downloaded)
        finally:
            self._claims.settle(index)
        await self.directories.item_done(index, job.destination.directory)


async def run_downloads(
    items: Sequence[tuple[DownloadRequest, DownloadJob]],
    *,
    concurrency: int,
    progress: Progress | None = None,
    file_progress: FileProgress | None = None,
    on_durable: DurableCallback | None = None,
    names: NameClaims | None = None,
) -> list[DownloadOutcome]:
    """One ``DownloadOutcome`` per ``(request, job)``, in order, ``concurrency`` at a time.

    ``progress(done_bytes, total_bytes_or_None)`` hears of the whole batch,
    ``file_progress(request, done_bytes, total_bytes_or_None)`` of each file. When the last
    item of a directory is done, its renames are made durable (if its downloads asked for
    fsync), then ``on_durable(directory, its outcomes)`` is called. Exceptions become
    outcomes; cancellation and other ``BaseException`` (``KeyboardInterrupt``) propagate, after
    what was already written is made durable. ``names`` decides the final names (by default,
    claims over the jobs' directories with nothing reserved).
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}")
    batch = _Batch(
        items,
        concurrency=concurrency,
        progress=progress,
        file_progress=file_progress,
        on_durable=on_durable,
        names=names,
    )
    # A pool of workers taking items in order, not a task per item: thousands of tasks all
    # queueing on the limiter cost more than their downloads. Twice the concurrency, so that
    # while some finish (made durable and linked) others hold every connection slot.
    queue = iter(enumerate(items))

    async def worker() -> None:
        for index, (request, job) in queue:
            await batch.run(index, request, job)

    try:
        async with anyio.create_task_group() as group:
            for _ in range(min(2 * concurrency, len(items))):
                group.start_soon(worker)
    finally:
        await batch.directories.durability.flush()  # what was written before a cancellation too
    return [outcome for outcome in batch.outcomes if outcome is not None]
