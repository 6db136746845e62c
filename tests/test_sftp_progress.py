"""SFTP progress callbacks, plain or ``async def``, against an in-process asyncssh server."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from galatea_async.sftp import upload_and_register
from tests.sftp_support import (  # noqa: F401 - fixtures
    SftpServer,
    _no_user_ssh_setup,
    server,
    uploader_for,
)


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    path = tmp_path / "sample.vcf.gz"
    path.write_bytes(os.urandom(300_000))
    return path


async def test_async_progress_callback_of_an_sftp_upload_is_awaited(
    server: SftpServer, sample: Path
) -> None:
    seen: list[tuple[int, int | None]] = []

    async def progress(done: int, total: int | None) -> None:
        seen.append((done, total))

    async with uploader_for(server) as sftp:
        await sftp.upload(sample, progress=progress)

    size = sample.stat().st_size
    assert seen[0] == (0, size)
    assert seen[-1] == (size, size)


@dataclass(frozen=True)
class _Listed:
    id: str
    src_file_name: str


class _Files:
    def __init__(self, name: str) -> None:
        self.name = name
        self.calls = 0

    async def list(self, *, file: str | None = None) -> AsyncIterator[_Listed]:
        self.calls += 1
        if self.calls > 1:  # listed only after the upload
            yield _Listed("new-id", self.name)


@dataclass
class _Client:
    files: _Files


async def test_async_progress_callback_of_upload_and_register_is_awaited(
    server: SftpServer, sample: Path
) -> None:
    seen: list[int] = []

    async def progress(done: int, total: int | None) -> None:
        seen.append(done)

    async with uploader_for(server) as sftp:
        found = await upload_and_register(
            _Client(_Files(sample.name)), sftp, sample, progress=progress, poll_interval=0.001
        )

    assert found.id == "new-id"
    assert seen[-1] == sample.stat().st_size
