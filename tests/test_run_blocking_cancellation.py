"""``run_blocking`` under cancellation: the thread's work is never abandoned half-done.

A cancelled caller waits for its work to end before the cancellation reaches it, on asyncio
(the package's own pool) and on trio (anyio's threads), whether an anyio scope or asyncio's
``Task.cancel`` cancels it, and work asked for inside an already-cancelled scope still runs.
"""

from __future__ import annotations

import asyncio
import threading
from importlib.util import find_spec

import anyio
import anyio.to_thread
import pytest
from anyio import wait_all_tasks_blocked
from anyio.abc import TaskStatus
from anyio.lowlevel import checkpoint

from galatea_async._threads import run_blocking

BACKENDS = [
    "asyncio",
    pytest.param(
        "trio",
        marks=pytest.mark.skipif(find_spec("trio") is None, reason="trio is not installed"),
    ),
]


class BlockedWork:
    """Work that starts, then waits for ``release`` before it records that it finished."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.finished = False

    def __call__(self) -> str:
        self.started.set()
        if not self.release.wait(30):
            raise AssertionError("the test never released the work")
        self.finished = True
        return "done"


@pytest.mark.parametrize("backend", BACKENDS)
def test_cancelled_scope_waits_for_running_work_to_finish(backend: str) -> None:
    work = BlockedWork()
    finished_when_cancel_arrived: list[bool] = []

    async def caller(*, task_status: TaskStatus[anyio.CancelScope]) -> None:
        with anyio.CancelScope() as scope:
            task_status.started(scope)
            try:
                await run_blocking(work)
            finally:
                finished_when_cancel_arrived.append(work.finished)

    async def main() -> None:
        async with anyio.create_task_group() as group:
            scope = await group.start(caller)
            await anyio.to_thread.run_sync(work.started.wait)
            scope.cancel()
            # Every other task is blocked: a caller that gave up on its work has ended by now.
            await wait_all_tasks_blocked()
            work.release.set()

    anyio.run(main, backend=backend)
    assert finished_when_cancel_arrived == [True]


@pytest.mark.parametrize("backend", BACKENDS)
def test_work_asked_for_in_cancelled_scope_still_runs(backend: str) -> None:
    ran: list[str] = []
    seen: list[list[str]] = []

    async def main() -> None:
        with anyio.CancelScope() as scope:
            scope.cancel()
            try:
                await run_blocking(ran.append, "cleanup")
            finally:
                seen.append(list(ran))
        await checkpoint()

    anyio.run(main, backend=backend)
    assert seen == [["cleanup"]]


def test_task_cancel_on_asyncio_waits_for_running_work_then_cancels() -> None:
    work = BlockedWork()
    finished_when_cancel_arrived: list[bool] = []

    async def caller() -> str:
        try:
            return await run_blocking(work)
        finally:
            finished_when_cancel_arrived.append(work.finished)

    async def main() -> None:
        task = asyncio.ensure_future(caller())
        await asyncio.to_thread(work.started.wait)
        task.cancel()
        # Repeated cancellations (as anyio's scopes deliver them) must not cut the wait short.
        for _ in range(3):
            await asyncio.sleep(0)
            task.cancel()
        assert not task.done(), "the caller stopped waiting for its work"
        work.release.set()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert finished_when_cancel_arrived == [True]


@pytest.mark.parametrize("backend", BACKENDS)
def test_work_result_and_error_come_back(backend: str) -> None:
    def fail() -> None:
        raise OSError(28, "No space left on device")

    async def main() -> None:
        assert await run_blocking(divmod, 7, 2) == (3, 1)
        with pytest.raises(OSError, match="No space left"):
            await run_blocking(fail)

    anyio.run(main, backend=backend)
