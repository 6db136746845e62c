"""Directories of a batch made durable together, then their outcomes handed on.

A directory's new names are durable only once it is synced; its outcomes are handed on only
then (``on_durable`` in the same worker thread, once for every directory of the hop, e.g. a
sync's journal, which then commits once; ``on_outcome`` on the loop). Directories that end
while one sync runs wait for the next, which takes them all in one thread hop: a batch of small
files in many folders pays a hop per several folders.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import attrs

from galatea_async._download import _durability
from galatea_async._download._durability import DurableDirectories
from galatea_async._download._threads import run_blocking

if TYPE_CHECKING:
    from galatea_async._download._batch import DownloadOutcome

__all__ = ["DoneDirectory", "DurableCallback", "DurableQueue", "OutcomeCallback"]

DurableCallback = Callable[["list[tuple[Path, list[DownloadOutcome]]]"], None]
"""``on_durable([(directory, outcomes), ...])``: blocking, run in a worker thread once those
directories are synced (all that one hop made durable), each with the outcomes of its items
(failed ones too), in batch order."""
OutcomeCallback = Callable[[int, "DownloadOutcome"], None]
"""``on_outcome(index in its group, outcome)``, on the event loop, after ``on_durable``."""


@attrs.frozen
class DoneDirectory:
    """A directory whose items of a group all ended, with their outcomes (index in group)."""

    directory: Path
    outcomes: list[tuple[int, DownloadOutcome]]


class DurableQueue:
    """Directories whose items all ended, made durable together: one thread hop syncs every
    directory waiting and runs ``on_durable`` for each, then ``on_outcome`` hears of their
    outcomes on the loop. While one hop runs, the next directories gather for the next."""

    def __init__(
        self,
        durability: DurableDirectories,
        on_durable: DurableCallback | None,
        on_outcome: OutcomeCallback | None,
    ) -> None:
        self._durability = durability
        self._on_durable = on_durable
        self._on_outcome = on_outcome
        self._waiting: list[DoneDirectory] = []
        self._arrived = anyio.Event()
        self._closed = False

    def put(self, done: DoneDirectory) -> None:
        self._waiting.append(done)
        self._arrived.set()

    def close(self) -> None:
        """No more directories: ``run`` ends once the waiting ones are durable."""
        self._closed = True
        self._arrived.set()

    async def run(self) -> None:
        """Make directories durable as they arrive, until closed and drained."""
        try:
            while not (self._closed and not self._waiting):
                await self._arrived.wait()
                self._arrived = anyio.Event()
                await self.drain()
        finally:
            await self.drain()  # what ended before a cancellation is recorded too

    async def drain(self) -> None:
        """The waiting directories made durable and handed on (shielded: never half done)."""
        with anyio.CancelScope(shield=True):
            while self._waiting:
                chosen, self._waiting = self._waiting, []
                synced = self._durability.take([done.directory for done in chosen])
                await run_blocking(self._make_durable, chosen, synced)
                if self._on_outcome is not None:
                    for done in chosen:
                        for index, outcome in done.outcomes:
                            self._on_outcome(index, outcome)

    def _make_durable(self, chosen: list[DoneDirectory], synced: set[Path]) -> None:
        for done in chosen:
            if done.directory in synced:
                _durability.fsync_directory(done.directory)
        if self._on_durable is not None:
            self._on_durable(
                [(done.directory, [outcome for _, outcome in done.outcomes]) for done in chosen]
            )
