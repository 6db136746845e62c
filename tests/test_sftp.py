"""SFTP uploads against an in-process asyncssh server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import asyncssh
import pytest

from galatea_async._sftp_paths import (
    check_remote_folder,
    is_listed_as,
    is_partial_of,
    partial_name,
    remote_path,
)
from galatea_async.errors import WaitTimeoutError
from galatea_async.sftp import (
    SftpError,
    SftpFileExistsError,
    SftpHostKeyError,
    SftpUploader,
    date_folder,
    upload_and_register,
)
from tests.sftp_support import (  # noqa: F401 - fixtures
    FailingWrites,
    GatedWrites,
    SftpServer,
    _no_user_ssh_setup,
    files_under,
    serve_sftp,
    server,
    uploader_for,
    write_known_hosts,
)

TODAY = date(2025, 2, 27)


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    path = tmp_path / "d101979c-348c-44cd-8279-e9207b5a67a7.vcf.gz"
    # Large enough to need many SFTP write requests.
    path.write_bytes(os.urandom(1_500_000))
    return path


def test_date_folder_is_the_vendor_format() -> None:
    assert date_folder(date(2025, 2, 27)) == "2025-Feb-27"
    assert date_folder(date(2024, 12, 1)) == "2024-Dec-01"


@pytest.mark.parametrize(
    ("folder", "normalised"),
    [
        ("", ""),
        ("2025-Feb-27", "2025-Feb-27"),
        ("uploads//2025-Feb-27/", "uploads/2025-Feb-27"),
        ("./uploads", "uploads"),
        ("/2025-Feb-27/", "/2025-Feb-27"),
        ("/", "/"),
    ],
)
def test_remote_folder_is_normalised(folder: str, normalised: str) -> None:
    assert check_remote_folder(folder) == normalised
    assert remote_path(normalised, "a.vcf").endswith("a.vcf")
    assert "//" not in remote_path(normalised, "a.vcf")


def test_partial_name_is_hidden_and_stable_for_one_local_file() -> None:
    first = partial_name("a.vcf.gz", local_name="a.vcf.gz", size=10, modified_ns=5)
    assert first == partial_name("a.vcf.gz", local_name="a.vcf.gz", size=10, modified_ns=5)
    assert first.startswith(".a.vcf.gz.")
    assert first.endswith(".part")
    assert "/" not in first
    assert is_partial_of(first, "a.vcf.gz")
    assert not is_partial_of(first, "a.vcf")


@pytest.mark.parametrize(
    "other",
    [
        {"local_name": "b.vcf.gz", "size": 10, "modified_ns": 5},
        {"local_name": "a.vcf.gz", "size": 11, "modified_ns": 5},
        {"local_name": "a.vcf.gz", "size": 10, "modified_ns": 6},
    ],
)
def test_partial_name_differs_for_another_local_file(other: dict[str, Any]) -> None:
    mine = partial_name("a.vcf.gz", local_name="a.vcf.gz", size=10, modified_ns=5)
    assert partial_name("a.vcf.gz", **other) != mine


@pytest.mark.parametrize(
    ("listed", "expected"),
    [("a.vcf", True), ("2025-Feb-27/a.vcf", True), ("a.vcf.gz", False), (None, False)],
)
def test_listed_name_matches_only_the_exact_file(listed: str | None, expected: bool) -> None:
    assert is_listed_as(listed, "a.vcf") is expected


async def test_upload_lands_in_date_folder_with_identical_bytes(
    server: SftpServer, sample: Path
) -> None:
    reports: list[tuple[int, int | None]] = []
    async with uploader_for(server) as sftp:
        remote = await sftp.upload(
            sample, progress=lambda done, total: reports.append((done, total))
        )

    assert remote == f"2025-Feb-27/{sample.name}"
    assert files_under(server.root) == [remote]  # no temporary file left beside it
    assert (server.root / remote).read_bytes() == sample.read_bytes()
    size = sample.stat().st_size
    assert reports[0] == (0, size)
    assert reports[-1] == (size, size)
    assert len(reports) > 3
    assert [done for done, _ in reports] == sorted({done for done, _ in reports})


async def test_upload_to_named_file_in_existing_folder(server: SftpServer, sample: Path) -> None:
    (server.root / "incoming").mkdir()
    async with uploader_for(server) as sftp:
        remote = await sftp.upload(sample, remote_name="renamed.vcf.gz", remote_folder="incoming/")
        at_root = await sftp.upload(sample, remote_folder="")

    assert remote == "incoming/renamed.vcf.gz"
    assert at_root == sample.name
    assert files_under(server.root) == sorted([remote, sample.name])


async def test_empty_file_uploads_and_reports_completion(
    server: SftpServer, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.vcf"
    empty.write_bytes(b"")
    reports: list[tuple[int, int | None]] = []
    async with uploader_for(server) as sftp:
        remote = await sftp.upload(
            empty, progress=lambda done, total: reports.append((done, total))
        )
    assert (server.root / remote).read_bytes() == b""
    assert reports == [(0, 0)]


async def test_unknown_host_key_is_refused_and_nothing_uploaded(
    server: SftpServer, sample: Path, tmp_path: Path
) -> None:
    impostor = tmp_path / "other_known_hosts"
    write_known_hosts(impostor, server.port, asyncssh.generate_private_key("ssh-ed25519"))

    with pytest.raises(SftpHostKeyError) as caught:
        async with uploader_for(server, known_hosts=impostor) as sftp:
            await sftp.upload(sample)

    assert str(impostor) in caught.value.message
    assert "insecure_accept_any_host_key" in caught.value.message
    assert files_under(server.root) == []


async def test_missing_default_known_hosts_trusts_no_host(server: SftpServer) -> None:
    uploader = uploader_for(server, known_hosts=None)
    with pytest.raises(SftpHostKeyError, match="known_hosts"):
        await uploader.connect()


async def test_default_known_hosts_is_read_from_home(server: SftpServer, sample: Path) -> None:
    ssh_directory = Path.home() / ".ssh"
    ssh_directory.mkdir()
    write_known_hosts(ssh_directory / "known_hosts", server.port, server.host_key)
    async with uploader_for(server, known_hosts=None) as sftp:
        remote = await sftp.upload(sample)
    assert (server.root / remote).is_file()


async def test_insecure_flag_accepts_any_host_key(
    server: SftpServer, sample: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="galatea_async.sftp")
    async with uploader_for(server, known_hosts=None, insecure_accept_any_host_key=True) as sftp:
        remote = await sftp.upload(sample)
    assert (server.root / remote).read_bytes() == sample.read_bytes()
    assert "verification is OFF" in caplog.text


def test_insecure_flag_and_known_hosts_together_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not both"):
        SftpUploader(
            "127.0.0.1", "user", known_hosts=tmp_path / "kh", insecure_accept_any_host_key=True
        )


async def test_write_failing_midway_leaves_nothing_on_server(tmp_path: Path, sample: Path) -> None:
    async with serve_sftp(tmp_path, server_factory=FailingWrites) as server:
        with pytest.raises(SftpError, match="No space left on device") as caught:
            async with uploader_for(server) as sftp:
                await sftp.upload(sample)
        assert "may remain" not in caught.value.message
        assert files_under(server.root) == []


async def test_cancelled_upload_leaves_a_partial_the_next_upload_completes(
    tmp_path: Path, sample: Path
) -> None:
    first_write, gate = asyncio.Event(), asyncio.Event()

    def gated(channel: asyncssh.SSHServerChannel[bytes], root: bytes) -> asyncssh.SFTPServer:
        return GatedWrites(channel, root, first_write=first_write, gate=gate)

    async with serve_sftp(tmp_path, server_factory=gated) as server:
        async with uploader_for(server) as sftp:
            upload = asyncio.create_task(sftp.upload(sample))
            await first_write.wait()
            assert len(files_under(server.root)) == 1  # the temporary file exists
            upload.cancel()
            gate.set()
            with pytest.raises(asyncio.CancelledError):
                await upload
            (partial,) = files_under(server.root)
            assert is_partial_of(Path(partial).name, sample.name)
            # The connection is still usable after the cancelled upload, and resumes it.
            remote = await sftp.upload(sample)
        assert files_under(server.root) == [remote]
        assert (server.root / remote).read_bytes() == sample.read_bytes()


async def test_existing_remote_file_is_not_clobbered(server: SftpServer, sample: Path) -> None:
    existing = server.root / "2025-Feb-27" / sample.name
    existing.parent.mkdir()
    existing.write_bytes(b"earlier upload")

    async with uploader_for(server) as sftp:
        with pytest.raises(SftpFileExistsError, match="overwrite=True"):
            await sftp.upload(sample)

    assert existing.read_bytes() == b"earlier upload"
    assert files_under(server.root) == [f"2025-Feb-27/{sample.name}"]


async def test_overwrite_replaces_existing_remote_file(server: SftpServer, sample: Path) -> None:
    existing = server.root / "2025-Feb-27" / sample.name
    existing.parent.mkdir()
    existing.write_bytes(b"earlier upload")

    async with uploader_for(server) as sftp:
        await sftp.upload(sample, overwrite=True)

    assert existing.read_bytes() == sample.read_bytes()
    assert files_under(server.root) == [f"2025-Feb-27/{sample.name}"]


@pytest.mark.parametrize("name", ["", ".", "..", "a/b.vcf", "nul\x00.vcf"])
async def test_invalid_remote_name_is_refused_before_upload(
    server: SftpServer, sample: Path, name: str
) -> None:
    async with uploader_for(server) as sftp:
        with pytest.raises(ValueError, match="remote file name"):
            await sftp.upload(sample, remote_name=name)
    assert files_under(server.root) == []


async def test_remote_folder_escaping_upwards_is_refused(server: SftpServer, sample: Path) -> None:
    async with uploader_for(server) as sftp:
        with pytest.raises(ValueError, match=r"'\.\.'"):
            await sftp.upload(sample, remote_folder="uploads/../..")


async def test_missing_local_file_is_a_file_not_found_error(
    server: SftpServer, tmp_path: Path
) -> None:
    async with uploader_for(server) as sftp:
        with pytest.raises(FileNotFoundError):
            await sftp.upload(tmp_path / "absent.vcf")


async def test_upload_before_connecting_says_how_to_connect(sample: Path) -> None:
    with pytest.raises(RuntimeError, match="async with"):
        await SftpUploader("127.0.0.1", "user").upload(sample)


async def test_refused_login_hides_password(server: SftpServer) -> None:
    password = "correct-horse-battery-staple"
    uploader = uploader_for(server, client_keys=[], password=password)
    with pytest.raises(SftpError) as caught:
        await uploader.connect()
    assert password not in caught.value.message
    assert password not in repr(uploader)
    assert server.username in caught.value.message


async def test_closed_port_is_an_sftp_error(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    uploader = SftpUploader("127.0.0.1", "user", port=port, insecure_accept_any_host_key=True)
    with pytest.raises(SftpError, match="Could not connect"):
        await uploader.connect()


@dataclass(frozen=True)
class FakeFile:
    id: str
    src_file_name: str


class FakeFiles:
    """``client.files`` whose listing comes from ``listing(call_number)``."""

    def __init__(self, listing: Callable[[int], list[FakeFile]]) -> None:
        self.listing = listing
        self.queries: list[str | None] = []

    async def list(self, *, file: str | None = None) -> AsyncIterator[FakeFile]:
        self.queries.append(file)
        for found in self.listing(len(self.queries) - 1):
            yield found


@dataclass
class FakeClient:
    files: FakeFiles


async def test_upload_and_register_returns_the_newly_listed_file(
    server: SftpServer, sample: Path
) -> None:
    name = sample.name
    earlier = FakeFile("old-id", f"2025-Feb-26/{name}")
    similar = FakeFile("other-id", f"{name}.bak")
    new = FakeFile("new-id", name)

    def listing(call: int) -> list[FakeFile]:
        # Registration shows up on the third poll after the upload.
        return [earlier, similar] if call < 3 else [earlier, similar, new]

    client = FakeClient(FakeFiles(listing))
    async with uploader_for(server) as sftp:
        registered = await upload_and_register(client, sftp, sample, poll_interval=0.001)

    assert registered is new
    assert client.files.queries == [name] * 4
    assert (server.root / "2025-Feb-27" / name).is_file()


async def test_upload_and_register_times_out_with_a_clear_message(
    server: SftpServer, sample: Path
) -> None:
    client = FakeClient(FakeFiles(lambda call: []))
    async with uploader_for(server) as sftp:
        with pytest.raises(WaitTimeoutError, match=r"files\.list") as caught:
            await upload_and_register(client, sftp, sample, timeout=0, poll_interval=0.001)
    assert "2025-Feb-27/" in caught.value.message
    assert (server.root / "2025-Feb-27" / sample.name).is_file()


@pytest.mark.parametrize("poll_interval", [0, -1.0, float("nan")])
async def test_upload_and_register_refuses_a_poll_interval_that_would_spin(
    tmp_path: Path, poll_interval: float
) -> None:
    with pytest.raises(ValueError, match="poll_interval"):
        await upload_and_register(
            None,  # type: ignore[arg-type]  # refused before the client is used
            None,  # type: ignore[arg-type]
            tmp_path / "sample.vcf.gz",
            poll_interval=poll_interval,
        )


def test_importing_the_sftp_module_prints_no_warning_of_its_dependencies() -> None:
    shown = subprocess.run(
        [sys.executable, "-W", "default", "-c", "import galatea_async.sftp"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown.stderr == ""
