"""The benchmarks' loop ticker reports the timed block alone: a client that runs a preparatory
block first (the rerun's first sync) does not have its ticks counted in the timed one's."""

from __future__ import annotations

import asyncio

from benchmarks.clients import _loop_lag


async def test_a_ticking_block_starts_a_fresh_record_of_lateness() -> None:
    async with _loop_lag.ticking():
        while not _loop_lag.lateness:
            await asyncio.sleep(0)  # until the ticker has recorded a tick of this block

    async with _loop_lag.ticking():
        assert _loop_lag.lateness == []  # no tick of the timed block has run yet
