"""``results.sync``: mirror the results of matching orders into ``dest/<order_id>/``, resumably.

A run lists the matching orders (and, when asked, their PDF reports), then plans each file
from the folder's journal (``plan_sync``, pure): a journalled file still on disk with its
journalled size (and, with ``verify``, its md5) is skipped without a request; a journalled file
that is gone or differs is fetched again and replaces what is there; a file the journal does not
know is fetched, unless a complete copy is already at its name (``skip_existing``). The
downloads run as one batch; each order's folder is synced once its files are done, and only then
are their journal lines written. A run cancelled or killed midway leaves only the partials of
files that can be resumed (``_partials.py``: the next run asks for their rest, and removes any
other temporary file a killed run left), and the next run completes the rest.
"""

from __future__ import annotations

import contextlib
import functools
import os
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import anyio
import attrs

from galatea_async._download._batch import (
    BatchProgress,
    DownloadOutcome,
    DownloadRequest,
    FileProgress,
    file_and_batch_progress,
    run_downloads,
)
from galatea_async._download._files import file_md5, local_size, remove_stale_temporary_files
from galatea_async._download._job import DownloadJob
from galatea_async._download._journal import Journal, JournalEntry
from galatea_async._download._options import Progress, report
from galatea_async._download._target import Destination, Existing
from galatea_async._download._threads import run_blocking
from galatea_async._enums import ResultType
from galatea_async.errors import GalateaError

__all__ = [
    "SyncItem",
    "SyncPlan",
    "SyncReport",
    "journal_key",
    "plan_items",
    "plan_sync",
    "sync_folder",
]

_LOCK_NAME = ".galatea-sync.lock"


@attrs.frozen
class SyncItem:
    """One file a sync wants: a result of an order, or one of its PDF reports (with the
    size and md5 the API lists for it)."""

    request: DownloadRequest
    expected_size: int | None = None
    expected_md5: str | None = None

    @property
    def key(self) -> str:
        """The file's key in the journal."""
        return journal_key(self.request)


def journal_key(request: DownloadRequest) -> str:
    """``<order_id>/<RESULT_TYPE>``, or ``<order_id>/PDF_REPORT/<report_id>``."""
    key = f"{request.order_id}/{request.result_type.value}"
    return f"{key}/{request.pdf_request_id}" if request.pdf_request_id else key


@attrs.frozen
class OnDisk:
    """What a journalled file looks like on disk now: its size (None if gone) and md5 (if
    hashed, for ``verify``)."""

    size: int | None
    md5: str | None = None


@attrs.frozen
class SyncPlan:
    """What a run does: items kept as they are, and items fetched with their policy."""

    kept: list[tuple[SyncItem, JournalEntry]]
    fetched: list[tuple[SyncItem, Existing]]


def plan_sync(
    items: Sequence[SyncItem], journal: dict[str, JournalEntry], on_disk: dict[str, OnDisk]
) -> SyncPlan:
    """Which items need a request, and whether what is at their name may be kept or replaced.

    ``on_disk`` describes each journalled item's file now (with its md5 under ``verify``).
    """
    kept: list[tuple[SyncItem, JournalEntry]] = []
    fetched: list[tuple[SyncItem, Existing]] = []
    for item in items:
        entry = journal.get(item.key)
        if entry is None:
            fetched.append((item, Existing.SKIP_IF_COMPLETE))
            continue
        found = on_disk.get(item.key, OnDisk(size=None))
        intact = found.size == entry.size and (found.md5 is None or found.md5 == entry.md5)
        if intact:
            kept.append((item, entry))
        else:
            fetched.append((item, Existing.REPLACE))  # gone, truncated or changed: replace
    return SyncPlan(kept=kept, fetched=fetched)


@attrs.frozen
class SyncReport:
    """What a ``results.sync`` run did.

    :ivar downloaded: The files fetched.
    :ivar skipped: The files already complete (from the journal, or a complete copy found at
        their name).
    :ivar failed: The items that failed; each outcome holds its error.
    :ivar downloaded_bytes: The sizes of the files fetched, added up.
    :ivar skipped_bytes: The sizes of the files already complete, added up.
    :ivar seconds: How long the whole run took, listing included.
    """

    downloaded: list[DownloadOutcome]
    skipped: list[DownloadOutcome]
    failed: list[DownloadOutcome]
    downloaded_bytes: int
    skipped_bytes: int
    seconds: float

    @property
    def ok(self) -> bool:
        """Whether every file is there."""
        return not self.failed

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: each list's outcomes (``DownloadOutcome.to_dict``), totals and seconds."""
        return {
            "downloaded": [outcome.to_dict() for outcome in self.downloaded],
            "skipped": [outcome.to_dict() for outcome in self.skipped],
            "failed": [outcome.to_dict() for outcome in self.failed],
            "downloaded_bytes": self.downloaded_bytes,
            "skipped_bytes": self.skipped_bytes,
            "seconds": self.seconds,
        }


JobFor = Callable[[SyncItem, Destination, Existing, Progress], DownloadJob]


