"""``Seat``: a download's place in a batch, its connection slot held until its body is in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio

from galatea_async._download._durability import DurableDirectories
from galatea_async._download._small_files import SmallFileWriter

__all__ = ["Seat"]


class Seat:
    """A download's seat in a batch.

    It holds one token of the batch's connection limiter (parallel parts borrow further free
    tokens from the same limiter) and gives it back as soon as the body is in
    (``body_received``), so the next download starts while this one is synced and linked. What
    waits for the disk is bounded by the batch's workers (twice its concurrency). The batch
    syncs the directories in ``durable_directories``; its small files go through its
    ``writer``, several to a thread hop.
    """

    def __init__(
        self,
        limiter: anyio.CapacityLimiter,
        durable_directories: DurableDirectories,
        claim: Callable[[str], Awaitable[Path]] | None = None,
        writer: SmallFileWriter | None = None,
    ) -> None:
        self.limiter = limiter
        self.durable_directories = durable_directories
        self.writer = writer or SmallFileWriter(durable_directories)
        self._claim = claim
        self._holds_connection = False

    async def claim(self, directory: Path, name: str) -> Path:
        """The final path of this download, named ``name`` in ``directory``: that, or the name
        the batch gives it when another item of the batch has that name."""
        return directory / name if self._claim is None else await self._claim(name)

    async def __aenter__(self) -> Seat:
        try:
            # A free slot is taken without the two checkpoints of the waiting path: the
            # download's request, right after, is where it yields.
            self.limiter.acquire_on_behalf_of_nowait(self)
        except anyio.WouldBlock:
            await self.limiter.acquire_on_behalf_of(self)
        self._holds_connection = True
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.body_received()

    def body_received(self) -> None:
        """The body is in: give the connection slot back (once; later calls do nothing)."""
        if self._holds_connection:
            self._holds_connection = False
            self.limiter.release_on_behalf_of(self)
