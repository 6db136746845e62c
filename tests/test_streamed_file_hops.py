"""A streamed download's disk work, on both transports: the checks before the first byte is
written take one thread hop, and the last block is written in the hop that syncs and names the
file, so a file of N blocks costs N + 1 hops; the bytes and the checks stay what they were."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from galatea_async._download import TransferOptions, _engine, _files, download_file
from galatea_async._download._target import Existing
from galatea_async.errors import ChecksumMismatchError
from tests.transfer_support import (
    FileServer,
    ProgressLog,
    Resource,
    job_for,
    listdir,
    pattern,
    pattern_md5,
)

CHUNK = 64 * 1024


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of every function the engine and its temporary files run in a worker thread."""
    names: list[str] = []
    for module in (_engine, _files):
        original = module.run_blocking

        async def counted(function: Callable[..., Any], *args: Any, _run: Any = original) -> Any:
            names.append(getattr(function, "__name__", repr(function)))
            return await _run(function, *args)

        monkeypatch.setattr(module, "run_blocking", counted)
    return names


async def _fetch(
    http_client: httpx.AsyncClient,
    file_server: FileServer,
    dest: Path,
    resource: Resource,
    **kw: Any,
) -> Path:
    url = file_server.add("/file", resource)
    options = TransferOptions(chunk_size=CHUNK, fsync=True)
    job = job_for(http_client, url, dest, options=options, **kw)
    return (await download_file(job)).path


async def test_a_streamed_file_of_known_size_costs_one_hop_per_block_plus_one(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path, hops: list[str]
) -> None:
    size = 5 * CHUNK + 17
    progress = ProgressLog()
    path = await _fetch(
        http_client,
        file_server,
        tmp_path,
        Resource(size=size),
        expected_size=size,
        expected_md5=pattern_md5(size),
        progress=progress,
    )
    assert path.read_bytes() == pattern(0, size)
    blocks = len([seen for seen in progress.calls if seen[0] > 0])
    assert blocks >= 2
    assert len(hops) == blocks + 1, hops
    assert listdir(tmp_path) == [path.name]


@pytest.mark.parametrize("corrupt_at", [100, 5 * CHUNK + 10])
async def test_a_wrong_md5_in_any_block_still_leaves_nothing(
    http_client: httpx.AsyncClient, file_server: FileServer, tmp_path: Path, corrupt_at: int
) -> None:
    size = 5 * CHUNK + 17
    with pytest.raises(ChecksumMismatchError):
        await _fetch(
            http_client,
            file_server,
            tmp_path,
            Resource(size=size, corrupt_at=corrupt_at),
            expected_md5=pattern_md5(size),
        )
    assert listdir(tmp_path) == []


# The holder that streams a body into its temporary file, alone: what a block arriving after
# the announced last one, or a break after it, does to the bytes and their md5.


def _holder(tmp_path: Path) -> tuple[_files.PartialFile, _engine._FileHolder]:
    file = _files.PartialFile(tmp_path / "result.tsv")
    return file, _engine._FileHolder(file, None, want_md5=True)


async def test_bytes_beyond_the_announced_size_are_written_after_the_held_last_block(
    tmp_path: Path,
) -> None:
    file, holder = _holder(tmp_path)
    await holder.append([b"01234"], 5, 10)
    await holder.append([b"567", b"89"], 5, 10)  # the announced end: held for finish
    assert holder.last is not None
    await holder.append([b"X"], 1, 10)  # more than announced: both written, in order
    assert holder.last is None
    path = await file.finish(Existing.REFUSE, fsync=False, fsync_directory=False)
    assert path.read_bytes() == b"0123456789X"
    assert holder.digest.hexdigest() == hashlib.md5(b"0123456789X").hexdigest()


async def test_a_break_after_the_held_last_block_resumes_from_what_the_disk_holds(
    tmp_path: Path,
) -> None:
    file, holder = _holder(tmp_path)
    await holder.append([b"01234"], 5, 10)
    await holder.append([b"56789"], 5, 10)
    assert await holder.kept(10) == 5  # the held block never reached the disk: asked again
    await holder.append([b"56789"], 5, 10)
    path = await file.finish(Existing.REFUSE, fsync=False, fsync_directory=False, last=holder.last)
    assert path.read_bytes() == b"0123456789"
    assert holder.digest.hexdigest() == hashlib.md5(b"0123456789").hexdigest()
