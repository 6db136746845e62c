"""A body sent just above the low-speed floor, bounded by ``TransferOptions(max_time=...)``.

At 1,300 B/s against a floor of 1,024 B/s a body never counts as broken, so without a bound on
its total time two such bodies hold both slots of ``download_many(concurrency=2)`` for as long
as the server likes. ``max_time`` bounds one file's whole download, resumes included (curl's
``--max-time``): past it, ``APITimeoutError`` naming the rule, and no file.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from galatea_async import TransferOptions
from galatea_async.errors import APITimeoutError
from tests.integration.hostile.checks import assert_no_canary, leftovers, rendered
from tests.integration.hostile.conftest import Connect
from tests.integration.hostile.scripts import drip, new_id, serve_file
from tests.integration.hostile.server import HostileServer

DOWNLOAD = r"data/results/[^/]+/download"
DISPOSITION = {"Content-Disposition": 'attachment; filename="slow.tsv"'}


def file_bytes(size: int) -> bytes:
    return hashlib.shake_256(b"just above the floor").digest(size)


def just_above_the_floor(size: int = 200_000) -> Any:
    """2,600 B/s: 260 bytes every 0.1 s, above the 1,024 B/s floor even when a piece is late on a
    busy machine (the whole file would take over a minute)."""
    return drip(file_bytes(size), piece=260, interval=0.1, headers=DISPOSITION)


def bounded(max_time: float | None) -> TransferOptions:
    # The floor of 1,024 B/s is judged every 0.3 s, so it is really applied in the test.
    return TransferOptions(
        chunk_size=64 << 10,
        max_resume_attempts=1,
        fsync=False,
        low_speed_limit=1024,
        low_speed_time=0.3,
        max_time=max_time,
    )


def test_max_time_defaults_to_none_and_refuses_non_positive_values() -> None:
    assert TransferOptions().max_time is None
    for wrong in (0, -1, float("nan"), "10", True):
        with pytest.raises(ValueError, match="max_time"):
            TransferOptions(max_time=wrong)  # type: ignore[arg-type]


async def test_body_just_above_the_floor_fails_past_max_time_naming_the_rule(
    server: HostileServer, connect: Connect, dest: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server.on("GET", DOWNLOAD, just_above_the_floor())
    client = connect(transfer_options=bounded(0.5))
    with pytest.raises(APITimeoutError, match="max_time") as caught:
        await client.results.download(new_id(), "SUMMARY_CHROMS", dest)
    assert "0.5 s" in str(caught.value)
    assert server.count("GET", DOWNLOAD) == 1  # never broken: no resume was needed
    assert leftovers(dest) == []
    assert leftovers(dest.parent) == ["out"]
    assert_no_canary(rendered(caught.value), caplog.text)


async def test_slow_bodies_give_their_batch_slots_back_past_max_time(
    server: HostileServer, connect: Connect, dest: Path
) -> None:
    slow = [new_id(), new_id()]
    small = [new_id() for _ in range(3)]
    data = file_bytes(5_000)

    async def by_order(request: Any, reply: Any) -> None:
        if any(order_id in request.path for order_id in slow):
            await just_above_the_floor()(request, reply)
        else:
            await serve_file(data, filename=f"{request.path.split('/')[-2]}.tsv")(request, reply)

    server.on("GET", DOWNLOAD, by_order)
    client = connect(transfer_options=bounded(0.5))
    outcomes = await client.results.download_many(
        [(order_id, "SUMMARY_CHROMS") for order_id in slow + small], dest, concurrency=2
    )
    assert [type(outcome.error) for outcome in outcomes[:2]] == [APITimeoutError] * 2
    for outcome in outcomes[2:]:
        assert outcome.path is not None and outcome.path.read_bytes() == data
    assert leftovers(dest) == sorted(f"{order_id}.tsv" for order_id in small)
    assert server.count("GET", DOWNLOAD) == 5
