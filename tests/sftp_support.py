"""An in-process asyncssh SFTP server on 127.0.0.1 for the SFTP tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import asyncssh
import pytest

from galatea_async.sftp import SftpUploader

ServerFactory = Callable[[asyncssh.SSHServerChannel[bytes], bytes], asyncssh.SFTPServer]


@dataclass(frozen=True)
class SftpServer:
    """Where the test server listens and the files a client needs to reach it."""

    host: str
    port: int
    username: str
    root: Path  # what the SFTP session sees as "/"
    client_key: Path  # private key authorised for `username`
    known_hosts: Path  # lists the server's real host key
    host_key: asyncssh.SSHKey


def _rooted(channel: asyncssh.SSHServerChannel[bytes], root: bytes) -> asyncssh.SFTPServer:
    return asyncssh.SFTPServer(channel, chroot=root)


@asynccontextmanager
async def serve_sftp(
    directory: Path, *, server_factory: ServerFactory = _rooted
) -> AsyncIterator[SftpServer]:
    """Serve SFTP over 127.0.0.1 with fresh keys; files land in ``directory / "root"``."""
    root = directory / "root"
    root.mkdir()
    # ssh-ed25519 keys are generated fastest, which keeps the tests quick.
    host_key = asyncssh.generate_private_key("ssh-ed25519")
    client_key = asyncssh.generate_private_key("ssh-ed25519")
    client_key_path = directory / "client_key"
    client_key.write_private_key(str(client_key_path))
    authorized = asyncssh.import_authorized_keys(client_key.export_public_key().decode("ascii"))
    chroot = str(root).encode()
    listener = await asyncssh.listen(
        "127.0.0.1",
        0,
        server_host_keys=[host_key],
        authorized_client_keys=authorized,
        sftp_factory=lambda channel: server_factory(channel, chroot),
        allow_scp=False,
    )
    port = listener.get_port()
    known_hosts = directory / "known_hosts"
    write_known_hosts(known_hosts, port, host_key)
    try:
        yield SftpServer(
            host="127.0.0.1",
            port=port,
            username="sftp-user",
            root=root,
            client_key=client_key_path,
            known_hosts=known_hosts,
            host_key=host_key,
        )
    finally:
        listener.close()
        await listener.wait_closed()


def write_known_hosts(path: Path, port: int, key: asyncssh.SSHKey) -> None:
    """Write a known_hosts file trusting ``key`` for 127.0.0.1 on ``port``."""
    public = key.export_public_key().decode("ascii").strip()
    path.write_text(f"[127.0.0.1]:{port} {public}\n")


def files_under(root: Path) -> list[str]:
    """Every file below ``root``, as sorted paths relative to it (hidden ones included)."""
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


class FailingWrites(asyncssh.SFTPServer):
    """Accepts writes until ``limit`` bytes have arrived, then fails every later write."""

    limit = 256 * 1024

    def __init__(self, channel: asyncssh.SSHServerChannel[bytes], chroot: bytes) -> None:
        super().__init__(channel, chroot=chroot)
        self.received = 0

    def write(self, file_obj: object, offset: int, data: bytes) -> int:
        if self.received + len(data) > self.limit:
            raise asyncssh.SFTPFailure("No space left on device")
        self.received += len(data)
        written = super().write(file_obj, offset, data)
        assert isinstance(written, int)  # the local-file server writes synchronously
        return written


class GatedWrites(asyncssh.SFTPServer):
    """Holds every write until ``gate`` is set; sets ``first_write`` when one arrives."""

    def __init__(
        self,
        channel: asyncssh.SSHServerChannel[bytes],
        chroot: bytes,
        *,
        first_write: asyncio.Event,
        gate: asyncio.Event,
    ) -> None:
        super().__init__(channel, chroot=chroot)
        self.first_write = first_write
        self.gate = gate

    async def write(self, file_obj: object, offset: int, data: bytes) -> int:
        self.first_write.set()
        await self.gate.wait()
        written = super().write(file_obj, offset, data)
        assert isinstance(written, int)  # the local-file server writes synchronously
        return written


def uploader_for(server: SftpServer, **overrides: Any) -> SftpUploader:
    """An uploader for ``server`` that trusts its host key and retries without waiting."""
    options: dict[str, Any] = {
        "port": server.port,
        "client_keys": [server.client_key],
        "known_hosts": server.known_hosts,
        "today": lambda: date(2025, 2, 27),
        "connect_timeout": 10.0,
        "retry_backoff": 0.0,
    }
    options.update(overrides)
    return SftpUploader(server.host, server.username, **options)


class CuttingRelay:
    """A TCP relay on 127.0.0.1 to ``target_port`` that cuts connections for real.

    Connection number ``i`` is cut once ``cuts[i]`` bytes have gone from the client to the
    server: the server's side is closed and, once the server has ended the session, the
    client's side is reset. Connections past the end of ``cuts`` are relayed whole.
    """

    def __init__(self, target_port: int, cuts: list[int]) -> None:
        self.target_port = target_port
        self.cuts = cuts
        self.connections = 0
        self.sent_upstream = 0  # bytes from clients to the server, over all connections
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._open: set[asyncio.StreamWriter] = set()

    async def __aenter__(self) -> CuttingRelay:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()
        for side in list(self._open):
            side.transport.abort()  # each relay task then ends on its own
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    def cut_open_connections(self) -> None:
        """Reset every relayed connection now, both sides, as when a link drops."""
        for side in list(self._open):
            side.transport.abort()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        number = self.connections
        self.connections += 1
        cut = self.cuts[number] if number < len(self.cuts) else None
        upstream_reader, upstream_writer = await asyncio.open_connection(
            "127.0.0.1", self.target_port
        )
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._open.update((writer, upstream_writer))
        upload = asyncio.ensure_future(self._pump(reader, upstream_writer, limit=cut, count=True))
        download = asyncio.ensure_future(
            self._pump(upstream_reader, writer, limit=None, count=False)
        )
        try:
            finished, _ = await asyncio.wait(
                {upload, download}, return_when=asyncio.FIRST_COMPLETED
            )
            if upload in finished and upload.exception() is None and upload.result():
                # Cut: the server stores what reached it and ends the session; only then
                # does the client see the reset, so the partial it finds does not depend
                # on how fast the server was scheduled.
                if upstream_writer.can_write_eof():
                    upstream_writer.write_eof()
                await asyncio.wait({download})
        finally:
            for pump in (upload, download):
                pump.cancel()
            await asyncio.gather(upload, download, return_exceptions=True)
            self._tasks.discard(task)
            self._open.difference_update((writer, upstream_writer))
            writer.transport.abort()  # a reset, as when a link drops
            upstream_writer.transport.abort()

    async def _pump(
        self,
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        *,
        limit: int | None,
        count: bool,
    ) -> bool:
        """Copy until ``limit`` bytes (True) or the end of ``source`` (False)."""
        sent = 0
        while data := await source.read(65536):
            if limit is not None and sent + len(data) >= limit:
                data = data[: limit - sent]
            sink.write(data)
            sent += len(data)
            if count:
                self.sent_upstream += len(data)
            await sink.drain()
            if sent == limit:
                return True
        return False


class WriteOnly(asyncssh.SFTPServer):
    """A drop box: files can be written and renamed, not listed nor read back."""

    def __init__(self, channel: asyncssh.SSHServerChannel[bytes], chroot: bytes) -> None:
        super().__init__(channel, chroot=chroot)

    def scandir(self, path: bytes) -> AsyncIterator[asyncssh.SFTPName]:
        raise asyncssh.SFTPPermissionDenied("Listing is not allowed")

    def open(self, path: bytes, pflags: int, attrs: asyncssh.SFTPAttrs) -> object:
        if pflags & asyncssh.FXF_READ:
            raise asyncssh.SFTPPermissionDenied("Reading is not allowed")
        return super().open(path, pflags, attrs)


# Fixtures for the modules that import them (pytest finds fixtures in a module's namespace).


@pytest.fixture(autouse=True)
def _no_user_ssh_setup(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Keep the user's agent, keys, config and known_hosts out of every test.
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[SftpServer]:
    async with serve_sftp(tmp_path) as running:
        yield running
