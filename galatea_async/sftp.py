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
day (``2025-Feb-27``), as the vendor advises, is streamed into a hidden partial file and renamed
once its size matches the local file's, so the server never sees half a file under the final
name. A dropped connection is retried and resumed from what reached the server (see
``_sftp_resume`` for the rules); a failed upload removes its partial.

Errors::

    GalateaError
    └── SftpError                 connecting, authenticating or uploading failed
        ├── SftpHostKeyError      the server's host key is unknown or does not match
        └── SftpFileExistsError   the remote file exists and overwrite was not asked for
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from types import TracebackType

import anyio

from galatea_async._http._redact import register_secret, unregister_secret
from galatea_async._http._retry import RetryPolicy, backoff_delay
from galatea_async._progress import Progress
from galatea_async._sftp_paths import check_remote_name, date_folder
from galatea_async._sftp_register import (
    FileLister,
    FilesClient,
    RegisteredFile,
    upload_and_register,
)
from galatea_async.errors import GalateaError, SftpError, SftpFileExistsError, SftpHostKeyError

try:
    with warnings.catch_warnings():
        # asyncssh's own type aliases name DSA keys, which cryptography deprecates; nothing
        # here uses DSA, and the warning would print on every upload command.
        warnings.filterwarnings("ignore", message="DSA is deprecated", module="asyncssh")
        import asyncssh
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "galatea_async.sftp needs asyncssh: pip install 'galatea-async[sftp]'"
    ) from exc

from galatea_async._sftp_connection import SftpLogin, open_session
from galatea_async._sftp_job import (
    GrowingProgress,
    UploadJob,
    archive_check_for,
    is_connection_drop,
    reason,
    request_sizes,
)
from galatea_async._sftp_transfer import (
    exists_error,
    remove_quietly,
    remove_stale_partials,
    upload_attempt,
)

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

_BACKOFF_MAX = 30.0


