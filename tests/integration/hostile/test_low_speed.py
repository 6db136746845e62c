"""A download body dripped a few bytes at a time.

The call's deadline covers only a download's headers (a 4 GiB file may take long), so a body at
a few hundred bytes a second would hold its batch slot for ever. ``TransferOptions(
low_speed_limit=..., low_speed_time=...)`` ends it, as curl's ``--speed-limit/--speed-time``
do: ``APITimeoutError`` naming the rule, after resuming what was received where ranges work.
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
DISPOSITION = {"Content-Disposition": 'attachment; filename="dripped.tsv"'}


def low_speed(**rule: Any) -> TransferOptions:
    return TransferOptions(chunk_size=64 << 10, max_resume_attempts=1, fsync=False, **rule)


def file_bytes(size: int) -> bytes:
    return hashlib.shake_256(b"dripped").digest(size)


async def test_dripping_download_fails_naming_the_rule_after_resuming(
    server: HostileServer, connect: Connect, dest: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # 400 B/s, against a rule of 1000 B/s over 0.3 s; the whole file would take 20 s.
    server.on(
        "GET", DOWNLOAD, drip(file_bytes(8_000), piece=20, interval=0.05, headers=DISPOSITION)
    )
    client = connect(transfer_options=low_speed(low_speed_limit=1000, low_speed_time=0.3))
    with pytest.raises(APITimeoutError, match="slower than 1000 B/s") as caught:
        await client.results.download(new_id(), "SUMMARY_CHROMS", dest)
    assert "low_speed_limit" in str(caught.value)
    requests = server.seen("GET", DOWNLOAD)
    assert len(requests) == 2  # the first try and max_resume_attempts=1
    resumed_from = requests[1].headers.get("range", "")
    assert resumed_from.startswith("bytes=") and int(resumed_from[6:].split("-")[0]) > 0
    assert leftovers(dest) == []
    assert_no_canary(rendered(caught.value), caplog.text)


async def test_low_speed_limit_zero_turns_the_rule_off(
    server: HostileServer, connect: Connect, dest: Path
) -> None:
    data = file_bytes(100)
    server.on("GET", DOWNLOAD, drip(data, piece=10, interval=0.05, headers=DISPOSITION))
    client = connect(transfer_options=low_speed(low_speed_limit=0, low_speed_time=0.1))
    path = await client.results.download(new_id(), "SUMMARY_CHROMS", dest)
    assert path.read_bytes() == data
    assert server.count("GET", DOWNLOAD) == 1


async def test_dripping_file_frees_its_batch_slot(
    server: HostileServer, connect: Connect, dest: Path
) -> None:
    dripping, healthy = new_id(), new_id()
    data = file_bytes(5_000)

    async def by_order(request: Any, reply: Any) -> None:
        if dripping in request.path:
            await drip(file_bytes(8_000), piece=20, interval=0.05, headers=DISPOSITION)(
                request, reply
            )
        else:
            await serve_file(data, filename="healthy.tsv")(request, reply)

    server.on("GET", DOWNLOAD, by_order)
    client = connect(transfer_options=low_speed(low_speed_limit=1000, low_speed_time=0.3))
    outcomes = await client.results.download_many(
        [(dripping, "SUMMARY_CHROMS"), (healthy, "SUMMARY_CHROMS")], dest, concurrency=1
    )
    assert isinstance(outcomes[0].error, APITimeoutError)
    assert outcomes[1].path is not None and outcomes[1].path.read_bytes() == data
    assert leftovers(dest) == ["healthy.tsv"]
