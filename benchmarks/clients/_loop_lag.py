"""A 1 ms ticker on the client's own event loop: how late each tick wakes is how long the loop
was kept from running anything else (a blocking call, a long step, a garbage collection).

Beside it, how long each full collection (the collector's oldest generation) took: a stall as
long as one of them is the collector walking the process's objects, not the client's code."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from array import array
from collections.abc import AsyncIterator, Awaitable
from typing import TypeVar

TICK = 0.001

T = TypeVar("T")


class Lateness:
    """How late each tick was, in a bounded record: counts in steps of 10 us up to 100 ms (the
    p99 needs no more), each later tick as it is. A list of every tick would grow by 32 bytes
    a millisecond, 6 MiB over a 200-second run: memory charged to the client it measures."""

    STEP = 0.00001
    BINS = 10_000

    def __init__(self) -> None:
        self.counts = array("Q", [0]) * self.BINS
        self.later: list[float] = []

    def __len__(self) -> int:
        """How many ticks were recorded."""
        return sum(self.counts) + len(self.later)

    def clear(self) -> None:
        self.counts = array("Q", [0]) * self.BINS
        self.later.clear()

    def add(self, seconds: float) -> None:
        step = int(seconds / self.STEP)
        if step < self.BINS:
            self.counts[step] += 1
        else:
            self.later.append(seconds)

    def quantile(self, fraction: float) -> float:
        """The lateness of the tick at ``fraction`` of the sorted record (to 10 us)."""
        ticks = len(self)
        rank = min(ticks - 1, int(ticks * fraction))
        seen = 0
        for step, count in enumerate(self.counts):
            seen += count
            if seen > rank:
                return (step + 1) * self.STEP
        return sorted(self.later)[rank - seen]

    def worst(self) -> float:
        if self.later:
            return max(self.later)
        return self.quantile(1.0)


# Filled by the latest `ticking()` block; `python -m benchmarks.clients` reads it after the
# timed section, which is the client's last block (a rerun's preparatory first sync is not).
lateness = Lateness()
# The seconds each full collection took during the latest `ticking()` block.
full_collections: list[float] = []


@contextlib.asynccontextmanager
async def ticking() -> AsyncIterator[None]:
    """Run the ticker for the duration of the block, recording each tick's lateness (the
    record of an earlier block is dropped).

    A timer callback, not a task sleeping in a loop: the instrument's own CPU (about half of
    a sleeping task's) is charged to the client it measures, so it should cost little.
    """
    loop = asyncio.get_running_loop()
    handle: asyncio.TimerHandle | None = None
    lateness.clear()
    full_collections.clear()
    started: list[float] = []

    def on_collection(phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            started.append(time.perf_counter())
        elif started:
            full_collections.append(time.perf_counter() - started.pop())

    def tick(planned: float) -> None:
        nonlocal handle
        now = loop.time()
        lateness.add(max(0.0, now - planned))
        handle = loop.call_at(now + TICK, tick, now + TICK)

    first = loop.time() + TICK
    handle = loop.call_at(first, tick, first)
    gc.callbacks.append(on_collection)
    try:
        yield
    finally:
        handle.cancel()
        gc.callbacks.remove(on_collection)


async def ticked(work: Awaitable[T]) -> T:
    """``await work`` with the ticker running: every asyncio client carries the same
    instrument (and pays its CPU), so their figures stay comparable."""
    async with ticking():
        return await work


def summary() -> dict[str, float]:
    """Return p99 and max lateness in milliseconds, and the number of full collections and
    the longest one's milliseconds (empty when no tick ran)."""
    if not lateness:
        return {}
    return {
        "loop_lag_p99_ms": lateness.quantile(0.99) * 1000,
        "loop_lag_max_ms": lateness.worst() * 1000,
        "full_collections": len(full_collections),
        "full_collection_max_ms": max(full_collections, default=0.0) * 1000,
    }
