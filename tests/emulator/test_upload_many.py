"""``files.upload_many`` against the emulator over TCP (and a local SFTP server for large files)."""

from __future__ import annotations

import gzip
import io
import json
import os
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncssh
import pytest

from galatea_async import AsyncGalatea, UploadOutcome
from galatea_async._upload import MAX_API_UPLOAD_BYTES, UploadTooLargeError
from galatea_async.emulator import Emulator
from galatea_async.emulator._content import genotype_file
from galatea_async.errors import ArchiveIntegrityError, FileValidationError
from galatea_async.sftp import SftpUploader
from tests.emulator_fixtures import make_emulator
from tests.sftp_support import SftpServer, serve_sftp

GENOTYPE = genotype_file("batch").read()


@pytest.fixture
def emulator() -> Emulator:
    """Validation takes no emulated time: a file is judged as soon as it is listed."""
    return make_emulator(validation_seconds=0.0)


def upload_posts(emulator: Emulator) -> int:
    return sum(
        1
        for record in emulator.requests
        if record.method == "POST" and record.path.endswith("/data/files/upload")
    )


def zipped(content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("genome.txt", content)
    return buffer.getvalue()


def flipped(data: bytes, position: int) -> bytes:
    damaged = bytearray(data)
    damaged[position] ^= 0xFF
    return bytes(damaged)


def registering_server(emulator: Emulator) -> Any:
    """An SFTP server that lists a file in the emulator once it is renamed into place, as
    Galatea's does once an upload is complete."""

    class Registering(asyncssh.SFTPServer):
        def rename(self, oldpath: bytes, newpath: bytes) -> None:
            super().rename(oldpath, newpath)
            emulator.add_file(os.path.basename(newpath.decode()), status=None)

        def posix_rename(self, oldpath: bytes, newpath: bytes) -> None:
            super().posix_rename(oldpath, newpath)
            emulator.add_file(os.path.basename(newpath.decode()), status=None)

    return Registering


@pytest.fixture
async def sftp_server(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[SftpServer]:
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no user ssh config or keys
    directory = tmp_path / "sftp"
    directory.mkdir()
    async with serve_sftp(directory, server_factory=registering_server(emulator)) as server:
        yield server


def uploader_for(server: SftpServer) -> SftpUploader:
    return SftpUploader(
        server.host,
        server.username,
        port=server.port,
        client_keys=[server.client_key],
        known_hosts=server.known_hosts,
        connect_timeout=5.0,
    )


async def test_a_mix_of_sizes_goes_by_api_and_sftp_and_one_failure_stops_nothing(
    emulator: Emulator, live_client: AsyncGalatea, sftp_server: SftpServer, tmp_path: Path
) -> None:
    small = tmp_path / "small.txt"
    small.write_bytes(GENOTYPE)
    archive = tmp_path / "array.txt.zip"
    archive.write_bytes(zipped(GENOTYPE))
    large = tmp_path / "large.vcf"
    large.write_bytes(b"##fileformat=VCFv4.2\n" + b"A" * (MAX_API_UPLOAD_BYTES - 20))
    missing = tmp_path / "missing.txt"
    paths = [small, missing, large, archive]
    totals: list[tuple[int, int | None]] = []

    async with uploader_for(sftp_server) as sftp:
        outcomes = await live_client.files.upload_many(
            paths,
            sftp=sftp,
            concurrency=2,
            progress=lambda done, total: totals.append((done, total)),
        )

    assert [outcome.path for outcome in outcomes] == paths
    assert [outcome.ok for outcome in outcomes] == [True, False, True, True]
    assert [outcome.via for outcome in outcomes] == ["api", None, "sftp", "api"]
    assert isinstance(outcomes[1].error, FileNotFoundError)
    assert outcomes[0].result().src_file_name == "small.txt"
    assert outcomes[2].result().src_file_name == "large.vcf"
    assert outcomes[3].result().file_size_bytes == archive.stat().st_size
    assert upload_posts(emulator) == 2
    landed = next(sftp_server.root.rglob("large.vcf"))
    assert landed.stat().st_size == large.stat().st_size
    sizes = small.stat().st_size + large.stat().st_size + archive.stat().st_size
    assert totals[-1] == (sizes, sizes)
    with pytest.raises(FileNotFoundError):
        outcomes[1].result()


async def test_a_large_file_without_sftp_fails_alone_saying_what_to_pass(
    emulator: Emulator, live_client: AsyncGalatea, tmp_path: Path
) -> None:
    small = tmp_path / "small.txt"
    small.write_bytes(GENOTYPE)
    large = tmp_path / "large.vcf"
    with large.open("wb") as handle:
        handle.truncate(MAX_API_UPLOAD_BYTES + 1)
    outcomes = await live_client.files.upload_many([large, small])
    assert isinstance(outcomes[0].error, UploadTooLargeError)
    assert "sftp=SftpUploader" in str(outcomes[0].error)
    assert outcomes[1].ok
    assert upload_posts(emulator) == 1


DAMAGED = {
    "truncated.vcf.gz": gzip.compress(GENOTYPE)[:-100],
    "corrupted.vcf.gz": flipped(gzip.compress(GENOTYPE), 500),
    "truncated.txt.zip": zipped(GENOTYPE)[:-40],
    "corrupted.txt.zip": flipped(zipped(GENOTYPE), 300),
}


async def test_damaged_archives_are_refused_before_any_request(
    emulator: Emulator, live_client: AsyncGalatea, tmp_path: Path
) -> None:
    paths = []
    for name, content in DAMAGED.items():
        paths.append(tmp_path / name)
        paths[-1].write_bytes(content)
    plain = tmp_path / "plain-text.txt.zip"
    plain.write_bytes(GENOTYPE)
    *refused, sent = await live_client.files.upload_many([*paths, plain])
    for path, outcome in zip(paths, refused, strict=True):
        assert isinstance(outcome.error, ArchiveIntegrityError)
        assert path.name in str(outcome.error)
        assert f"offset {outcome.error.offset}" in str(outcome.error)
        assert outcome.file is None
    assert sent.ok
    assert sent.result().src_file_name == "plain-text.txt.zip"
    assert upload_posts(emulator) == 1


async def test_check_archive_false_lets_the_server_judge(
    emulator: Emulator, live_client: AsyncGalatea, tmp_path: Path
) -> None:
    damaged = tmp_path / "truncated.vcf.gz"
    damaged.write_bytes(gzip.compress(GENOTYPE)[:-100])
    [outcome] = await live_client.files.upload_many([damaged], check_archive=False)
    assert outcome.ok
    assert upload_posts(emulator) == 1


async def test_wait_until_valid_keeps_the_file_of_one_that_fails_validation(
    live_client: AsyncGalatea, tmp_path: Path
) -> None:
    genome = tmp_path / "genome.txt"
    genome.write_bytes(GENOTYPE)
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"shopping list\n")
    valid, not_valid = await live_client.files.upload_many([genome, notes], wait_until_valid=True)
    assert valid.ok
    assert valid.result().status == "VALID"
    assert not not_valid.ok
    assert isinstance(not_valid.error, FileValidationError)
    assert not_valid.file is not None
    assert not_valid.file.src_file_name == "notes.txt"


async def test_outcomes_are_json_ready(live_client: AsyncGalatea, tmp_path: Path) -> None:
    genome = tmp_path / "genome.txt"
    genome.write_bytes(GENOTYPE)
    outcomes: list[UploadOutcome] = await live_client.files.upload_many(
        [genome, tmp_path / "missing.txt"]
    )
    data = json.loads(json.dumps([outcome.to_dict() for outcome in outcomes]))
    assert data[0]["path"] == str(genome)
    assert data[0]["via"] == "api"
    assert data[0]["size"] == len(GENOTYPE)
    assert data[0]["file"]["src_file_name"] == "genome.txt"
    assert data[0]["error"] is None
    assert data[1]["file"] is None
    assert data[1]["error"]["type"] == "FileNotFoundError"
