"""SFTP uploads resume after a dropped connection (OpenSSH's sshd behind a cutting TCP relay)."""

from __future__ import annotations

import asyncio
import logging
import os
import re
from pathlib import Path
from typing import Any

import pytest

from galatea_async._sftp_paths import is_partial_of, partial_name
from galatea_async.errors import SftpError
from galatea_async.sftp import Progress, SftpUploader
from tests.sftp_support import (
    CuttingRelay,
    SftpServer,
    files_under,
    uploader_for,
    write_known_hosts,
)

# The first test in a session may install openssh-server with apt-get (see openssh_support).
pytestmark = pytest.mark.timeout(600)

MIB = 1024 * 1024
SIZE = 4 * MIB
FOLDER = "2025-Feb-27"


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    path = tmp_path / "genome.g.vcf.gz"
    path.write_bytes(os.urandom(SIZE))
    return path


def through(server: SftpServer, relay: CuttingRelay, **overrides: Any) -> SftpUploader:
    """An uploader reaching ``server`` through ``relay``."""
    known_hosts = server.root.parent / f"known_hosts_{relay.port}"
    write_known_hosts(known_hosts, relay.port, server.host_key)
    return uploader_for(server, port=relay.port, known_hosts=known_hosts, **overrides)


def partials(server: SftpServer) -> list[str]:
    return [path for path in files_under(server.root) if path.endswith(".part")]


def cutting_at(relay: CuttingRelay, acknowledged: list[int], reports: list[int]) -> Progress:
    """A progress callback that cuts the connection once each of ``acknowledged`` is reached.

    Acknowledged bytes are stored on the server, so each resume must start at or after them.
    """
    waiting = list(acknowledged)

    def progress(done: int, total: int | None) -> None:
        reports.append(done)
        if waiting and done >= waiting[0]:
            waiting.pop(0)
            relay.cut_open_connections()

    return progress


def resume_points(log: str) -> list[int]:
    return [int(found) for found in re.findall(r"resumes at byte (\d+) of", log)]


