"""Small files, held whole in memory, written durably several at a time in one thread hop.

A download whose body fits in memory hands it to the batch's ``SmallFileWriter`` and waits.
The first download to arrive while a hop is free lets the other bodies completed in the same
turn of the event loop arrive, then takes every body waiting into one worker thread
(``write_small_files``): each is checked (size, md5), created as a private temporary file,
written, fsynced and closed, then given its final name; the directories are fsynced in the
same hop unless the batch syncs them itself (``DurableDirectories``). Only then are the
hop's downloads told how their files went, all by one event. Bodies that arrive during a hop
wait for the next one, which the first of them runs.

One file's failure (a check, a name already taken, a full disk) fails that file alone, and its
temporary file is removed; the others of the hop are unaffected. A download cancelled while its
body still waits is taken out of the queue; once its hop has started it waits for the hop to
end (a file is never left half-written), then the cancellation goes on.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel
import attrs

from galatea_async._download import _durability
from galatea_async._download._durability import DurableDirectories
from galatea_async._download._files import OPEN_FLAGS, place, temporary_name, write_pieces
from galatea_async._download._target import Existing
from galatea_async._download._threads import fsync_together, run_blocking

__all__ = ["MAX_FILES_PER_HOP", "MAX_HOPS", "SmallFile", "SmallFileWriter", "write_small_files"]

# Hops of one writer at a time: one creates files while another waits for its fsyncs.
MAX_HOPS = 2
# A hop holds its files open until their fsyncs are done: a batch of any concurrency stays
# far below the process's limit on open files.
MAX_FILES_PER_HOP = 64


@attrs.frozen
class SmallFile:
    """One file held in memory, and how it is to be written.

    ``check(digest)`` runs before anything touches the disk (``digest`` is an md5 object of
    the bytes, or ``None`` unless ``want_md5``); raising there fails the file and writes
    nothing.
    """

    target: Path
    pieces: Sequence[bytes] = attrs.field(repr=False)
    existing: Existing
    fsync: bool
    want_md5: bool = False
    check: Callable[[Any], None] | None = None


Written = str | None | Exception
"""What became of one file of a hop: its md5 (``None`` unless asked), or why it failed."""


def write_small_files(
    files: Sequence[SmallFile], sync_directories: bool
) -> tuple[list[Written], set[Path]]:
    """Write ``files`` whole or not at all: one outcome per file, in order, and the directories
    where an fsynced file got its name (blocking: call it in a worker thread). Their fsyncs
    run together; with ``sync_directories`` those directories are synced before it returns."""
    outcomes: list[Written] = []
    opened: dict[int, tuple[int, str]] = {}  # index: descriptor, temporary name
    try:
        for index, file in enumerate(files):
            try:
                md5 = _checked_md5(file)
                opened[index] = _written_temporary(file)
            except Exception as exc:  # this file's failure, kept as its outcome
                outcomes.append(exc)
            else:
                outcomes.append(md5)
        _fsync_and_close(files, opened, outcomes)
        directories = _placed(files, opened, outcomes)
    except BaseException:
        for _, temporary in opened.values():
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        raise
    if sync_directories:
        for directory in sorted(directories):
            _durability.fsync_directory(directory)
    return outcomes, directories


def _fsync_and_close(
    files: Sequence[SmallFile], opened: dict[int, tuple[int, str]], outcomes: list[Written]
) -> None:
    syncing = [index for index in opened if files[index].fsync]
    try:
        errors = fsync_together([opened[index][0] for index in syncing])
        for index, error in zip(syncing, errors, strict=True):
            if error is not None:
                outcomes[index] = error
    finally:
        for fd, _ in opened.values():
            os.close(fd)


def _placed(
    files: Sequence[SmallFile], opened: dict[int, tuple[int, str]], outcomes: list[Written]
) -> set[Path]:
    """Give each written file its name (or remove its temporary file); the directories that
    gained a durable name."""
    directories: set[Path] = set()
    for index in list(opened):
        file, temporary = files[index], opened[index][1]
        if not isinstance(outcomes[index], Exception):
            try:
                place(temporary, file.target, file.existing)
            except Exception as exc:
                outcomes[index] = exc
            else:
                del opened[index]
                if file.fsync:
                    directories.add(file.target.parent)
                continue
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        del opened[index]
    return directories


def _checked_md5(file: SmallFile) -> str | None:
    digest = None
    if file.want_md5:
        digest = hashlib.md5(usedforsecurity=False)
        for piece in file.pieces:
            digest.update(piece)
    if file.check is not None:
        file.check(digest)
    return None if digest is None else digest.hexdigest()


def _written_temporary(file: SmallFile) -> tuple[int, str]:
    """A new private temporary file beside the target holding the bytes: its open descriptor
    and its name."""
    # Plain strings and os calls: this runs once per small file, thousands of times a batch.
    directory, name = os.path.split(os.fspath(file.target))
    temporary = os.path.join(directory, temporary_name(name))
    fd = os.open(temporary, OPEN_FLAGS, 0o600)
    try:
        write_pieces(fd, 0, file.pieces)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return fd, temporary


class _Waiting:
    """One file in the writer's queue, and what became of it."""

    __slots__ = ("file", "outcome")

    def __init__(self, file: SmallFile) -> None:
        self.file = file
        self.outcome: Written | BaseException | _Pending = _PENDING


