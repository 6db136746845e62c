"""``results.sync``: mirror the results of matching orders into ``dest/<order_id>/``, resumably.

The caller locks the folder (``locked_folder``: the lock taken and the journal loaded before
anything is listed), lists the matching orders (and, when asked, their PDF reports) into
``SyncItem`` values, and hands them with the ``DownloadSource`` to ``LockedFolder.sync``, which
plans each file from the folder's journal (``plan_sync``, pure): a journalled file still on
disk with its journalled size (and, with ``verify``, its md5) is skipped without a request; a
journalled file that is gone or differs is fetched again and replaces what is there; a file the
journal does not know is fetched, unless a complete copy is already at its name
(``skip_existing``). The downloads run as one batch; each order's folder is made durable once
its files are done, and only then are their journal lines written. A run cancelled or killed
midway leaves only the partials of files that can be resumed (``_partials.py``: the next run
asks for their rest, and removes any other temporary file a killed run left), and the next run
completes the rest.

Nothing outside ``dest`` is written, read as a result or deleted: an order id or a report id
that is not a canonical UUID is that item's ``InvalidResponseError``; an order's folder is used
only when it is a real folder inside ``dest`` (``check_confined``); the journal trusts only its
own key's file in its own order's folder; the journal and the lock are regular files, opened
without following links. Within a run every final name belongs to one item (``NameClaims``,
the journal's names reserved first).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import time
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path

import anyio
import attrs

from galatea_async._download._batch import (
    DownloadOutcome,
    DownloadRequest,
    DurableCallback,
    FileProgress,
    request_key,
    run_downloads,
)
from galatea_async._download._claims import NameClaims
from galatea_async._download._confinement import (
    confined_directory,
)
from galatea_async._download._files import local_size, remove_stale_temporary_files
from galatea_async._download._folders import made_directory
from galatea_async._download._journal import (
    Journal,
    JournalEntry,
    is_trusted_line,
    open_regular,
)
from galatea_async._download._source import DownloadSource, Listed
from galatea_async._download._sync_outcomes import SyncReport
from galatea_async._download._target import Existing
from galatea_async._download._threads import run_blocking
from galatea_async._progress import Progress, call_progress
from galatea_async.errors import GalateaError

__all__ = [
    "LockedFolder",
    "SyncItem",
    "SyncPlan",
    "SyncReport",
    "locked_folder",
    "plan_sync",
]

_LOCK_NAME = ".galatea-sync.lock"


@attrs.frozen
class SyncItem:
    """One file a sync wants: a result of an order, or one of its PDF reports (with the
    size and md5 the API lists for it); ``refusal`` when the listing made it unusable."""

    request: DownloadRequest
    expected_size: int | None = None
    expected_md5: str | None = None
    refusal: GalateaError | None = None

    @property
    def key(self) -> str:
        """The file's key in the journal."""
        return request_key(self.request)

    @property
    def listed(self) -> Listed:
        """What the listing says the file is, for the download to verify."""
        return Listed(size=self.expected_size, md5=self.expected_md5)


@attrs.frozen
class OnDisk:
    """What a journalled file looks like on disk now: its size (None if gone) and md5 (if
    hashed, for ``verify``)."""

    size: int | None
    md5: str | None = None


@attrs.frozen
class SyncPlan:
    """What a run does: items kept as they are, items fetched with their policy, and items
    that fail without a request."""

    kept: list[tuple[SyncItem, JournalEntry]]
    fetched: list[tuple[SyncItem, Existing]]
    failed: list[tuple[SyncItem, GalateaError]] = attrs.field(factory=list)


def plan_sync(
    items: Sequence[SyncItem],
    journal: dict[str, JournalEntry],
    on_disk: dict[str, OnDisk],
    refused_folders: dict[str, GalateaError] | None = None,
) -> SyncPlan:
    """Which items need a request, and whether what is at their name may be kept or replaced.

    ``on_disk`` describes each journalled item's file now (with its md5 under ``verify``);
    ``refused_folders`` the orders whose folder cannot be used, and why.
    """
    kept: list[tuple[SyncItem, JournalEntry]] = []
    fetched: list[tuple[SyncItem, Existing]] = []
    failed: list[tuple[SyncItem, GalateaError]] = []
    for item in items:
        refusal = item.refusal or (refused_folders or {}).get(item.request.order_id)
        if refusal is not None:
            failed.append((item, refusal))
            continue
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
    return SyncPlan(kept=kept, fetched=fetched, failed=failed)


