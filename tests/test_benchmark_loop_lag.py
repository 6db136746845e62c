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
        assert len(_loop_lag.lateness) == 0  # no tick of the timed block has run yet


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


def test_the_record_of_lateness_gives_the_same_p99_and_worst_as_the_sorted_ticks() -> None:
    ticks = [n * 0.000_37 % 0.02 for n in range(5_000)] + [0.15, 0.4, 0.031]
    record = _loop_lag.Lateness()
    for seconds in ticks:
        record.add(seconds)
    ordered = sorted(ticks)
    assert len(record) == len(ticks)
    assert record.worst() == 0.4
    p99 = ordered[int(len(ordered) * 0.99)]
    assert p99 <= record.quantile(0.99) <= p99 + _loop_lag.Lateness.STEP
    assert record.quantile(0.9998) == 0.15  # the second of the two ticks over 100 ms
