"""A damaged gzip or zip file is stopped while it streams over SFTP, and nothing is left remotely."""

from __future__ import annotations

import gzip
import io
import os
import zipfile
from pathlib import Path

import pytest

from galatea_async.errors import ArchiveIntegrityError, SftpError
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


def gzip_bytes() -> bytes:
    # Random bytes do not compress: the archive is as large as its content, a few MiB.
    return gzip.compress(os.urandom(2 * MIB), compresslevel=1)


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("sample.txt", os.urandom(2 * MIB))
    return buffer.getvalue()


def flip_byte(data: bytes, offset: int) -> bytes:
    return data[:offset] + bytes([data[offset] ^ 0xFF]) + data[offset + 1 :]


@pytest.mark.parametrize(
    ("name", "damaged"),
    [
        ("sample.vcf.gz", lambda: gzip_bytes()[:-100]),
        ("sample.vcf.gz", lambda: flip_byte(gzip_bytes(), 3 * MIB // 2)),
        ("sample.txt.zip", lambda: zip_bytes()[:-30]),
        ("sample.txt.zip", lambda: flip_byte(zip_bytes(), 3 * MIB // 2)),
    ],
    ids=["truncated-gz", "corrupted-gz", "truncated-zip", "corrupted-zip"],
)
async def test_damaged_archive_is_stopped_and_its_partial_removed(
    sftp_server: SftpServer, tmp_path: Path, name: str, damaged: object
) -> None:
    source = tmp_path / name
    assert callable(damaged)
    source.write_bytes(damaged())
    async with uploader_for(sftp_server) as sftp:
        with pytest.raises(ArchiveIntegrityError) as caught:
            await sftp.upload(source)
        assert files_under(sftp_server.root) == [], "no partial and no final file"
        # check_archive=False sends the bytes as they are; the server judges them.
        remote = await sftp.upload(source, check_archive=False)
    assert (sftp_server.root / remote).read_bytes() == source.read_bytes()
    assert caught.value.name == name
    assert "offset" in caught.value.message


@pytest.mark.parametrize("make", [gzip_bytes, zip_bytes], ids=["gz", "zip"])
async def test_sound_archive_resumed_after_a_drop_passes_the_check(
    sftp_server: SftpServer, tmp_path: Path, make: object
) -> None:
    assert callable(make)
    source = tmp_path / "sample.vcf.gz"
    source.write_bytes(make())
    async with CuttingRelay(sftp_server.port, [1_000_000]) as relay:
        known_hosts = tmp_path / "relay_known_hosts"
        write_known_hosts(known_hosts, relay.port, sftp_server.host_key)
        async with uploader_for(sftp_server, port=relay.port, known_hosts=known_hosts) as sftp:
            remote = await sftp.upload(source)
    assert relay.connections == 2
    assert (sftp_server.root / remote).read_bytes() == source.read_bytes()


async def test_damage_in_the_part_already_sent_is_found_when_resuming(
    sftp_server: SftpServer, tmp_path: Path
) -> None:
    sound = gzip_bytes()
    source = tmp_path / "sample.vcf.gz"
    source.write_bytes(sound)
    async with CuttingRelay(sftp_server.port, [1_200_000]) as relay:
        known_hosts = tmp_path / "relay_known_hosts"
        write_known_hosts(known_hosts, relay.port, sftp_server.host_key)
        with pytest.raises(SftpError, match="resumes it"):
            async with uploader_for(
                sftp_server, port=relay.port, known_hosts=known_hosts, max_retries=0
            ) as sftp:
                await sftp.upload(source)
    # The local file is damaged at its start, keeping its size and modification time, so the
    # partial's name still matches and its last stretch still compares equal.
    status = source.stat()
    source.write_bytes(flip_byte(sound, 100))
    os.utime(source, ns=(status.st_atime_ns, status.st_mtime_ns))

    async with uploader_for(sftp_server) as sftp:
        with pytest.raises(ArchiveIntegrityError, match="CRC32"):
            await sftp.upload(source)
    assert files_under(sftp_server.root) == [], "the resumed partial is removed too"