class _Pending:
    """No outcome yet."""


_PENDING = _Pending()


class _Hop:
    """The files of one thread hop: its first file's download runs it (once the hop has its
    ``turn``); the others wait on ``done()``, one event set once for all of them."""

    __slots__ = ("_done", "files", "has_turn", "started", "turn")

    def __init__(self, leader: _Waiting) -> None:
        self.files = [leader]
        self._done: anyio.Event | None = None  # made only when a file waits on it
        self.turn: anyio.Event | None = None  # made only for a hop that waits for a free one
        self.has_turn = False
        self.started = False  # its files are taken: none joins or leaves it any more

    @property
    def leader(self) -> _Waiting:
        return self.files[0]

    def done(self) -> anyio.Event:
        """The event the hop's other files wait on."""
        if self._done is None:
            self._done = anyio.Event()
        return self._done

    def tell(self) -> None:
        """Wake the files waiting on ``done()``: the hop ended, or its first file left."""
        if self._done is not None:
            told, self._done = self._done, None
            told.set()


class SmallFileWriter:
    """Writes small files for the downloads of one batch (or one download), up to
    ``files_per_hop`` per hop, at most ``hops`` hops at a time.

    ``directories`` is the batch's: the writer adds the directories it wrote into, and the
    batch syncs each once. Without it every hop syncs its own directories before anyone is
    told.
    """

    def __init__(
        self,
        directories: DurableDirectories | None = None,
        *,
        hops: int = MAX_HOPS,
        files_per_hop: int = MAX_FILES_PER_HOP,
    ) -> None:
        self._directories = directories
        self._files_per_hop = files_per_hop
        # Hops that may start now: not running, and not handed to a waiting hop.
        self._free_hops = hops
        self._waiting: collections.deque[_Hop] = collections.deque()  # for a free hop
        # The hop new files join: gathering the bodies of this turn, or waiting for its turn.
        self._open: _Hop | None = None

    async def write(self, file: SmallFile) -> str | None:
        """Write ``file`` durably (with the batch's directory sync: see the class); its md5 if
        asked. Raises what failed this file."""
        waiting = _Waiting(file)
        hop = self._join(waiting)
        try:
            while waiting.outcome is _PENDING:
                if hop.leader is not waiting:
                    await hop.done().wait()
                elif hop.has_turn:
                    await self._run_hop(hop)
                else:
                    assert hop.turn is not None  # every hop without a turn waits on it
                    await hop.turn.wait()
        except BaseException:
            await self._leave(hop, waiting)
            raise
        outcome = waiting.outcome
        if isinstance(outcome, BaseException):
            raise outcome
        assert not isinstance(outcome, _Pending)
        return outcome

    def _join(self, waiting: _Waiting) -> _Hop:
        """The hop ``waiting`` is written in: the open one, or a new one it leads."""
        hop = self._open
        if hop is not None and len(hop.files) < self._files_per_hop:
            hop.files.append(waiting)
            return hop
        self._open = hop = _Hop(waiting)
        if self._free_hops:
            self._free_hops -= 1
            hop.has_turn = True
        else:
            hop.turn = anyio.Event()
            self._waiting.append(hop)
        return hop

    async def _leave(self, hop: _Hop, waiting: _Waiting) -> None:
        """``waiting``'s download was cancelled (or failed) before its outcome."""
        if waiting.outcome is not _PENDING:
            return
        if hop.started:  # in a hop: a file is never left half-written
            with anyio.CancelScope(shield=True):
                while waiting.outcome is _PENDING:
                    await hop.done().wait()
            return
        leader = hop.leader is waiting
        hop.files.remove(waiting)  # nothing of it was written
        if not leader:
            return
        if hop.files:  # the next file leads: wake the files of the hop to find it
            hop.tell()
            return
        if self._open is hop:
            self._open = None
        if hop.has_turn:
            self._hand_over()
        else:
            self._waiting.remove(hop)

    async def _run_hop(self, hop: _Hop) -> None:
        # Bodies completed in the same turn of the event loop join this hop.
        await anyio.lowlevel.checkpoint()
        hop.started = True
        if self._open is hop:
            self._open = None
        taken = hop.files
        sync_here = self._directories is None
        outcomes: list[Any]
        try:
            outcomes, named_in = await run_blocking(
                write_small_files, [waiting.file for waiting in taken], sync_here
            )
        except BaseException as exc:  # the hop itself failed: every file of it did
            outcomes, named_in = [exc] * len(taken), set()
        for waiting, outcome in zip(taken, outcomes, strict=True):
            waiting.outcome = outcome
        if self._directories is not None:
            for directory in named_in:
                self._directories.add(directory)
        hop.tell()
        self._hand_over()

    def _hand_over(self) -> None:
        """A hop ended (or was given up): the next waiting hop runs; none waits: the hop is
        free."""
        if self._waiting:
            hop = self._waiting.popleft()
            hop.has_turn = True
            assert hop.turn is not None
            hop.turn.set()
            return
        self._free_hops += 1
