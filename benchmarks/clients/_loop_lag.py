"""A 1 ms ticker on the client's own event loop: how late each tick wakes is how long the loop
was kept from running anything else (a blocking call, a long step, a garbage collection)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

TICK = 0.001

# Filled by `ticking()`; `python -m benchmarks.clients` reads it after the timed section.
lateness: list[float] = []


@contextlib.asynccontextmanager
async def ticking() -> AsyncIterator[None]:
    """Run the ticker for the duration of the block, recording each tick's lateness."""

    async def tick() -> None:
        while True:
            planned = time.perf_counter() + TICK
            await asyncio.sleep(TICK)
            lateness.append(max(0.0, time.perf_counter() - planned))

    task = asyncio.create_task(tick())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def summary() -> dict[str, float]:
    """Return p99 and max lateness in milliseconds (empty when no tick ran)."""
    if not lateness:
        return {}
    ordered = sorted(lateness)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return {"loop_lag_p99_ms": p99 * 1000, "loop_lag_max_ms": ordered[-1] * 1000}
