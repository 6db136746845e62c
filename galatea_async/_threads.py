"""Blocking disk work off the event loop: one helper for the whole package.

The download engine writes files with it and the request path loads TLS trust stores with it;
it sits at the package root so that neither layer depends on the other.

``run_blocking(function, *args)`` runs ``function`` in a worker thread and returns its result.
A cancellation never abandons it: the caller waits for the thread to finish, so what is on
disk is always known (a temporary file is never left half-created behind a cancelled task).

On asyncio the threads are a pool of the package's own (``MAX_DISK_THREADS``), its outcome
handed to the loop with one ``call_soon_threadsafe``; a cancelled caller (by an anyio scope or
by asyncio's ``Task.cancel``) waits for the work in a shielded scope, then is cancelled. No
cancel scope is entered unless a cancellation comes: a third of the CPU of
``anyio.to_thread.run_sync`` per hop, which counts when a batch writes thousands of small files.
Elsewhere (trio) it is ``anyio.to_thread.run_sync`` in a shielded scope, which behaves the same.

``fsync_together(descriptors)``, called from a disk thread, fsyncs several files at once on a
second small pool, so the file system commits them together.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from functools import partial
from typing import Any, TypeVar

import anyio
import anyio.to_thread

__all__ = ["MAX_DISK_THREADS", "MAX_FSYNC_THREADS", "fsync_together", "run_blocking"]

T = TypeVar("T")

# Enough for fsyncs to overlap (they wait on the disk, not the CPU) on a slow file system; each
# thread also costs memory (a stack, a malloc arena): 16 threads cost 3-4 MiB more peak RSS than
# 4 with 32 downloads running, and creating files is CPU-bound kernel work on two cores anyway.
MAX_DISK_THREADS = 8

# Threads that only wait in fsync, for work already in a disk thread: concurrent fsyncs are
# committed together by the file system (one journal commit for many files), one after
# another they each pay for a commit of their own.
MAX_FSYNC_THREADS = 8

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_fsync_pool: ThreadPoolExecutor | None = None


def _forget_pool() -> None:
    # A forked child has none of its parent's threads (and maybe a lock held by one of them).
    global _lock, _pool, _fsync_pool
    _lock, _pool, _fsync_pool = threading.Lock(), None, None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _executor() -> ThreadPoolExecutor:
    global _pool
    pool = _pool  # every hop asks: no lock (nor getpid) once the pool exists
    if pool is None:
        with _lock:
            if _pool is None:
                _pool = ThreadPoolExecutor(MAX_DISK_THREADS, thread_name_prefix="galatea-disk")
            pool = _pool
    return pool


def fsync_together(descriptors: Sequence[int]) -> list[OSError | None]:
    """fsync every descriptor, several at once; for each, the error or None (blocking: call
    it from a disk thread)."""
    if len(descriptors) < 2:
        return [_fsync(fd) for fd in descriptors]
    global _fsync_pool
    pool = _fsync_pool
    if pool is None:
        with _lock:
            if _fsync_pool is None:
                _fsync_pool = ThreadPoolExecutor(
                    MAX_FSYNC_THREADS, thread_name_prefix="galatea-fsync"
                )
            pool = _fsync_pool
    return list(pool.map(_fsync, descriptors))


def _fsync(fd: int) -> OSError | None:
    try:
        os.fsync(fd)
    except OSError as exc:
        return exc
    return None


async def run_blocking(function: Callable[..., T], *args: object) -> T:
    """``function(*args)`` in a worker thread; a cancellation waits for it to end."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # trio (through anyio)
        with anyio.CancelScope(shield=True):
            return await anyio.to_thread.run_sync(function, *args)
    outcome: asyncio.Future[list[T]] = loop.create_future()
    work = _executor().submit(_run_and_report, [function, args, loop, outcome])
    try:
        held = await outcome
        return held.pop()  # the future, alive while this step of the task runs, keeps none
    except asyncio.CancelledError:
        # A cancelled caller still waits for its work to end, so what is on disk is known:
        # shielded from anyio's repeated deliveries, and past asyncio's own Task.cancel.
        with anyio.CancelScope(shield=True):
            await _work_ended(loop, work)
        raise


def _run_and_report(call: list[Any]) -> None:
    """Run the call in the worker thread and hand its outcome to the loop.

    Everything crosses between the threads in lists that the receiving side empties: once
    the loop is told, a worker thread may wait a switch interval or more for the GIL before
    it returns, and the loop runs the woken task's step with the settled future still held;
    whatever either held (the arguments, the result) would live on meanwhile, long enough
    to survive young collections.
    """
    function, args, loop, outcome = call
    call.clear()
    try:
        settled = [outcome, function(*args)]
        setter: Callable[[list[Any]], None] = _set_result
    except BaseException as error:  # handed to the caller, as a direct call would raise it
        settled = [outcome, error]
        setter = _set_exception
    del function, args, outcome
    with suppress(RuntimeError):  # the loop closed while its work ran: nobody to tell
        loop.call_soon_threadsafe(setter, settled)


def _set_result(settled: list[Any]) -> None:
    outcome = settled.pop(0)
    if not outcome.done():  # else the caller was cancelled and waits on the work itself
        outcome.set_result(settled)  # the result alone, for the caller to take out


def _set_exception(settled: list[Any]) -> None:
    outcome, error = settled
    settled.clear()
    if not outcome.done():
        outcome.set_exception(error)


async def _work_ended(loop: asyncio.AbstractEventLoop, work: Future[T]) -> None:
    while not work.done():
        ended: asyncio.Future[list[None]] = loop.create_future()
        work.add_done_callback(partial(_report_end, loop, ended))
        with suppress(asyncio.CancelledError):
            await ended


def _report_end(
    loop: asyncio.AbstractEventLoop, ended: asyncio.Future[list[None]], _: object
) -> None:
    with suppress(RuntimeError):
        loop.call_soon_threadsafe(_set_result, [ended, None])