@attrs.frozen
class LockedFolder:
    """A sync's folder while this run alone holds its lock: its journal, and when the run began
    (``SyncReport.seconds`` counts the listing done under the lock too)."""

    folder: Path
    journal: Journal
    started: float

    async def sync(
        self,
        items: Sequence[SyncItem],
        source: DownloadSource,
        *,
        concurrency: int,
        verify: bool,
        progress: Progress | None = None,
        file_progress: FileProgress | None = None,
        file_done: Callable[[DownloadOutcome], object] | None = None,
    ) -> SyncReport:
        """The folder brought up to date with ``items``, fetched from ``source``; what was done.

        Before fetching anything, ``file_progress`` hears of every file: ``(size, size)`` for
        one kept as it is, ``(0, None)`` for one to fetch. ``file_done`` hears of each fetched
        file's outcome once it is journalled (durable) or has failed.
        """
        folder, journal = self.folder, self.journal
        on_disk, refused = await run_blocking(_inspect, folder, items, journal, verify)
        plan = plan_sync(items, journal.entries, on_disk, refused)
        jobs = [
            (item.request, source.mirrored(item.request, folder, existing, item.listed))
            for item, existing in plan.fetched
        ]
        await _announce(plan, file_progress)
        try:
            outcomes = await run_downloads(
                jobs,
                concurrency=concurrency,
                progress=progress,
                file_progress=file_progress,
                on_durable=_journal_writer(self, file_done),
                names=_name_claims(folder, plan, journal),
            )
        finally:
            with anyio.CancelScope(shield=True):
                await run_blocking(journal.close)
        return _sync_report(folder, plan, outcomes, self.started)


@contextlib.asynccontextmanager
async def locked_folder(folder: Path) -> AsyncIterator[LockedFolder]:
    """``folder`` (created if missing) locked for one sync, its journal loaded before the
    caller lists anything."""
    started = time.monotonic()
    await made_directory(folder)
    async with _exclusive(folder):
        journal = await run_blocking(Journal.load, folder)
        yield LockedFolder(folder=folder, journal=journal, started=started)


def _name_claims(folder: Path, plan: SyncPlan, journal: Journal) -> NameClaims:
    """Claims over the fetched items' folders, the journal's names reserved first."""
    names = NameClaims([folder / item.request.order_id for item, _ in plan.fetched], root=folder)
    for key, entry in journal.entries.items():
        names.reserve(folder / entry.path, key)
    return names


def _journal_writer(
    locked: LockedFolder, file_done: Callable[[DownloadOutcome], object] | None
) -> DurableCallback:
    """What hears of each folder's durable outcomes: the journal, then ``file_done``."""
    folder, journal = locked.folder, locked.journal

    def on_durable(directory: Path, outcomes: list[DownloadOutcome]) -> None:
        for outcome in outcomes:
            path, key = outcome.path, request_key(outcome.request)
            if not (outcome.ok and path and outcome.size is not None and outcome.md5):
                continue
            relative = f"{outcome.request.order_id}/{path.name}"
            # Written only as loading would trust it (a claim always puts it there).
            if folder / relative == path and is_trusted_line(key, relative):
                journal.record(key, relative, outcome.size, outcome.md5)
        if file_done is not None:
            for outcome in outcomes:
                file_done(outcome)

    return on_durable


def _sync_report(
    folder: Path, plan: SyncPlan, outcomes: list[DownloadOutcome], started: float
) -> SyncReport:
    kept = [
        DownloadOutcome(
            request=item.request, path=folder / entry.path, skipped=True, size=entry.size,
            md5=entry.md5,
        )
        for item, entry in plan.kept
    ]  # fmt: skip
    refused = [DownloadOutcome(request=item.request, error=error) for item, error in plan.failed]
    downloaded = [o for o in outcomes if o.ok and not o.skipped]
    skipped = kept + [o for o in outcomes if o.ok and o.skipped]
    return SyncReport(
        downloaded=downloaded,
        skipped=skipped,
        failed=refused + [o for o in outcomes if not o.ok],
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
        await call_progress(functools.partial(file_progress, item.request), entry.size, entry.size)
    for item, _existing in plan.fetched:
        await call_progress(functools.partial(file_progress, item.request), 0, None)


def _inspect(
    folder: Path, items: Sequence[SyncItem], journal: Journal, verify: bool
) -> tuple[dict[str, OnDisk], dict[str, GalateaError]]:
    """Each journalled item's file as it is now, and the orders whose folder is refused
    (blocking). Also: every usable order folder exists, and what a killed run left in it is
    removed."""
    refused: dict[str, GalateaError] = {}
    for order_id in dict.fromkeys(i.request.order_id for i in items if i.refusal is None):
        try:
            directory = confined_directory(folder, order_id)
        except GalateaError as exc:
            refused[order_id] = exc
            continue
        remove_stale_temporary_files(directory)
    found: dict[str, OnDisk] = {}
    for item in items:
        entry = journal.entries.get(item.key)
        if entry is None or item.refusal is not None or item.request.order_id in refused:
            continue
        path = folder / entry.path  # the journal trusts only <order_id>/<name>
        size = local_size(path)
        md5 = _regular_md5(path) if verify and size == entry.size else None
        found[item.key] = OnDisk(size=size, md5=md5)
    return found, refused


def _regular_md5(path: Path) -> str | None:
    """The md5 of the regular file at ``path``, or None if it is something else by now (a
    link or a FIFO swapped in since it was measured is never followed or waited on)."""
    try:
        fd = open_regular(path, os.O_RDONLY, "the journalled file")
    except (OSError, GalateaError):
        return None
    digest = hashlib.md5(usedforsecurity=False)
    with os.fdopen(fd, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


@contextlib.asynccontextmanager
async def _exclusive(folder: Path) -> AsyncIterator[None]:
    """One sync at a time into a folder (POSIX advisory lock; elsewhere, no lock)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    fd = await run_blocking(
        open_regular, folder / _LOCK_NAME, os.O_CREAT | os.O_RDWR, "the sync lock"
    )
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