@pytest.mark.parametrize(
    "acknowledged",
    [[MIB // 2], [2 * MIB], [SIZE - MIB // 2], [MIB, 2 * MIB, 3 * MIB]],
    ids=["early", "middle", "near-the-end", "three-drops"],
)
async def test_connection_cut_midway_is_resumed_and_the_file_arrives_identical(
    sftp_server: SftpServer,
    sample: Path,
    acknowledged: list[int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="galatea_async.sftp")
    reports: list[int] = []
    async with (
        CuttingRelay(sftp_server.port, []) as relay,
        through(sftp_server, relay) as sftp,
    ):
        remote = await sftp.upload(sample, progress=cutting_at(relay, acknowledged, reports))

    assert (sftp_server.root / remote).read_bytes() == sample.read_bytes()
    assert files_under(sftp_server.root) == [remote]
    resumed_at = resume_points(caplog.text)
    # A later cut may find the whole rest already sent (8 MiB can be in flight), so fewer
    # reconnections than cuts asked for are possible; every one of them resumed.
    assert 1 <= len(resumed_at) <= len(acknowledged)
    assert relay.connections == len(resumed_at) + 1
    assert resumed_at[0] >= acknowledged[0]
    assert resumed_at == sorted(resumed_at)
    assert reports == sorted(set(reports)), "resumed bytes are counted once"
    assert reports[-1] == SIZE


async def test_upload_cut_without_retries_is_resumed_by_the_next_call(
    sftp_server: SftpServer, sample: Path
) -> None:
    async with CuttingRelay(sftp_server.port, []) as relay:
        with pytest.raises(SftpError, match="resumes it") as caught:
            async with through(sftp_server, relay, max_retries=0) as sftp:
                await sftp.upload(sample, progress=cutting_at(relay, [2 * MIB], []))
        (partial,) = partials(sftp_server)
        assert partial in caught.value.message

        reports: list[int] = []
        async with through(sftp_server, relay) as sftp:
            remote = await sftp.upload(sample, progress=lambda done, _: reports.append(done))

    assert (sftp_server.root / remote).read_bytes() == sample.read_bytes()
    assert files_under(sftp_server.root) == [remote]
    assert reports[0] >= 2 * MIB, "the second call starts where the first one stopped"


async def test_every_connection_cut_fails_after_max_retries_and_keeps_the_partial(
    sftp_server: SftpServer, sample: Path
) -> None:
    async with CuttingRelay(sftp_server.port, [1_000_000, 1_000_000, 1_000_000]) as relay:
        with pytest.raises(SftpError, match=r"connection dropped .* after 2 retries"):
            async with through(sftp_server, relay, max_retries=2) as sftp:
                await sftp.upload(sample)
    assert relay.connections == 3
    (partial,) = partials(sftp_server)
    kept = (sftp_server.root / partial).read_bytes()
    assert kept == sample.read_bytes()[: len(kept)]


async def test_partial_whose_tail_differs_is_restarted_from_zero(
    sftp_server: SftpServer, sample: Path, caplog: pytest.LogCaptureFixture
) -> None:
    status = sample.stat()
    name = partial_name(
        sample.name, local_name=sample.name, size=SIZE, modified_ns=status.st_mtime_ns
    )
    folder = sftp_server.root / FOLDER
    folder.mkdir()
    # The right prefix, then a last stretch that is not the local file's.
    (folder / name).write_bytes(sample.read_bytes()[: 3 * MIB - 10] + b"\x00" * 10)

    async with CuttingRelay(sftp_server.port, []) as relay, through(sftp_server, relay) as sftp:
        remote = await sftp.upload(sample)

    assert (sftp_server.root / remote).read_bytes() == sample.read_bytes()
    assert files_under(sftp_server.root) == [remote]
    assert relay.sent_upstream > SIZE, "every byte was sent again"


async def test_different_local_file_with_the_same_name_is_never_resumed_onto(
    sftp_server: SftpServer, sample: Path, tmp_path: Path
) -> None:
    async with CuttingRelay(sftp_server.port, [2_000_000]) as relay:
        with pytest.raises(SftpError):
            async with through(sftp_server, relay, max_retries=0) as sftp:
                await sftp.upload(sample)
    (first_partial,) = partials(sftp_server)

    other = tmp_path / "other" / sample.name
    other.parent.mkdir()
    other.write_bytes(os.urandom(SIZE))  # same name and size, other bytes and mtime
    async with uploader_for(sftp_server) as sftp:
        remote = await sftp.upload(other)

    assert (sftp_server.root / remote).read_bytes() == other.read_bytes()
    # The first file's partial is its own: still a prefix of that file, still resumable.
    assert partials(sftp_server) == [first_partial]
    kept = (sftp_server.root / first_partial).read_bytes()
    assert kept == sample.read_bytes()[: len(kept)]


async def test_cancelled_upload_leaves_a_resumable_partial(
    sftp_server: SftpServer, sample: Path
) -> None:
    uploads: list[asyncio.Task[str]] = []

    def progress(done: int, total: int | None) -> None:
        if done >= 2 * MIB:
            uploads[0].cancel()  # from inside the upload, so it cannot finish first

    async with uploader_for(sftp_server) as sftp:
        upload = asyncio.create_task(sftp.upload(sample, progress=progress))
        uploads.append(upload)
        with pytest.raises(asyncio.CancelledError):
            await upload
        (partial,) = partials(sftp_server)
        assert is_partial_of(Path(partial).name, sample.name)
        kept = (sftp_server.root / partial).read_bytes()
        assert len(kept) >= 2 * MIB
        assert kept == sample.read_bytes()[: len(kept)]

        reports: list[int] = []
        remote = await sftp.upload(sample, progress=lambda done, _: reports.append(done))

    assert (sftp_server.root / remote).read_bytes() == sample.read_bytes()
    assert files_under(sftp_server.root) == [remote]
    assert reports[0] >= 2 * MIB


async def test_drops_are_logged_with_the_retry_count(
    sftp_server: SftpServer, sample: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="galatea_async.sftp")
    async with (
        CuttingRelay(sftp_server.port, [2_000_000]) as relay,
        through(sftp_server, relay) as sftp,
    ):
        await sftp.upload(sample)
    assert "dropped during the upload of genome.g.vcf.gz" in caplog.text
    assert "retry 1 of 3" in caplog.text


async def test_refused_reconnections_count_as_retries_and_the_upload_completes(
    sftp_server: SftpServer, sample: Path
) -> None:
    # The second and third connections are cut during the SSH handshake.
    async with (
        CuttingRelay(sftp_server.port, [2_000_000, 1, 1]) as relay,
        through(sftp_server, relay, max_retries=3) as sftp,
    ):
        remote = await sftp.upload(sample)
        assert relay.connections == 4
        # A later call on the same uploader uses the connection made after the drops.
        again = await sftp.upload(sample, remote_name="again.g.vcf.gz")
    assert relay.connections == 4
    assert (sftp_server.root / remote).read_bytes() == sample.read_bytes()
    assert (sftp_server.root / again).read_bytes() == sample.read_bytes()


async def test_the_same_uploader_resumes_on_its_next_call_after_running_out_of_retries(
    sftp_server: SftpServer, sample: Path
) -> None:
    async with (
        CuttingRelay(sftp_server.port, [2_000_000]) as relay,
        through(sftp_server, relay, max_retries=0) as sftp,
    ):
        with pytest.raises(SftpError, match="resumes it"):
            await sftp.upload(sample)
        remote = await sftp.upload(sample)
    assert (sftp_server.root / remote).read_bytes() == sample.read_bytes()
    assert files_under(sftp_server.root) == [remote]
