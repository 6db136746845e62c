"""The package's disk threads (``galatea_async/_threads.py``): a forked child gets its own."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import sys

import pytest

from galatea_async._threads import run_blocking


def _child_runs_blocking_work(results: multiprocessing.SimpleQueue[int]) -> None:
    results.put(asyncio.run(run_blocking(os.getpid)))


@pytest.mark.skipif(
    sys.platform == "win32" or "fork" not in multiprocessing.get_all_start_methods(),
    reason="only a platform with fork() has a forked child",
)
def test_forked_child_runs_disk_work_in_threads_of_its_own() -> None:
    # The parent's pool exists before the fork; its threads do not exist in the child.
    assert asyncio.run(run_blocking(os.getpid)) == os.getpid()
    context = multiprocessing.get_context("fork")
    results: multiprocessing.SimpleQueue[int] = context.SimpleQueue()
    child = context.Process(target=_child_runs_blocking_work, args=(results,))
    child.start()
    child.join(timeout=30)
    if child.is_alive():  # it waits forever on threads that were never started in it
        child.kill()
        child.join()
        pytest.fail("the forked child's disk work never ran")
    assert child.exitcode == 0
    assert results.get() == child.pid
