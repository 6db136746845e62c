"""The tasks that fetch a listing's pages beside the code iterating over it.

Why not a task group: the pages must keep coming while the caller runs its loop body between
two items, and an async generator cannot hold a task group open across a ``yield`` (the
caller's code would run inside the walk's cancel scope). A task group the client enters in
``__aenter__`` cannot hold them either: a client is often entered in one task and closed in
another (a test fixture's setup and teardown, an application's start and stop hooks), and a
cancel scope must be left by the task that entered it. So each walk's fetching runs in one
task of the event loop (an asyncio task; a trio system task), inside its own cancel scope,
and is owned by the structures that end it: the walk's generator cancels it and waits for it
when it is closed, abandoned or cancelled, and the client cancels and waits for every walk
still running when it is closed, after which it starts no more.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable

import anyio
import sniffio

__all__ = ["WalkTask", "WalkTasks"]


class WalkTask:
    """One walk's fetching, running until it returns or is cancelled."""

    def __init__(
        self, run: Callable[[], Awaitable[None]], ended: Callable[[WalkTask], None]
    ) -> None:
        self._scope = anyio.CancelScope()
        self.done = anyio.Event()
        self._run = run
        self._ended = ended
        self._asyncio_task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if sniffio.current_async_library() == "trio":
            import trio  # only under trio

            # A system task starts in an empty context: give it the caller's (tracing).
            trio.lowlevel.spawn_system_task(self._guarded, context=contextvars.copy_context())
        else:
            # The loop keeps only a weak reference to its tasks: this one is kept here.
            self._asyncio_task = asyncio.get_running_loop().create_task(self._guarded())

    async def _guarded(self) -> None:
        try:
            with self._scope:
                await self._run()
        finally:
            self._ended(self)
            self.done.set()

    def cancel(self) -> None:
        self._scope.cancel()

    async def stop(self) -> None:
        """Cancel the fetching and wait until it has ended (even if the caller is cancelled)."""
        self._scope.cancel()
        with anyio.CancelScope(shield=True):
            await self.done.wait()


class WalkTasks:
    """A client's running walks: each ended when the client closes; none started after."""

    def __init__(self) -> None:
        self._running: set[WalkTask] = set()
        self.closed = False

    def start(self, run: Callable[[], Awaitable[None]]) -> WalkTask:
        """Start ``run`` beside the caller; ``RuntimeError`` once the client is closed."""
        if self.closed:
            raise RuntimeError(
                "this AsyncGalatea client is closed, so it cannot list anything: list inside "
                "`async with AsyncGalatea(...) as client:` (or before `await client.aclose()`)"
            )
        task = WalkTask(run, self._running.discard)
        self._running.add(task)
        task.start()
        return task

    @property
    def running(self) -> int:
        """How many walks are fetching now."""
        return len(self._running)

    async def close(self) -> None:
        """Cancel every walk still fetching, wait for each to end, and start no more."""
        self.closed = True
        while self._running:
            await self._running.pop().stop()
