"""An SFTP upload reports success only for the whole file (OpenSSH's sshd on 127.0.0.1)."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import asyncssh
import pytest

from galatea_async._sftp_paths import partial_name
from galatea_async.errors import SftpError, SftpFileExistsError
from tests.sftp_support import SftpServer, WriteOnly, files_under, serve_sftp, uploader_for

# The first test in a session may install openssh-server with apt-get (see openssh_support).
pytestmark = pytest.mark.timeout(600)

MIB = 1024 * 1024


def sparse_file(path: Path, *, data: bytes, size: int) -> Path:
    """``data`` at the start of a file of ``size`` bytes whose rest is a hole."""
    with path.open("wb") as file:
        file.write(data)
        file.truncate(size)
    return path


@pytest.mark.parametrize("data_bytes", [0, MIB], ids=["fully-sparse", "ends-in-a-hole"])
async def test_sparse_file_arrives_whole_with_its_holes_as_zeros(
    sftp_server: SftpServer, tmp_path: Path, data_bytes: int
) -> None:
    source = sparse_file(tmp_path / "sparse.vcf", data=os.urandom(data_bytes), size=6 * MIB)
    async with uploader_for(sftp_server) as sftp:
        remote = await sftp.upload(source)
    arrived = (sftp_server.root / remote).read_bytes()
    assert len(arrived) == 6 * MIB
    assert arrived == source.read_bytes()


class LosesTheLastWrite(asyncssh.SFTPServer):
    """Acknowledges every write but never stores the one that ends the file."""

    def __init__(self, channel: asyncssh.SSHServerChannel[bytes], chroot: bytes) -> None:
        super().__init__(channel, chroot=chroot)

    def write(self, file_obj: object, offset: int, data: bytes) -> int:
        if offset + len(data) >= 3 * MIB:
            return len(data)
        written = super().write(file_obj, offset, data)
        assert isinstance(written, int)  # the local-file server writes synchronously
        return written


async def test_remote_size_short_of_the_local_file_fails_and_leaves_nothing(
    tmp_path: Path,
) -> None:
    source = tmp_path / "sample.vcf"
    source.write_bytes(os.urandom(3 * MIB))
    (tmp_path / "served").mkdir()
    async with serve_sftp(tmp_path / "served", server_factory=LosesTheLastWrite) as server:
        with pytest.raises(SftpError) as caught:
            async with uploader_for(server) as sftp:
                await sftp.upload(source)
        assert files_under(server.root) == [], "nothing under the final name nor a partial"
    message = caught.value.message
    assert str(3 * MIB) in message
    assert str(3 * MIB - 256 * 1024) in message


async def test_messages_print_an_absolute_remote_path_without_a_double_slash(
    sftp_server: SftpServer, tmp_path: Path
) -> None:
    source = tmp_path / "sample.vcf"
    source.write_bytes(b"rs1\t1\t100\tAA\n")
    folder = sftp_server.root / "absolute"
    folder.mkdir()
    (folder / source.name).write_bytes(b"earlier upload")
    async with uploader_for(sftp_server) as sftp:
        with pytest.raises(SftpFileExistsError) as caught:
            await sftp.upload(source, remote_folder=str(folder))
    assert f"{folder}/{source.name}" in caught.value.message
    assert "//" not in caught.value.message


async def test_stale_partials_of_the_same_name_are_removed_by_the_next_upload(
    sftp_server: SftpServer, tmp_path: Path
) -> None:
    source = tmp_path / "sample.vcf"
    source.write_bytes(os.urandom(MIB))
    folder = sftp_server.root / "2025-Feb-27"
    folder.mkdir()
    stale = folder / ".sample.vcf.0123456789ab.part"
    recent = folder / ".sample.vcf.ba9876543210.part"
    other_file = folder / ".other.vcf.0123456789ab.part"
    for partial in (stale, recent, other_file):
        partial.write_bytes(b"x" * 1000)
    eight_days_ago = time.time() - 8 * 24 * 3600
    for old in (stale, other_file):
        os.utime(old, (eight_days_ago, eight_days_ago))

    async with uploader_for(sftp_server) as sftp:
        remote = await sftp.upload(source)

    assert sorted(files_under(sftp_server.root)) == sorted(
        [remote, f"2025-Feb-27/{recent.name}", f"2025-Feb-27/{other_file.name}"]
    )


@pytest.mark.parametrize(
    ("config", "explicit", "negotiated"),
    [
        (None, None, "aes128-gcm@openssh.com"),
        (None, ["aes256-ctr"], "aes256-ctr"),
        ("Ciphers chacha20-poly1305@openssh.com\n", None, "chacha20-poly1305@openssh.com"),
        ("Ciphers chacha20-poly1305@openssh.com\n", ["aes256-ctr"], "aes256-ctr"),
    ],
    ids=["preferred", "explicit", "ssh-config", "explicit-over-ssh-config"],
)
async def test_cipher_is_aes_gcm_unless_the_caller_or_the_ssh_config_chooses(
    sftp_server: SftpServer,
    caplog: pytest.LogCaptureFixture,
    config: str | None,
    explicit: list[str] | None,
    negotiated: str,
) -> None:
    if config is not None:
        ssh = Path.home() / ".ssh"
        ssh.mkdir()
        (ssh / "config").write_text(config)
    caplog.set_level(logging.INFO, logger="galatea_async.sftp")
    async with uploader_for(sftp_server, encryption_algs=explicit):
        pass
    assert f"(cipher {negotiated})" in caplog.text


async def test_write_only_server_gets_the_whole_file_without_resuming_unread_bytes(
    tmp_path: Path,
) -> None:
    source = tmp_path / "sample.vcf"
    source.write_bytes(os.urandom(2 * MIB))
    status = source.stat()
    (tmp_path / "served").mkdir()
    async with serve_sftp(tmp_path / "served", server_factory=WriteOnly) as server:
        folder = server.root / "2025-Feb-27"
        folder.mkdir()
        name = partial_name(
            source.name, local_name=source.name, size=2 * MIB, modified_ns=status.st_mtime_ns
        )
        (folder / name).write_bytes(b"\x00" * MIB)  # cannot be read back, so not trusted
        async with uploader_for(server) as sftp:
            remote = await sftp.upload(source)
        assert files_under(server.root) == [remote]
        assert (server.root / remote).read_bytes() == source.read_bytes()


async def test_local_file_growing_during_the_upload_fails_and_leaves_nothing(
    sftp_server: SftpServer, tmp_path: Path
) -> None:
    source = tmp_path / "growing.vcf"
    source.write_bytes(os.urandom(2 * MIB))

    def append_once(done: int, total: int | None) -> None:
        if done and source.stat().st_size == total:
            with source.open("ab") as file:
                file.write(b"more lines")

    async with uploader_for(sftp_server) as sftp:
        with pytest.raises(SftpError, match="changed while it was being uploaded"):
            await sftp.upload(source, progress=append_once)
    assert files_under(sftp_server.root) == []
