"""The low-speed rule over real TCP, on both transports: a dripping body is broken off and
resumed, and fails naming the rule when it keeps dripping."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from galatea_async._download import TransferOptions, download_file
from galatea_async.errors import APITimeoutError
from tests.transfer_support import FileServer, Resource, job_for, listdir, pattern

SLOW_FLOOR = TransferOptions(
    chunk_size=64 * 1024, fsync=False, low_speed_limit=50_000, low_speed_time=0.2
)


@pytest.mark.parametrize("size", [20_000, 300_000])
async def test_a_dripping_body_is_broken_off_and_resumed(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path, size: int
) -> None:
    resource = Resource(size=size, drips=[10_000])
    url = file_server.add("/file", resource)
    path = (await download_file(job_for(http_client, url, tmp_path, options=SLOW_FLOOR))).path
    assert path.read_bytes() == pattern(0, size)
    second = file_server.gets("/file")[1].headers["range"]
    assert second.startswith("bytes=")
    assert int(second.removeprefix("bytes=").rstrip("-")) >= 10_000  # what came is kept


async def test_a_body_that_keeps_dripping_fails_naming_the_rule(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path
) -> None:
    options = TransferOptions(
        chunk_size=64 * 1024, fsync=False, low_speed_limit=50_000, low_speed_time=0.2,
        max_resume_attempts=1,
    )  # fmt: skip
    url = file_server.add("/file", Resource(size=300_000, drips=[1000, 1000, 1000]))
    with pytest.raises(APITimeoutError, match="low_speed_limit") as caught:
        await download_file(job_for(http_client, url, tmp_path, options=options))
    assert "50000 B/s for 0.2 s" in str(caught.value)
    assert len(file_server.gets("/file")) == 2
    assert listdir(tmp_path) == []


def test_the_speed_floor_can_be_turned_off_but_not_set_to_nonsense() -> None:
    assert TransferOptions(low_speed_limit=0).low_speed_limit == 0
    with pytest.raises(ValueError, match="low_speed_time"):
        TransferOptions(low_speed_time=0)
    with pytest.raises(ValueError, match="low_speed_limit"):
        TransferOptions(low_speed_limit=-1)
