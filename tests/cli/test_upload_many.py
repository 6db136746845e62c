"""``galatea files upload-many`` against the demo emulator."""

from __future__ import annotations

import functools
import gzip
import json
import os
from collections.abc import Iterator
from pathlib import Path

import asyncssh
import pytest
from anyio.from_thread import start_blocking_portal

from galatea_async._upload import MAX_API_UPLOAD_BYTES
from galatea_async.emulator._content import genotype_file
from tests.cli.conftest import ServedEmulator
from tests.sftp_support import SftpServer, serve_sftp

GENOTYPE = genotype_file("cli-batch").read()


def upload_posts(served: ServedEmulator) -> int:
    records = served.in_loop(lambda: list(served.emulator.requests))
    return sum(
        1
        for record in records
        if record.method == "POST" and record.path.endswith("/data/files/upload")
    )


def test_upload_many_sends_the_sound_files_and_names_the_damaged_one(
    served: ServedEmulator, tmp_path: Path
) -> None:
    first = tmp_path / "first.txt"
    first.write_bytes(GENOTYPE)
    damaged = tmp_path / "sample.vcf.gz"
    damaged.write_bytes(gzip.compress(GENOTYPE)[:-50])
    plain = tmp_path / "array.txt.zip"
    plain.write_bytes(GENOTYPE)

    result = served.invoke("--json", "files", "upload-many", str(first), str(damaged), str(plain))

    assert result.exit_code == 1, result.output
    outcomes = json.loads(result.stdout)
    assert [outcome["path"] for outcome in outcomes] == [str(first), str(damaged), str(plain)]
    assert [outcome["error"] is None for outcome in outcomes] == [True, False, True]
    assert outcomes[1]["error"]["type"] == "ArchiveIntegrityError"
    assert "sample.vcf.gz" in outcomes[1]["error"]["message"]
    assert outcomes[2]["file"]["src_file_name"] == "array.txt.zip"
    assert "1 of 3 uploads failed: sample.vcf.gz" in result.stderr
    assert upload_posts(served) == 2


def test_upload_many_names_each_uploaded_file_in_plain_output(
    served: ServedEmulator, tmp_path: Path
) -> None:
    paths = []
    for number in range(3):
        path = tmp_path / f"genome-{number}.txt"
        path.write_bytes(GENOTYPE)
        paths.append(str(path))
    result = served.invoke("files", "upload-many", "--concurrency", "2", *paths)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.startswith("uploaded ")]
    assert [line.split()[1] for line in lines] == paths
    assert all(" as file " in line for line in lines)


def test_no_check_archive_sends_a_damaged_archive(served: ServedEmulator, tmp_path: Path) -> None:
    damaged = tmp_path / "sample.vcf.gz"
    damaged.write_bytes(gzip.compress(GENOTYPE)[:-50])
    result = served.invoke("files", "upload-many", "--no-check-archive", str(damaged))
    assert result.exit_code == 0, result.output
    assert upload_posts(served) == 1


def test_a_large_file_without_sftp_settings_is_a_usage_error_before_any_upload(
    served: ServedEmulator, tmp_path: Path
) -> None:
    small = tmp_path / "small.txt"
    small.write_bytes(GENOTYPE)
    large = tmp_path / "large.vcf"
    with large.open("wb") as handle:
        handle.truncate(MAX_API_UPLOAD_BYTES + 1)
    result = served.invoke("files", "upload-many", str(small), str(large))
    assert result.exit_code == 2
    assert "--host" in result.output
    assert upload_posts(served) == 0


@pytest.fixture
def registering_sftp(
    served: ServedEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SftpServer]:
    """A local SFTP server that lists each file in the emulator once it is renamed into place,
    as Galatea's does once an upload is complete."""
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no user ssh config or keys

    def register(newpath: bytes) -> None:
        name = os.path.basename(newpath.decode())
        served.in_loop(functools.partial(served.emulator.add_file, name, status=None))

    class Registering(asyncssh.SFTPServer):
        def rename(self, oldpath: bytes, newpath: bytes) -> None:
            super().rename(oldpath, newpath)
            register(newpath)

        def posix_rename(self, oldpath: bytes, newpath: bytes) -> None:
            super().posix_rename(oldpath, newpath)
            register(newpath)

    directory = tmp_path / "sftp"
    directory.mkdir()
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(
            serve_sftp(directory, server_factory=Registering)
        ) as server,
    ):
        yield server


def test_upload_many_sends_a_large_file_by_sftp_and_a_small_one_by_the_api(
    served: ServedEmulator, registering_sftp: SftpServer, tmp_path: Path
) -> None:
    small = tmp_path / "small.txt"
    small.write_bytes(GENOTYPE)
    large = tmp_path / "large.vcf"
    large.write_bytes(b"##fileformat=VCFv4.2\n" + b"A" * (MAX_API_UPLOAD_BYTES - 20))
    server = registering_sftp

    result = served.invoke(
        "--json",
        "files",
        "upload-many",
        str(large),
        str(small),
        "--host",
        server.host,
        "--port",
        str(server.port),
        "--user",
        server.username,
        "--key",
        str(server.client_key),
        "--known-hosts",
        str(server.known_hosts),
    )

    assert result.exit_code == 0, result.output
    outcomes = json.loads(result.stdout)
    assert [outcome["via"] for outcome in outcomes] == ["sftp", "api"]
    assert outcomes[0]["file"]["src_file_name"] == "large.vcf"
    assert next(server.root.rglob("large.vcf")).stat().st_size == large.stat().st_size
    assert upload_posts(served) == 1


def test_files_upload_refuses_a_damaged_archive_unless_told_not_to_check(
    served: ServedEmulator, tmp_path: Path
) -> None:
    damaged = tmp_path / "sample.vcf.gz"
    damaged.write_bytes(gzip.compress(GENOTYPE)[:-50])
    refused = served.invoke("files", "upload", str(damaged))
    assert refused.exit_code == 1
    assert "sample.vcf.gz" in refused.stderr
    assert "truncated" in refused.stderr
    assert upload_posts(served) == 0
    sent = served.invoke("files", "upload", "--no-check-archive", str(damaged))
    assert sent.exit_code == 0, sent.output
    assert upload_posts(served) == 1


def test_a_failed_files_name_reaches_the_terminal_with_its_escapes_escaped(
    served: ServedEmulator, tmp_path: Path
) -> None:
    damaged = tmp_path / "\x1b]0;pwned\x07\x1b[2Jsample.vcf.gz"
    damaged.write_bytes(gzip.compress(GENOTYPE)[:-50])
    result = served.invoke("files", "upload-many", str(damaged))
    assert result.exit_code == 1, result.output
    assert "sample.vcf.gz" in result.stderr
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
