"""Reaching Galatea's SFTP server: the login, asyncssh's options, and the mapped refusals."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import asyncssh
import attrs

from galatea_async._sftp_ciphers import cipher_preference, configured_ciphers, default_ciphers
from galatea_async._sftp_job import reason
from galatea_async.errors import SftpError, SftpHostKeyError

__all__ = ["SftpLogin", "open_session"]


@attrs.frozen
class SftpLogin:
    """Where and as whom to connect; the secrets never appear in its repr."""

    host: str
    port: int
    username: str
    client_keys: list[str] | None = attrs.field(repr=False)
    passphrase: str | None = attrs.field(repr=False)
    password: str | None = attrs.field(repr=False)
    known_hosts: Path | None
    insecure: bool
    connect_timeout: float
    encryption_algs: list[str] | None

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def known_hosts_file(self) -> Path:
        return self.known_hosts or Path("~", ".ssh", "known_hosts").expanduser()

    def _known_hosts_argument(self) -> str | bytes | None:
        if self.insecure:
            return None  # asyncssh's way of saying "accept any host key"
        path = self.known_hosts_file()
        # A missing file trusts nothing, so the connection is refused with a clear message.
        return str(path) if path.is_file() else b""

    def asyncssh_options(self) -> dict[str, Any]:
        """``asyncssh.connect``'s keyword arguments; the ciphers honour ``~/.ssh/config``."""
        options: dict[str, Any] = {
            "username": self.username,
            "known_hosts": self._known_hosts_argument(),
            "connect_timeout": self.connect_timeout,
        }
        if self.client_keys is not None:
            options["client_keys"] = self.client_keys
        if self.passphrase is not None:
            options["passphrase"] = self.passphrase
        if self.password is not None:
            options["password"] = self.password
        ciphers = cipher_preference(
            self.encryption_algs,
            configured_ciphers(self.host, self.port, self.username),
            default_ciphers(),
        )
        if ciphers is not None:
            options["encryption_algs"] = ciphers
        return options


async def open_session(
    login: SftpLogin,
) -> tuple[asyncssh.SSHClientConnection, asyncssh.SFTPClient]:
    """Connect and start an SFTP session; ``SftpHostKeyError`` or ``SftpError`` if refused."""
    where = login.where
    try:
        connection = await asyncssh.connect(login.host, login.port, **login.asyncssh_options())
    except asyncssh.HostKeyNotVerifiable as exc:
        raise SftpHostKeyError(
            f"The host key of the SFTP server {where} is not trusted: it is not in "
            f"{login.known_hosts_file()} or differs from the key there ({exc.reason}). "
            "Get the server's key fingerprint from Galatea, add the key to that file (or "
            "pass known_hosts=...), and try again. insecure_accept_any_host_key=True skips "
            "this check, for test servers only."
        ) from exc
    except (asyncssh.Error, OSError, asyncio.TimeoutError) as exc:
        raise SftpError(
            f"Could not connect to the SFTP server {where} as {login.username}: {reason(exc)}"
        ) from exc
    try:
        return connection, await connection.start_sftp_client()
    except BaseException as exc:
        connection.close()
        if isinstance(exc, (asyncssh.Error, OSError)):
            raise SftpError(
                f"The SSH server {where} did not start an SFTP session: {reason(exc)}"
            ) from exc
        raise
