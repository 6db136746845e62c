"""Upload files of any size to Galatea's SFTP server, then find them in the API.

Files of 50 MB and more reach Galatea by SFTP. Needs the ``sftp`` extra
(``pip install 'galatea-async[sftp]'``)::

    from galatea_async.sftp import SftpUploader, upload_and_register

    async with SftpUploader("sftp.galatea.bio", "sftp-user-5c9a4f01",
                            client_keys=["~/.ssh/id_galatea"]) as sftp:
        remote_path = await sftp.upload("sample.vcf.gz", progress=print)
        # or, with an AsyncGalatea client, wait until the API lists the file:
        source_file = await upload_and_register(client, sftp, "other.vcf.gz")

The server's host key is checked against ``~/.ssh/known_hosts`` (or the ``known_hosts`` given);
only ``insecure_accept_any_host_key=True`` turns that off. Each upload goes into a folder per
day (``2025-Feb-27``), as the vendor advises, is written under a temporary name and renamed
once complete, so the server never sees half a file under the final name; a failed or cancelled
upload removes what it wrote.

Errors::

    GalateaError
    └── SftpError                 connecting, authenticating or uploading failed
        ├── SftpHostKeyError      the server's host key is unknown or does not match
        └── SftpFileExistsError   the remote file exists and overwrite was not asked for
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import Any

import anyio

from galatea_async._http._redact import register_secret, unregister_secret
from galatea_async._sftp_paths import (
    check_remote_folder,
    check_remote_name,
    date_folder,
    remote_path,
    temporary_name,
)
from galatea_async._sftp_register import (
    FileLister,
    FilesClient,
    Progress,
    RegisteredFile,
    upload_and_register,
)
from galatea_async.errors import SftpError, SftpFileExistsError, SftpHostKeyError

try:
    import asyncssh
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "galatea_async.sftp needs asyncssh: pip install 'galatea-async[sftp]'"
    ) from exc

__all__ = [
    "FileLister",
    "FilesClient",
    "Progress",
    "RegisteredFile",
    "SftpError",
    "SftpFileExistsError",
    "SftpHostKeyError",
    "SftpUploader",
    "check_remote_name",
    "date_folder",
    "upload_and_register",
]

logger = logging.getLogger("galatea_async.sftp")

# Bytes per SFTP write and writes in flight: at most 4 MiB of the file is in memory at once.
_BLOCK_SIZE = 256 * 1024
_PARALLEL_REQUESTS = 16

# Removing a temporary file after a failure gets this long before we give up on it.
_CLEANUP_SECONDS = 10.0


class SftpUploader:
    """An open SFTP connection to Galatea's server; use it with ``async with``.

    ``known_hosts`` is a known_hosts file; ``None`` means ``~/.ssh/known_hosts`` (a missing file
    trusts no key). ``insecure_accept_any_host_key=True`` skips host key verification, which
    lets anyone between you and the server read the upload: use it only against test servers.
    ``client_keys`` are private key files (``None``: the ssh agent and the default keys in
    ``~/.ssh``); ``passphrase`` unlocks them. ``today`` gives the date of the default folder.
    """

    def __init__(
        self,
        host: str,
        username: str,
        *,
        port: int = 22,
        client_keys: Sequence[str | os.PathLike[str]] | None = None,
        passphrase: str | None = None,
        password: str | None = None,
        known_hosts: str | os.PathLike[str] | None = None,
        insecure_accept_any_host_key: bool = False,
        connect_timeout: float = 30.0,
        today: Callable[[], date] = date.today,
    ) -> None:
        if insecure_accept_any_host_key and known_hosts is not None:
            raise ValueError("pass known_hosts or insecure_accept_any_host_key=True, not both")
        self.host = host
        self.port = port
        self.username = username
        self._client_keys = (
            None if client_keys is None else [str(Path(key).expanduser()) for key in client_keys]
        )
        self._passphrase = passphrase
        self._password = password
        self._known_hosts = None if known_hosts is None else Path(known_hosts).expanduser()
        self._insecure = insecure_accept_any_host_key
        self._connect_timeout = connect_timeout
        self._today = today
        self._connection: asyncssh.SSHClientConnection | None = None
        self._sftp: asyncssh.SFTPClient | None = None

    def __repr__(self) -> str:
        state = "open" if self._sftp is not None else "closed"
        return (
            f"SftpUploader(host={self.host!r}, port={self.port}, "
            f"username={self.username!r}, {state})"
        )

    async def __aenter__(self) -> SftpUploader:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    def _known_hosts_file(self) -> Path:
        return self._known_hosts or Path("~", ".ssh", "known_hosts").expanduser()

    def _known_hosts_argument(self) -> str | bytes | None:
        if self._insecure:
            return None  # asyncssh's way of saying "accept any host key"
        path = self._known_hosts_file()
        # A missing file trusts nothing, so the connection is refused with a clear message.
        return str(path) if path.is_file() else b""

    async def connect(self) -> None:
        """Connect and start the SFTP session (``async with`` does this for you)."""
        if self._sftp is not None:
            return
        if self._insecure:
            logger.warning(
                "SFTP host key verification is OFF for %s:%d (insecure_accept_any_host_key)",
                self.host,
                self.port,
            )
        options: dict[str, Any] = {
            "username": self.username,
            "known_hosts": self._known_hosts_argument(),
            "connect_timeout": self._connect_timeout,
        }
        if self._client_keys is not None:
            options["client_keys"] = self._client_keys
        if self._passphrase is not None:
            options["passphrase"] = self._passphrase
        if self._password is not None:
            options["password"] = self._password
        where = f"{self.host}:{self.port}"
        # Registered while connected, so no message or log can show them.
        register_secret(self._password)
        register_secret(self._passphrase)
        try:
            connection = await self._open_connection(options)
        except BaseException:
            self._forget_secrets()
            raise
        self._connection = connection
        logger.info("SFTP connected to %s as %s", where, self.username)

    def _forget_secrets(self) -> None:
        unregister_secret(self._password)
        unregister_secret(self._passphrase)

    async def _open_connection(self, options: dict[str, Any]) -> asyncssh.SSHClientConnection:
        where = f"{self.host}:{self.port}"
        try:
            connection = await asyncssh.connect(self.host, self.port, **options)
        except asyncssh.HostKeyNotVerifiable as exc:
            raise SftpHostKeyError(
                f"The host key of the SFTP server {where} is not trusted: it is not in "
                f"{self._known_hosts_file()} or differs from the key there ({exc.reason}). "
                "Get the server's key fingerprint from Galatea, add the key to that file (or "
                "pass known_hosts=...), and try again. insecure_accept_any_host_key=True skips "
                "this check, for test servers only."
            ) from exc
        except (asyncssh.Error, OSError, asyncio.TimeoutError) as exc:
            raise SftpError(
                f"Could not connect to the SFTP server {where} as {self.username}: {_reason(exc)}"
            ) from exc
        try:
            self._sftp = await connection.start_sftp_client()
        except BaseException as exc:
            connection.close()
            if isinstance(exc, (asyncssh.Error, OSError)):
                raise SftpError(
                    f"The SSH server {where} did not start an SFTP session: {_reason(exc)}"
                ) from exc
            raise
        return connection

    async def aclose(self) -> None:
        """Close the SFTP session and the connection; the uploader can connect again later."""
        sftp, connection = self._sftp, self._connection
        self._sftp = self._connection = None
        if sftp is not None:
            sftp.exit()
        if connection is not None:
            connection.close()
            await connection.wait_closed()
            self._forget_secrets()

    def _open_session(self) -> asyncssh.SFTPClient:
        if self._sftp is None:
            raise RuntimeError("SftpUploader is not connected: use `async with SftpUploader(...)`")
        return self._sftp

    async def upload(
        self,
        local_path: str | os.PathLike[str],
        *,
        remote_name: str | None = None,
        remote_folder: str | None = None,
        progress: Progress | None = None,
        overwrite: bool = False,
    ) -> str:
        """Upload a local file; returns its remote path, e.g. ``2025-Feb-27/sample.vcf.gz``.

        ``remote_name`` defaults to the local file's name; ``remote_folder`` to today's date
        folder (created if missing; ``""`` means the login directory). The file is streamed,
        written under a temporary name in the same folder and renamed once complete. An existing
        remote file is never replaced unless ``overwrite=True``. On failure or cancellation the
        temporary file is removed.
        """
        sftp = self._open_session()
        source, size = _local_file(local_path)
        name = check_remote_name(source.name if remote_name is None else remote_name)
        folder = check_remote_folder(
            date_folder(self._today()) if remote_folder is None else remote_folder
        )
        final = remote_path(folder, name)
        temporary = remote_path(folder, temporary_name(name))
        where = f"{self.host}:{self.port}"
        logger.info("SFTP upload of %s (%d bytes) to %s/%s", source.name, size, where, final)
        reporter = _ProgressReporter(progress, size)
        block_size, parallel_requests = _request_sizes(sftp)

        try:
            if folder:
                await sftp.makedirs(folder, exist_ok=True)
            if not overwrite and await sftp.exists(final):
                raise _exists_error(where, final)
        except (asyncssh.Error, OSError) as exc:
            raise SftpError(f"SFTP upload to {where}/{final} failed: {_reason(exc)}") from exc

        try:
            reporter(0)
            await sftp.put(
                str(source),
                temporary,
                follow_symlinks=True,
                progress_handler=lambda _src, _dst, done, _total: reporter(done),
                block_size=block_size,
                max_requests=parallel_requests,
            )
            await _move_into_place(sftp, temporary, final, overwrite=overwrite, where=where)
            reporter(size)
        except BaseException as exc:
            removed = await _remove_quietly(sftp, temporary)
            if isinstance(exc, SftpError):
                raise
            if isinstance(exc, (asyncssh.Error, OSError)):
                left = "" if removed else f"; the partial file {temporary} may remain"
                raise SftpError(
                    f"SFTP upload of {source.name} to {where}/{final} failed: {_reason(exc)}{left}"
                ) from exc
            raise
        logger.info("SFTP upload of %s to %s/%s complete", source.name, where, final)
        return final


def _local_file(local_path: str | os.PathLike[str]) -> tuple[Path, int]:
    source = Path(local_path).expanduser()
    if not source.is_file():
        raise FileNotFoundError(f"No such file to upload: {source}")
    return source, source.stat().st_size


def _exists_error(where: str, path: str) -> SftpFileExistsError:
    return SftpFileExistsError(
        f"{where}/{path} already exists; choose another remote_name (unique names are "
        "advised) or pass overwrite=True"
    )


async def _move_into_place(
    sftp: asyncssh.SFTPClient, temporary: str, final: str, *, overwrite: bool, where: str
) -> None:
    if overwrite:
        try:
            await sftp.posix_rename(temporary, final)
            return
        except asyncssh.SFTPOpUnsupported:
            pass
        with contextlib.suppress(asyncssh.SFTPNoSuchFile):
            await sftp.remove(final)
        await sftp.rename(temporary, final)
        return
    try:
        # Plain SFTP rename never replaces an existing file, so a file that appeared
        # since the check above is kept.
        await sftp.rename(temporary, final)
    except asyncssh.SFTPError:
        if await sftp.exists(final):
            raise _exists_error(where, final) from None
        raise


async def _remove_quietly(sftp: asyncssh.SFTPClient, path: str) -> bool:
    """Remove ``path`` even while being cancelled; whether it is gone (or never was)."""
    with anyio.CancelScope(shield=True) as scope:
        scope.deadline = anyio.current_time() + _CLEANUP_SECONDS
        try:
            await sftp.remove(path)
        except asyncssh.SFTPNoSuchFile:
            return True
        except (asyncssh.Error, OSError) as exc:
            logger.warning("Could not remove the partial SFTP file %s: %s", path, _reason(exc))
            return False
        return True
    logger.warning("Timed out removing the partial SFTP file %s", path)
    return False


def _request_sizes(sftp: asyncssh.SFTPClient) -> tuple[int, int]:
    """Block size and writes in flight for ``put``: bounded memory, frequent progress."""
    limits = getattr(sftp, "limits", None)  # newer asyncssh reads the server's limits
    if limits is None or limits.max_write_len <= 0:
        return 16 * 1024, 128  # older asyncssh's own defaults
    # Servers may allow 4 MiB writes; smaller blocks keep at most 4 MiB in flight.
    return min(limits.max_write_len, _BLOCK_SIZE), _PARALLEL_REQUESTS


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    text = reason if isinstance(reason, str) and reason else str(exc)
    return text or type(exc).__name__


class _ProgressReporter:
    """Calls ``progress`` with growing byte counts only, ending at the file's size."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self._progress = progress
        self._total = total
        self._last = -1

    def __call__(self, done: int) -> None:
        if self._progress is not None and done > self._last:
            self._last = done
            self._progress(done, self._total)
