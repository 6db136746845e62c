"""``galatea files sftp-upload`` against a local SFTP server, and ``galatea emulator``."""

from __future__ import annotations

import gzip
import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from anyio.from_thread import start_blocking_portal

from tests.cli.conftest import ServedEmulator, run_galatea
from tests.sftp_support import SftpServer, serve_sftp


@pytest.fixture
def sftp_server(tmp_path: Path) -> Iterator[SftpServer]:
    directory = tmp_path / "sftp"
    directory.mkdir()
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(serve_sftp(directory)) as server,
    ):
        yield server


def sftp_args(server: SftpServer) -> list[str]:
    return ["--host", server.host, "--port", str(server.port), "--user", server.username]


def test_sftp_upload_verifies_the_host_and_lands_the_file(
    served: ServedEmulator, sftp_server: SftpServer, tmp_path: Path
) -> None:
    sample = tmp_path / "big-sample.vcf.gz"
    sample.write_bytes(gzip.compress(bytes(range(256)) * 400))  # a sound archive: it is checked
    result = served.invoke(
        "--json",
        "files",
        "sftp-upload",
        str(sample),
        *sftp_args(sftp_server),
        "--key",
        str(sftp_server.client_key),
        "--known-hosts",
        str(sftp_server.known_hosts),
        "--remote-folder",
        "2025-Feb-27",
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["remote_path"] == "2025-Feb-27/big-sample.vcf.gz"
    landed = sftp_server.root / "2025-Feb-27" / "big-sample.vcf.gz"
    assert landed.read_bytes() == sample.read_bytes()


@pytest.mark.parametrize("flags", [[], ["--no-check-archive"]])
def test_sftp_upload_of_a_truncated_gzip_is_refused_unless_the_check_is_off(
    served: ServedEmulator, sftp_server: SftpServer, tmp_path: Path, flags: list[str]
) -> None:
    sample = tmp_path / "cut.vcf.gz"
    sample.write_bytes(gzip.compress(bytes(range(256)) * 400)[:-20])
    result = served.invoke(
        "--json",
        "files",
        "sftp-upload",
        str(sample),
        *flags,
        *sftp_args(sftp_server),
        "--key",
        str(sftp_server.client_key),
        "--known-hosts",
        str(sftp_server.known_hosts),
        "--remote-folder",
        "2025-Feb-27",
    )
    landed = sftp_server.root / "2025-Feb-27" / "cut.vcf.gz"
    if flags:
        assert result.exit_code == 0, result.output
        assert landed.read_bytes() == sample.read_bytes()
    else:
        assert result.exit_code == 1, result.output
        assert "cut.vcf.gz" in result.stderr
        assert not any((sftp_server.root / "2025-Feb-27").glob("*"))


def test_sftp_upload_uses_the_stored_settings(
    served: ServedEmulator, sftp_server: SftpServer, tmp_path: Path
) -> None:
    served.invoke(
        "config",
        "set",
        "--sftp-host",
        sftp_server.host,
        "--sftp-user",
        sftp_server.username,
        "--sftp-keyfile",
        str(sftp_server.client_key),
        "--sftp-known-hosts",
        str(sftp_server.known_hosts),
    )
    sample = tmp_path / "stored.vcf"
    sample.write_bytes(b"##fileformat=VCFv4.2\n")
    result = served.invoke(
        "files",
        "sftp-upload",
        str(sample),
        "--port",
        str(sftp_server.port),
        "--remote-name",
        "x.vcf",
    )
    assert result.exit_code == 0, result.output
    assert list(sftp_server.root.rglob("x.vcf"))


def test_sftp_upload_refuses_an_unknown_host_key(
    served: ServedEmulator, sftp_server: SftpServer, tmp_path: Path
) -> None:
    sample = tmp_path / "s.vcf"
    sample.write_bytes(b"data")
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    result = served.invoke(
        "files",
        "sftp-upload",
        str(sample),
        *sftp_args(sftp_server),
        "--key",
        str(sftp_server.client_key),
        "--known-hosts",
        str(empty),
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")
    assert "host key" in result.stderr
    assert "Traceback" not in result.output
    assert not list(sftp_server.root.rglob("s.vcf"))


def test_insecure_host_key_flag_warns_loudly(
    served: ServedEmulator, sftp_server: SftpServer, tmp_path: Path
) -> None:
    sample = tmp_path / "s.vcf"
    sample.write_bytes(b"data")
    result = served.invoke(
        "files",
        "sftp-upload",
        str(sample),
        *sftp_args(sftp_server),
        "--key",
        str(sftp_server.client_key),
        "--insecure-accept-any-host-key",
    )
    assert result.exit_code == 0, result.output
    assert "verification is OFF" in result.stderr


def test_sftp_upload_without_a_host_says_how_to_set_one(
    served: ServedEmulator, tmp_path: Path
) -> None:
    sample = tmp_path / "s.vcf"
    sample.write_bytes(b"data")
    result = served.invoke("files", "sftp-upload", str(sample))
    assert result.exit_code == 2
    assert "galatea config set --sftp-host" in result.stderr


def test_emulator_command_serves_until_interrupted(tmp_path: Path) -> None:
    environment = {"PYTHONPATH": str(Path(__file__).resolve().parents[2]), "PATH": "/usr/bin:/bin"}
    process = subprocess.Popen(
        [sys.executable, "-m", "galatea_async.cli", "--json", "emulator", "--port", "0"],
        env=environment,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        details = json.loads(process.stdout.readline())
        listed = run_galatea(
            "--json",
            "--base-url",
            details["base_url"],
            "--api-key",
            details["api_key"],
            "tags",
            "list",
            env={**environment, "GALATEA_CONFIG": str(tmp_path / "none.toml")},
            cwd=tmp_path,
        )
        assert listed.returncode == 0, listed.stderr
        assert json.loads(listed.stdout)
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