async def sync_folder(
    folder: Path,
    items: Callable[[], Awaitable[list[SyncItem]]],
    job_for: JobFor,
    *,
    concurrency: int,
    verify: bool,
    progress: Progress | None = None,
    file_progress: FileProgress | None = None,
    file_done: Callable[[DownloadOutcome], object] | None = None,
) -> SyncReport:
    """Bring ``folder`` up to date with the items ``items()`` lists; what was done.

    Before fetching anything, ``file_progress`` hears of every file: ``(size, size)`` for one
    kept as it is, ``(0, None)`` for one to fetch. ``file_done`` hears of each fetched file's
    outcome once it is journalled (durable) or has failed.
    """
    started = time.monotonic()
    await anyio.Path(folder).mkdir(parents=True, exist_ok=True)
    with _exclusive(folder):
        journal = await run_blocking(Journal.load, folder)
        wanted = await items()
        on_disk = await run_blocking(_inspect, folder, wanted, journal, verify)
        plan = plan_sync(wanted, journal.entries, on_disk)
        batch_progress = BatchProgress(progress, len(plan.fetched))
        jobs = []
        for index, (item, existing) in enumerate(plan.fetched):
            destination = Destination(directory=folder / item.request.order_id)
            each = file_and_batch_progress(
                batch_progress.for_item(index), file_progress, item.request
            )
            job = job_for(item, destination, existing, each)
            # An interrupted file is resumed by the next run from the bytes it left.
            jobs.append((item.request, attrs.evolve(job, keep_partial=True)))

        def on_durable(directory: Path, outcomes: list[DownloadOutcome]) -> None:
            for outcome in outcomes:
                if outcome.ok and outcome.path and outcome.size is not None and outcome.md5:
                    journal.record(
                        journal_key(outcome.request), outcome.path, outcome.size, outcome.md5
                    )
            if file_done is not None:
                for outcome in outcomes:
                    file_done(outcome)

        await _announce(plan, file_progress)
        try:
            outcomes = await run_downloads(
                jobs, concurrency=concurrency, progress=batch_progress, on_durable=on_durable
            )
        finally:
            with anyio.CancelScope(shield=True):
                await run_blocking(journal.close)
    kept = [
        DownloadOutcome(
            request=item.request, path=folder / entry.path, skipped=True, size=entry.size,
            md5=entry.md5,
        )
        for item, entry in plan.kept
    ]  # fmt: skip
    downloaded = [o for o in outcomes if o.ok and not o.skipped]
    skipped = kept + [o for o in outcomes if o.ok and o.skipped]
    return SyncReport(
        downloaded=downloaded,
        skipped=skipped,
        failed=[o for o in outcomes if not o.ok],
        downloaded_bytes=sum(o.size or 0 for o in downloaded),
        skipped_bytes=sum(o.size or 0 for o in skipped),
        seconds=time.monotonic() - started,
    )


async def _announce(plan: SyncPlan, file_progress: FileProgress | None) -> None:
    """Tell ``file_progress`` every file of the plan before any is fetched: kept ones as
    complete, the others as not started, so a display can count both."""
    if file_progress is None:
        return
    for item, entry in plan.kept:
        await report(functools.partial(file_progress, item.request), entry.size, entry.size)
    for item, _existing in plan.fetched:
        await report(functools.partial(file_progress, item.request), 0, None)


def _inspect(
    folder: Path, items: Sequence[SyncItem], journal: Journal, verify: bool
) -> dict[str, OnDisk]:
    """Each journalled item's file as it is now (blocking). Also: every order's folder exists,
    and what a killed run left in it is removed."""
    for directory in {folder / item.request.order_id for item in items}:
        directory.mkdir(exist_ok=True)
        remove_stale_temporary_files(directory)
    found: dict[str, OnDisk] = {}
    for item in items:
        entry = journal.entries.get(item.key)
        if entry is None:
            continue
        path = folder / entry.path
        size = local_size(path)
        md5 = file_md5(path) if verify and size == entry.size else None
        found[item.key] = OnDisk(size=size, md5=md5)
    return found


@contextlib.contextmanager
def _exclusive(folder: Path) -> Iterator[None]:
    """One sync at a time into a folder (POSIX advisory lock; elsewhere, no lock)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    fd = os.open(folder / _LOCK_NAME, os.O_CREAT | os.O_RDWR | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise GalateaError(
                f"another results.sync is writing into {folder} right now; wait for it to "
                f"finish (or, if none runs, remove {folder / _LOCK_NAME})"
            ) from None
        yield
    finally:
        os.close(fd)


def plan_items(
    orders: Iterable[tuple[str, Sequence[ResultType]]], result_types: Sequence[ResultType] | None
) -> list[SyncItem]:
    """The result files of ``orders`` (``(order_id, its result types)``), filtered, once each."""
    wanted = set(result_types) if result_types else None
    seen: dict[str, SyncItem] = {}
    for order_id, types in orders:
        for result_type in types:
            if wanted is not None and result_type not in wanted:
                continue
            item = SyncItem(DownloadRequest(order_id=order_id, result_type=result_type))
            seen.setdefault(item.key, item)
    return list(seen.values())
