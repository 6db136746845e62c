"""The benchmarks' loop ticker reports the timed block alone: a client that runs a preparatory
block first (the rerun's first sync) does not have its ticks counted in the timed one's."""

from __future__ import annotations

import asyncio
import gc

from benchmarks.clients import _loop_lag


async def test_a_ticking_block_starts_a_fresh_record_of_lateness() -> None:
    async with _loop_lag.ticking():
        while not _loop_lag.lateness:
            await asyncio.sleep(0)  # until the ticker has recorded a tick of this block

    async with _loop_lag.ticking():
        assert _loop_lag.lateness == []  # no tick of the timed block has run yet


async def test_a_ticking_block_times_the_full_collections_made_in_it() -> None:
    gc.collect()  # before the block: not counted

    async with _loop_lag.ticking():
        gc.collect(1)  # a young collection: not a full one
        gc.collect()
        while not _loop_lag.lateness:
            await asyncio.sleep(0)

    assert len(_loop_lag.full_collections) == 1
    assert _loop_lag.full_collections[0] > 0
    assert _loop_lag.summary()["full_collections"] == 1
    assert not any(getattr(c, "__module__", "") == _loop_lag.__name__ for c in gc.callbacks)
