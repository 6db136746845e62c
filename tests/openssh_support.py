"""A real OpenSSH ``sshd`` (internal-sftp) on 127.0.0.1 for the SFTP tests.

``openssh_sshd`` finds ``/usr/sbin/sshd``; where it is missing and apt-get is usable (CI runs as
root on Debian) it installs ``openssh-server`` once, under a file lock so parallel test workers
do not race for dpkg's lock. Where OpenSSH cannot be had, ``sftp_server`` falls back to
asyncssh's own server in a thread and says so in the test report header.

Each test gets its own sshd: generated host and client keys, a temporary config, a free port,
``-D -e``, no PAM, the SFTP session starting in the test's own ``root`` folder.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import getpass
import os
import shutil
import socket
import subprocess
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path

import asyncssh
import pytest

from tests.sftp_support import SftpServer, serve_sftp, write_known_hosts

SSHD = Path("/usr/sbin/sshd")
_INSTALL_LOCK = Path("/tmp/galatea-async-openssh-install.lock")


def install_openssh_server() -> str | None:
    """Install openssh-server when sshd is missing; None when done, else why it could not be."""
    if SSHD.exists():
        return None
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        return "sshd is missing and apt-get cannot install it here (needs root on Debian)"
    with _INSTALL_LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if SSHD.exists():  # another test worker installed it meanwhile
            return None
        done = _apt_get("install", "-y", "--no-install-recommends", "openssh-server")
        if done.returncode != 0:
            # A fresh machine may have no package lists yet.
            _apt_get("update")
            done = _apt_get("install", "-y", "--no-install-recommends", "openssh-server")
        if done.returncode != 0 or not SSHD.exists():
            return f"apt-get install openssh-server failed: {done.stderr.strip()[-300:]}"
    return None


def _apt_get(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["apt-get", "-o", "DPkg::Lock::Timeout=300", *arguments],
        capture_output=True,
        text=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        check=False,
        timeout=600,
    )


@pytest.fixture(scope="session")
def openssh_missing_reason() -> str | None:
    """Why OpenSSH's sshd cannot be had here, installing it first if needed; None: it can."""
    return install_openssh_server()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _sshd_config(directory: Path, root: Path, port: int) -> Path:
    user = getpass.getuser()
    config = directory / "sshd_config"
    config.write_text(
        "\n".join(
            [
                "ListenAddress 127.0.0.1",
                f"Port {port}",
                f"HostKey {directory / 'host_key'}",
                "PidFile none",
                "UsePAM no",
                "StrictModes no",
                "PermitRootLogin prohibit-password",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                f"AuthorizedKeysFile {directory / 'authorized_keys'}",
                f"AllowUsers {user}",
                f"Subsystem sftp internal-sftp -d {root}",
                f"ForceCommand internal-sftp -d {root}",
                "LogLevel INFO",
                "",
            ]
        )
    )
    return config


def _write_keys(directory: Path) -> tuple[asyncssh.SSHKey, Path]:
    # ssh-ed25519 keys are generated fastest, which keeps the tests quick.
    host_key = asyncssh.generate_private_key("ssh-ed25519")
    client_key = asyncssh.generate_private_key("ssh-ed25519")
    host_key.write_private_key(str(directory / "host_key"))
    os.chmod(directory / "host_key", 0o600)
    client_key_path = directory / "client_key"
    client_key.write_private_key(str(client_key_path))
    os.chmod(client_key_path, 0o600)  # OpenSSH's clients refuse keys others can read
    (directory / "authorized_keys").write_bytes(client_key.export_public_key())
    return host_key, client_key_path


def _wait_until_listening(process: subprocess.Popen[str]) -> list[str]:
    """sshd's log lines up to "Server listening"; the rest is drained in a thread."""
    assert process.stderr is not None
    lines: list[str] = []
    for line in process.stderr:
        lines.append(line.rstrip())
        if "Server listening" in line:
            threading.Thread(target=lines.extend, args=(process.stderr,), daemon=True).start()
            return lines
    raise RuntimeError("sshd exited before listening: " + " | ".join(lines[-5:]))


@contextlib.contextmanager
def run_sshd(directory: Path) -> Iterator[SftpServer]:
    """Run OpenSSH's sshd for one test; files land in ``directory / "root"``."""
    root = directory / "root"
    root.mkdir()
    host_key, client_key_path = _write_keys(directory)
    if os.geteuid() == 0:
        # sshd running as root insists on its privilege separation directory.
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    for _attempt in range(5):
        port = _free_port()
        config = _sshd_config(directory, root, port)
        process = subprocess.Popen(
            [str(SSHD), "-D", "-e", "-f", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            _wait_until_listening(process)
        except RuntimeError:
            process.wait(timeout=10)
            continue  # most likely the port was taken between the probe and sshd's bind
        break
    else:
        raise RuntimeError("sshd did not start on any of 5 free ports")
    known_hosts = directory / "known_hosts"
    write_known_hosts(known_hosts, port, host_key)
    try:
        yield SftpServer(
            host="127.0.0.1",
            port=port,
            username=getpass.getuser(),
            root=root,
            client_key=client_key_path,
            known_hosts=known_hosts,
            host_key=host_key,
        )
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextlib.contextmanager
def run_asyncssh_server(directory: Path) -> Iterator[SftpServer]:
    """asyncssh's own SFTP server in a thread with its own event loop (the fallback)."""
    loop = asyncio.new_event_loop()
    started: asyncio.Future[SftpServer] = loop.create_future()
    stop = asyncio.Event()

    async def serve() -> None:
        async with serve_sftp(directory) as running:
            started.set_result(running)
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    ready = threading.Event()
    loop.call_soon_threadsafe(lambda: started.add_done_callback(lambda _: ready.set()))
    ready.wait(timeout=30)
    try:
        yield started.result()
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=30)
        loop.close()


@pytest.fixture
def sftp_server(openssh_missing_reason: str | None, tmp_path: Path) -> Iterator[SftpServer]:
    """OpenSSH's sshd for this test, or asyncssh's server where OpenSSH cannot be had."""
    server = tmp_path / "server"
    server.mkdir()
    if openssh_missing_reason is None:
        with run_sshd(server) as running:
            yield running
        return
    warnings.warn(
        f"SFTP test ran against asyncssh's own server: {openssh_missing_reason}", stacklevel=1
    )
    with run_asyncssh_server(server) as running:
        yield running