class SftpUploader:
    """An open SFTP connection to Galatea's server; use it with ``async with``.

    ``known_hosts`` is a known_hosts file; ``None`` means ``~/.ssh/known_hosts`` (a missing file
    trusts no key). ``insecure_accept_any_host_key=True`` skips host key verification, which
    lets anyone between you and the server read the upload: use it only against test servers.
    ``client_keys`` are private key files (``None``: the ssh agent and the default keys in
    ``~/.ssh``); ``passphrase`` unlocks them. ``today`` gives the date of the default folder.

    ``encryption_algs`` lists the ciphers to offer, best first; by default a ``Ciphers`` line in
    ``~/.ssh/config`` is honoured, else AES-GCM is preferred, then chacha20-poly1305 (the
    server picks among what it allows). ``max_retries`` is how often one upload reconnects
    and resumes after the connection drops, waiting ``retry_backoff`` seconds doubled each
    time (with jitter, at most 30 s).
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
        encryption_algs: Sequence[str] | None = None,
        max_retries: int = 3,
        retry_backoff: float = 1.0,
        today: Callable[[], date] = date.today,
    ) -> None:
        if insecure_accept_any_host_key and known_hosts is not None:
            raise ValueError("pass known_hosts or insecure_accept_any_host_key=True, not both")
        if isinstance(encryption_algs, str):
            raise TypeError(
                f"encryption_algs must be a list of cipher names, e.g. [{encryption_algs!r}]"
            )
        if isinstance(retry_backoff, bool) or not (0 <= retry_backoff <= _BACKOFF_MAX):
            raise ValueError(f"retry_backoff must be 0 to {_BACKOFF_MAX:g} seconds")
        self.host = host
        self.port = port
        self.username = username
        self._login = SftpLogin(
            host=host,
            port=port,
            username=username,
            client_keys=(
                None
                if client_keys is None
                else [str(Path(key).expanduser()) for key in client_keys]
            ),
            passphrase=passphrase,
            password=password,
            known_hosts=None if known_hosts is None else Path(known_hosts).expanduser(),
            insecure=insecure_accept_any_host_key,
            connect_timeout=connect_timeout,
            encryption_algs=None if encryption_algs is None else list(encryption_algs),
        )
        self._today = today
        self._retry = RetryPolicy(
            max_retries=max_retries,
            backoff_initial=retry_backoff,
            backoff_max=max(retry_backoff, _BACKOFF_MAX),
        )
        self._connection: asyncssh.SSHClientConnection | None = None
        self._sftp: asyncssh.SFTPClient | None = None
        # Between connect() and aclose(): an upload may connect again after a drop.
        self._in_use = False

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

    async def connect(self) -> None:
        """Connect and start the SFTP session (``async with`` does this for you)."""
        if self._sftp is not None:
            return
        if self._login.insecure:
            logger.warning(
                "SFTP host key verification is OFF for %s:%d (insecure_accept_any_host_key)",
                self.host,
                self.port,
            )
        # Registered while connected, so no message or log can show them.
        register_secret(self._login.password)
        register_secret(self._login.passphrase)
        try:
            connection, self._sftp = await open_session(self._login)
        except BaseException:
            self._forget_secrets()
            raise
        self._connection = connection
        self._in_use = True
        logger.info(
            "SFTP connected to %s as %s (cipher %s)",
            self._login.where,
            self.username,
            connection.get_extra_info("send_cipher"),
        )

    def _forget_secrets(self) -> None:
        unregister_secret(self._login.password)
        unregister_secret(self._login.passphrase)

    async def aclose(self) -> None:
        """Close the SFTP session and the connection; the uploader can connect again later."""
        sftp, connection = self._sftp, self._connection
        self._sftp = self._connection = None
        self._in_use = False
        if sftp is not None:
            sftp.exit()
        if connection is not None:
            connection.close()
            await connection.wait_closed()
            self._forget_secrets()

    def _check_in_use(self) -> None:
        if not self._in_use:
            raise RuntimeError("SftpUploader is not connected: use `async with SftpUploader(...)`")

    async def _session(self) -> asyncssh.SFTPClient:
        """The SFTP session, connecting again if an earlier drop ended it."""
        if self._sftp is None:
            await self.connect()
        assert self._sftp is not None
        return self._sftp

    async def upload(
        self,
        local_path: str | os.PathLike[str],
        *,
        remote_name: str | None = None,
        remote_folder: str | None = None,
        progress: Progress | None = None,
        overwrite: bool = False,
        check_archive: bool = True,
    ) -> str:
        """Upload a local file; returns its remote path, e.g. ``2025-Feb-27/sample.vcf.gz``.

        ``remote_name`` defaults to the local file's name; ``remote_folder`` to today's date
        folder (created if missing; ``""`` means the login directory). The file is streamed
        into a hidden partial file in the same folder, its size checked, and renamed once
        complete. A dropped connection is retried (``max_retries``) and the upload resumed
        from what reached the server; so is a later call for the same local file. An existing
        remote file is never replaced unless ``overwrite=True``. A failed upload removes its
        partial; a cancelled or disconnected one leaves it for the next call to resume.

        A file whose bytes start like a gzip (BGZF included) or zip archive is checked for
        container integrity as it streams (on a resume, from byte 0): the first inconsistency
        stops the upload with ``ArchiveIntegrityError`` and removes the partial.
        ``check_archive=False`` sends the bytes as they are.

        ``progress(done_bytes, total_bytes)`` may be a plain function or an ``async def``
        (awaited); bytes resent after a resume are not counted twice.
        """
        job = self._job_for(local_path, remote_name, remote_folder, overwrite)
        logger.info(
            "SFTP upload of %s (%d bytes) to %s",
            job.source.name,
            job.size,
            job.describe(job.final),
        )
        progress_once = GrowingProgress(progress, job.size)
        await self._prepare(job)
        retry = 0
        while True:
            try:
                await self._attempt(job, progress_once, check_archive=check_archive)
                break
            except BaseException as exc:
                dropped = is_connection_drop(exc) or isinstance(exc, _ReconnectFailed)
                if not dropped or retry >= self._retry.max_retries:
                    raise await self._failure(job, exc) from _cause(exc)
                await self._forget_connection()
            retry += 1
            await self._pause_before_retry(job, retry)
        logger.info("SFTP upload of %s to %s complete", job.source.name, job.describe(job.final))
        return job.final

    async def _pause_before_retry(self, job: UploadJob, retry: int) -> None:
        """Wait out the backoff before ``retry`` (from 1) of an upload whose connection dropped."""
        delay = backoff_delay(retry - 1, self._retry)
        logger.warning(
            "SFTP connection to %s:%d dropped during the upload of %s; resuming in "
            "%.1f s (retry %d of %d)",
            self.host,
            self.port,
            job.source.name,
            delay,
            retry,
            self._retry.max_retries,
        )
        await anyio.sleep(delay)

    def _job_for(
        self,
        local_path: str | os.PathLike[str],
        remote_name: str | None,
        remote_folder: str | None,
        overwrite: bool,
    ) -> UploadJob:
        self._check_in_use()
        return UploadJob.for_file(
            Path(local_path).expanduser(),
            remote_name=remote_name,
            remote_folder=date_folder(self._today()) if remote_folder is None else remote_folder,
            overwrite=overwrite,
            host=self.host,
            port=self.port,
        )

    async def _prepare(self, job: UploadJob) -> None:
        sftp = await self._session()
        try:
            if job.folder:
                await sftp.makedirs(job.folder, exist_ok=True)
            if not job.overwrite and await sftp.exists(job.final):
                raise exists_error(job)
            await remove_stale_partials(sftp, job, time.time())
        except (asyncssh.Error, OSError) as exc:
            raise SftpError(
                f"SFTP upload to {job.describe(job.final)} failed: {reason(exc)}"
            ) from exc

    async def _forget_connection(self) -> None:
        """Drop a broken connection, so the next attempt connects afresh."""
        connection = self._connection
        self._sftp = self._connection = None
        if connection is not None:
            connection.abort()
        self._forget_secrets()

    async def _attempt(
        self, job: UploadJob, progress_once: GrowingProgress, *, check_archive: bool
    ) -> None:
        try:
            sftp = await self._session()
        except SftpHostKeyError:
            raise
        except SftpError as exc:
            raise _ReconnectFailed(exc) from exc
        await upload_attempt(
            sftp,
            job,
            request_sizes(sftp),
            start_check=archive_check_for(job) if check_archive else None,
            on_written=progress_once,
        )

    async def _failure(self, job: UploadJob, exc: BaseException) -> BaseException:
        """What to raise for ``exc``; removes the partial unless a later call can resume it."""
        if not isinstance(exc, Exception):
            return exc  # cancelled: the partial stays for the next call to resume
        if is_connection_drop(exc) or isinstance(exc, _ReconnectFailed):
            await self._forget_connection()
            what = exc.error.message if isinstance(exc, _ReconnectFailed) else reason(exc)
            return SftpError(
                f"SFTP upload of {job.source.name} to {job.describe(job.final)} failed: the "
                f"connection dropped ({what}) after {self._retry.max_retries} "
                f"retries; what reached the server is kept as {job.partial} and the next "
                "upload of this file resumes it"
            )
        removed = self._sftp is not None and await remove_quietly(self._sftp, job.partial)
        if isinstance(exc, GalateaError):
            return exc
        if isinstance(exc, (asyncssh.Error, OSError)):
            left = "" if removed else f"; the partial file {job.partial} may remain"
            return SftpError(
                f"SFTP upload of {job.source.name} to {job.describe(job.final)} failed: "
                f"{reason(exc)}{left}"
            )
        return exc


def _cause(exc: BaseException) -> BaseException:
    return exc.error if isinstance(exc, _ReconnectFailed) else exc


class _ReconnectFailed(Exception):
    """Connecting again after a drop failed; a later retry may succeed."""

    def __init__(self, error: SftpError) -> None:
        super().__init__(error.message)
        self.error = error
