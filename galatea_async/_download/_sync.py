"""``results.sync``: mirror the results of matching orders into ``dest/<order_id>/``, resumably.

The caller locks the folder (``_folder_lock.locked_folder``: the lock taken and the journal
loaded before anything is listed) and hands ``LockedFolder.sync`` the wanted files page by
page, as the listing gives them (``SyncItem`` values, an order's files together), with the
``DownloadSource``. The run is a stream whose memory is bounded by what is in flight, never
by how many files there are:

- each page is planned in slices, in a worker thread: the slice's journal entries looked up,
  each order's folder made or read once (``read_order_folder``: by descriptor, never through
  a link; stale temporary files removed), then ``plan_sync`` (pure) decides each file;
- kept files go straight into the run's log; files to fetch wait as plain values
  (``WaitingFile``), the page's items let go, and go an order's folder at a time through a
  bounded queue to the downloads (``stream_downloads``), a folder's jobs built only when the
  downloads take it;
- each order's folder is made durable once its files are done, and only then are they
  journalled (several folders per thread hop, one journal commit for them).

A run cancelled or killed midway leaves only the partials of files that can be resumed
(``_partials.py``: the next run asks for their rest), and the next run completes the rest.

Nothing outside ``dest`` is written, read as a result or deleted: an order id or a report id
that is not a canonical UUID is that item's ``InvalidResponseError``; an order's folder is used
only when it is a real folder inside ``dest``; the journal trusts only its own key's file in
its own order's folder; the journal and the lock are regular files, opened without following
links. Within an order's folder every final name belongs to one item (``NameClaims``), and a
name the journal gives to a file still there belongs to that file's item.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import operator
import os
import threading
import time
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Sequence
from pathlib import Path

import anyio
import anyio.lowlevel
import attrs
from anyio.streams.memory import MemoryObjectSendStream

from galatea_async._download._batch import (
    DownloadGroup,
    DownloadOutcome,
    FileProgress,
    request_key,
    stream_downloads,
)
from galatea_async._download._claims import NameClaims
from galatea_async._download._journal import (
    Journal,
    JournalEntry,
    OutcomeRow,
    RunLog,
    is_trusted_line,
    open_regular,
)
from galatea_async._download._order_folders import FolderState, read_order_folder
from galatea_async._download._source import DownloadSource
from galatea_async._download._sync_outcomes import SyncReport
from galatea_async._download._sync_plan import (
    SyncItem,
    SyncPlan,
    WaitingFile,
    fetch_of,
    order_slices,
    plan_sync,
    waiting_file,
)
from galatea_async._download._threads import run_blocking
from galatea_async._progress import Progress, call_progress
from galatea_async.errors import GalateaError

__all__ = ["PLAN_SLICE", "LockedFolder", "SyncReport"]

# Files planned in one thread hop, and announced between two checkpoints of the loop.
PLAN_SLICE = 256
# Order folders waiting for the downloads, as plain values: enough that the downloads never
# wait for planning (a slice is planned in a few ms).
_FOLDERS_AHEAD = 16


@attrs.frozen
class LockedFolder:
    """A sync's folder while this run alone holds its lock: its journal (used from one worker
    thread at a time), and when the run began (``SyncReport.seconds`` counts the listing done
    under the lock too)."""

    folder: Path
    journal: Journal
    started: float
    journal_lock: threading.Lock = attrs.field(factory=threading.Lock)

    async def sync(
        self,
        pages: AsyncIterable[Sequence[SyncItem]],
        source: DownloadSource,
        *,
        concurrency: int,
        verify: bool,
        progress: Progress | None = None,
        file_progress: FileProgress | None = None,
        file_done: Callable[[DownloadOutcome], object] | None = None,
    ) -> SyncReport:
        """The folder brought up to date with the files of ``pages``, fetched from ``source``.

        As each page is planned, ``file_progress`` hears of its files: ``(size, size)`` for one
        kept as it is, ``(0, None)`` for one to fetch; ``progress``'s total grows as pages
        arrive. ``file_done`` hears of each fetched file's outcome once it is journalled
        (durable) or has failed.
        """
        run = await run_blocking(self.journal.start_run)
        planner = _Planner(self, source, run, verify, file_progress)
        recorder = _Recorder(self, run, file_done)
        send, receive = anyio.create_memory_object_stream[_WaitingFolder](_FOLDERS_AHEAD)
        failure: list[BaseException] = []
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(planner.plan, pages, send)
                try:
                    await stream_downloads(
                        planner.groups(receive),
                        concurrency=concurrency,
                        progress=progress,
                        file_progress=file_progress,
                        on_durable=recorder.durable,
                        on_outcome=recorder.outcome,
                    )
                except Exception as exc:
                    failure.append(exc)
                    group.cancel_scope.cancel()
            if failure or planner.failure:
                raise (failure or planner.failure)[0]
            failed = planner.failed + recorder.failed
            return await run_blocking(self._report, run, failed)
        finally:
            with anyio.CancelScope(shield=True):
                await run_blocking(self._close)

    def _report(self, run: RunLog, failed: list[DownloadOutcome]) -> SyncReport:
        with self.journal_lock:
            return run.report(failed, time.monotonic() - self.started)

    def _close(self) -> None:
        with self.journal_lock:
            self.journal.close()


# A fetched order's folder as plain values: whether an earlier run left a partial there, and
# the names the journal gives to files still there (name, key). Kept apart from the files: a
# collection may look at an outer tuple before the inner ones it waits for to be untracked.
_FolderNames = tuple[bool, tuple[tuple[str, str], ...]]
# An order's files to fetch while they wait for the downloads: its id, its folder's names and
# its files, plain values the collector stops tracking (jobs waiting that long would outlive
# young collections and cost every full collection after).
_WaitingFolder = tuple[str, _FolderNames, tuple[WaitingFile, ...]]


@attrs.frozen
class _PlannedSlice:
    """A slice planned: the plan (for the report and ``file_progress``), its fetched files
    as plain values (an order's together), and what each of their folders holds."""

    plan: SyncPlan
    waiting: list[WaitingFile]
    folders: dict[str, _FolderNames]


class _Planner:
    """Pages of wanted files turned into download groups, slice by slice off the loop."""

    def __init__(
        self,
        locked: LockedFolder,
        source: DownloadSource,
        run: RunLog,
        verify: bool,
        file_progress: FileProgress | None,
    ) -> None:
        self._locked = locked
        self._source = source
        self._run = run
        self._verify = verify
        self._file_progress = file_progress
        self.failed: list[DownloadOutcome] = []
        self.failure: list[Exception] = []

    async def plan(
        self,
        pages: AsyncIterable[Sequence[SyncItem]],
        send: MemoryObjectSendStream[_WaitingFolder],
    ) -> None:
        """Every page planned and its fetched files sent, an order's folder at a time; an
        error from the listing is kept for the run to raise once what was sent is done."""
        async with send:
            try:
                async for page in pages:
                    waiting, folders = await self._planned(page)
                    # The page's items die young; only plain values wait for the downloads.
                    del page
                    for order_id, files in itertools.groupby(waiting, operator.itemgetter(0)):
                        await send.send((order_id, folders[order_id], tuple(files)))
            except Exception as exc:
                self.failure.append(exc)

    async def groups(self, folders: AsyncIterable[_WaitingFolder]) -> AsyncIterator[DownloadGroup]:
        """The waiting folders as download groups, each built when the downloads take it."""
        async for order_id, names, files in folders:
            yield self._group(order_id, names, files)

    async def _planned(
        self, page: Sequence[SyncItem]
    ) -> tuple[list[WaitingFile], dict[str, _FolderNames]]:
        """A page planned slice by slice, each slice announced; its files to fetch (an
        order's together) and what their folders hold."""
        waiting: list[WaitingFile] = []
        folders: dict[str, _FolderNames] = {}
        for piece in order_slices(page, PLAN_SLICE):
            planned = await run_blocking(self._plan_slice, piece)
            await self._announce(planned.plan)
            waiting += planned.waiting
            folders.update(planned.folders)
        return waiting, folders

    def _plan_slice(self, items: Sequence[SyncItem]) -> _PlannedSlice:
        """One slice planned (blocking): its journal entries, its orders' folders, the plan,
        and the kept files logged."""
        locked = self._locked
        with locked.journal_lock:
            entries = locked.journal.lookup([item.key for item in items if item.refusal is None])
        now = time.time()
        orders = dict.fromkeys(i.order_id for i in items if i.refusal is None)
        folders = {order: read_order_folder(locked.folder, order, now) for order in orders}
        hashes = _hashes(locked.folder, entries, folders) if self._verify else None
        plan = plan_sync(items, entries, folders, hashes)
        kept = [_kept_row(item, entry) for item, entry in plan.kept]
        by_order: dict[str, list[WaitingFile]] = {}
        for item, existing in plan.fetched:
            by_order.setdefault(item.order_id, []).append(waiting_file(item, existing))
        with locked.journal_lock:
            self._run.journalled(kept)
            names = {
                order: (
                    folders[order].partials,
                    _journalled_names(locked.journal, order, folders[order].files),
                )
                for order in by_order
            }
        waiting = [file for files in by_order.values() for file in files]
        return _PlannedSlice(plan=plan, waiting=waiting, folders=names)

    async def _announce(self, plan: SyncPlan) -> None:
        """Refused files into the report; ``file_progress`` told of the others: kept ones as
        complete, the others as not started, so a display can count both."""
        self.failed += [DownloadOutcome(request=i.request, error=e) for i, e in plan.failed]
        if self._file_progress is None:
            return
        told: list[tuple[SyncItem, int, int | None]] = [
            (item, entry.size, entry.size) for item, entry in plan.kept
        ]
        told += [(item, 0, None) for item, _existing in plan.fetched]
        for count, (item, done, total) in enumerate(told, start=1):
            await call_progress(functools.partial(self._file_progress, item.request), done, total)
            if count % PLAN_SLICE == 0:
                await anyio.lowlevel.checkpoint()  # an order larger than a slice, too

    def _group(
        self, order_id: str, folder: _FolderNames, files: Iterable[WaitingFile]
    ) -> DownloadGroup:
        """An order's waiting files as one download group."""
        partials, reserved = folder
        root = self._locked.folder
        directory = root / order_id
        jobs = []
        for file in files:
            request, listed, existing = fetch_of(file)
            job = self._source.mirrored(request, root, existing, listed)
            jobs.append((request, attrs.evolve(job, partial_possible=partials)))
        names = NameClaims([directory] * len(jobs))
        for name, key in reserved:
            names.reserve(directory / name, key)
        return DownloadGroup(jobs, names)


class _Recorder:
    """What hears of durable outcomes: the journal and the run's log (in a worker thread),
    then ``file_done`` and the failures (on the loop)."""

    def __init__(
        self,
        locked: LockedFolder,
        run: RunLog,
        file_done: Callable[[DownloadOutcome], object] | None,
    ) -> None:
        self._locked = locked
        self._run = run
        self._file_done = file_done
        self.failed: list[DownloadOutcome] = []

    def durable(self, done: list[tuple[Path, list[DownloadOutcome]]]) -> None:
        """Journal the durable files of the directories one hop synced, in one commit
        (blocking)."""
        folder, journal = self._locked.folder, self._locked.journal
        with self._locked.journal_lock:
            for _directory, outcomes in done:
                for outcome in outcomes:
                    path, size, md5 = outcome.path, outcome.size, outcome.md5
                    if not (outcome.ok and path and size is not None and md5):
                        continue
                    key = request_key(outcome.request)
                    relative = f"{outcome.request.order_id}/{path.name}"
                    # Written only as loading would trust it (a claim always puts it there).
                    if folder / relative == path and is_trusted_line(key, relative):
                        journal.record(key, relative, size, md5)
                self._run.downloaded(o for o in outcomes if o.ok and not o.skipped)
                self._run.kept(o for o in outcomes if o.ok and o.skipped)
            journal.commit()

    def outcome(self, _index: int, outcome: DownloadOutcome) -> None:
        """One fetched file's outcome, once durable or failed."""
        if not outcome.ok:
            self.failed.append(outcome)
        if self._file_done is not None:
            self._file_done(outcome)


def _hashes(
    folder: Path, entries: dict[str, JournalEntry], folders: dict[str, FolderState]
) -> dict[str, str | None]:
    """The md5 now of each journalled file still at its journalled size (for ``verify``)."""
    hashes: dict[str, str | None] = {}
    for key, entry in entries.items():
        order, _, name = entry.path.partition("/")  # the journal trusts only <order_id>/<name>
        state = folders.get(order)
        if state is not None and state.files.get(name) == entry.size:
            hashes[key] = _regular_md5(folder / entry.path)
    return hashes


def _kept_row(item: SyncItem, entry: JournalEntry) -> OutcomeRow:
    """A kept file's outcome row, from its trusted journal entry (no path parsed again)."""
    # The member's stored ``_value_``, not the ``value`` property: two Python calls a file.
    value = item.result_type._value_
    return (item.order_id, value, item.pdf_request_id, entry.path, entry.size, entry.md5)


def _journalled_names(
    journal: Journal, order: str, names: dict[str, int]
) -> tuple[tuple[str, str], ...]:
    """The names of an order's folder that the journal gives to an item, each with its
    owner's key."""
    owners = ((name, journal.owner_of(f"{order}/{name}")) for name in names)
    return tuple((name, owner) for name, owner in owners if owner is not None)


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
