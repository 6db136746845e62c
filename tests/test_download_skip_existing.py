"""``skip_existing`` over real TCP, on both transports: a complete copy is kept unread, anything
else is fetched again."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from galatea_async._download import download_file
from tests.transfer_support import (
    FileServer,
    ProgressLog,
    Resource,
    job_for,
    listdir,
    pattern,
    pattern_md5,
)


@pytest.mark.parametrize("size", [5000, 300_000])  # one hop, and streamed
async def test_a_complete_copy_is_kept_without_reading_the_body(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path, size: int
) -> None:
    (tmp_path / "result.tsv").write_bytes(pattern(0, size))
    before = (tmp_path / "result.tsv").stat().st_mtime_ns
    url = file_server.add("/file", Resource(size=size))
    progress = ProgressLog()
    done = await download_file(
        job_for(http_client, url, tmp_path, skip_existing=True, progress=progress)
    )
    assert done.skipped
    assert done.path == tmp_path / "result.tsv"
    assert done.size == size
    assert (tmp_path / "result.tsv").stat().st_mtime_ns == before
    assert listdir(tmp_path) == ["result.tsv"]
    assert progress.last == (size, size)


@pytest.mark.parametrize("size", [5000, 300_000])
async def test_an_incomplete_copy_is_fetched_again(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path, size: int
) -> None:
    (tmp_path / "result.tsv").write_bytes(pattern(0, size - 10))  # truncated
    url = file_server.add("/file", Resource(size=size))
    done = await download_file(job_for(http_client, url, tmp_path, skip_existing=True))
    assert not done.skipped
    assert (tmp_path / "result.tsv").read_bytes() == pattern(0, size)
    assert listdir(tmp_path) == ["result.tsv"]


async def test_a_same_size_copy_with_the_wrong_md5_is_fetched_again(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path
) -> None:
    size = 5000
    (tmp_path / "result.tsv").write_bytes(b"x" * size)  # same size, other bytes
    url = file_server.add("/file", Resource(size=size))
    done = await download_file(
        job_for(
            http_client, url, tmp_path, skip_existing=True, expected_size=size,
            expected_md5=pattern_md5(size),
        )
    )  # fmt: skip
    assert not done.skipped
    assert done.md5 == pattern_md5(size)
    assert (tmp_path / "result.tsv").read_bytes() == pattern(0, size)


async def test_a_symlink_is_never_taken_for_a_complete_copy(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path
) -> None:
    size = 5000
    victim = tmp_path / "victim.tsv"
    victim.write_bytes(pattern(0, size))
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "result.tsv").symlink_to(victim)
    url = file_server.add("/file", Resource(size=size))
    done = await download_file(job_for(http_client, url, dest, skip_existing=True))
    assert not done.skipped
    assert not (dest / "result.tsv").is_symlink()  # the link itself was replaced
    assert victim.read_bytes() == pattern(0, size)
