"""``galatea files``: upload (API or SFTP), find, list, download, alias, delete, wait."""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import click

from galatea_async._upload_batch import UploadRoute, upload_route
from galatea_async.cli._commands import (
    download_options,
    id_command,
    show_done,
    show_download,
    show_listing,
    show_result,
    show_when_waited,
)
from galatea_async.cli._context import CommandFailed, run_async, run_with_client, settings
from galatea_async.cli._output import Column, minute_text
from galatea_async.cli._params import DATE, IdType, command_options
from galatea_async.cli._progress import batch_display
from galatea_async.cli._upload_view import UploadView

if TYPE_CHECKING:
    from galatea_async import AsyncGalatea, UploadOutcome
    from galatea_async.sftp import SftpUploader

__all__ = ["COMMANDS", "FILE_COLUMNS"]

FILE_ID = IdType("file")
EXISTING_FILE = click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)

NO_CHECK_ARCHIVE = click.option(
    "--no-check-archive",
    "check_archive",
    flag_value=False,
    default=True,
    help="Send a gzip or zip file even if it looks damaged (the server judges it).",
)

FILE_COLUMNS: list[Column] = [
    ("id", lambda file: file.id),
    ("name", lambda file: file.src_file_name),
    ("status", lambda file: file.status),
    ("bytes", lambda file: file.file_size_bytes),
    ("genome", lambda file: file.genome_type),
    ("alias", lambda file: file.sample_alias),
    ("created", lambda file: minute_text(file.created_at)),
]


@click.group("files")
def files_group() -> None:
    """Source files: upload, find, download, alias, delete, wait for validation."""


@files_group.command("upload")
@click.argument("path", type=EXISTING_FILE)
@click.option("--name", "filename", metavar="NAME", help="File name to give the API.")
@click.option("--wait", is_flag=True, help="Then wait until the file is validated.")
@click.option("--timeout", type=float, default=600.0, show_default=True, help="For --wait, s.")
@NO_CHECK_ARCHIVE
@command_options
def upload(
    path: Path, filename: str | None, wait: bool, timeout: float, check_archive: bool
) -> None:
    """Upload a file through the API (replaces octo api-upload-file).

    A gzip or zip file that is damaged is refused before it is sent.
    """
    output = settings().output

    async def go(client: AsyncGalatea) -> Any:
        with batch_display(output, total_files=1, verb="uploaded") as display:
            uploaded = await client.files.upload(
                path,
                filename=filename,
                progress=display.start("upload", path.name),
                check_archive=check_archive,
            )
            display.finished("upload", path)
        if wait:
            with output.status(f"waiting for {uploaded.id} to be validated"):
                return await client.files.wait_until_valid(uploaded.id, timeout=timeout)
        return uploaded

    output.result(run_with_client(go))


@id_command(files_group, "get", FILE_ID)
def get(file_id: str) -> None:
    """Show one file (replaces octo find-file --file_id)."""
    show_result(lambda client: client.files.get(file_id))


@files_group.command("list")
@click.option("--file", "query", metavar="ID_OR_NAME", help="Only this file id or name.")
@click.option("--min-date", type=DATE, help="Created on or after this day.")
@click.option("--max-date", type=DATE, help="Created on or before this day.")
@click.option(
    "--only-acceptable", is_flag=True, default=None, help="Only files that can be ordered."
)
@click.option("--show-virtual", is_flag=True, default=None, help="Include virtual files.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many files.")
@command_options
def list_files(
    query: str | None,
    min_date: datetime.date | None,
    max_date: datetime.date | None,
    only_acceptable: bool | None,
    show_virtual: bool | None,
    limit: int | None,
) -> None:
    """List files, newest first (replaces octo find-file --file_name)."""
    show_listing(
        lambda client: client.files.list(
            file=query,
            min_date=min_date,
            max_date=max_date,
            only_acceptable=only_acceptable,
            show_virtual=show_virtual,
            limit=limit,
        ),
        FILE_COLUMNS,
    )


@id_command(files_group, "delete", FILE_ID)
def delete(file_id: str) -> None:
    """Delete a file (replaces octo delete-file)."""
    show_done(lambda client: client.files.delete(file_id), "deleted", FILE_ID, file_id)


@id_command(files_group, "set-alias", FILE_ID)
@click.argument("alias")
def set_alias(file_id: str, alias: str) -> None:
    """Set a file's sample alias (replaces octo update-file-sample-alias)."""
    show_result(lambda client: client.files.set_sample_alias(file_id, alias))


@files_group.command("download")
@click.argument("file_id", type=FILE_ID)
@download_options
@command_options
def download(file_id: str, dest: str | None, overwrite: bool) -> None:
    """Download a source file (replaces octo download-file)."""
    show_download(
        file_id,
        dest,
        lambda client, target, progress: client.files.download(
            file_id, target, overwrite=overwrite, progress=progress
        ),
        {"file_id": file_id},
    )


@files_group.command("wait")
@click.argument("file_id", type=FILE_ID)
@click.option("--timeout", type=float, default=600.0, show_default=True, help="Seconds.")
@click.option("--poll-interval", type=float, default=10.0, show_default=True, help="Seconds.")
@command_options
def wait(file_id: str, timeout: float, poll_interval: float) -> None:
    """Wait until a file is validated; exit 1 if it is NOT_VALID or FAILED."""
    show_when_waited(
        f"file {file_id} to be validated",
        lambda client: client.files.wait_until_valid(
            file_id, timeout=timeout, poll_interval=poll_interval
        ),
    )


def sftp_connection_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """The options that say how to reach the SFTP server (defaults from the config file)."""
    options = [
        click.option("--host", metavar="HOST", help="SFTP host (default: config sftp_host)."),
        click.option("--user", metavar="USER", help="SFTP user (default: config sftp_user)."),
        click.option(
            "--key", "keyfile", metavar="PATH", help="Private key (default: config sftp_keyfile)."
        ),
        click.option("--port", type=int, default=22, show_default=True),
        click.option(
            "--known-hosts", metavar="PATH", help="known_hosts file (default: ~/.ssh/known_hosts)."
        ),
        click.option(
            "--insecure-accept-any-host-key",
            is_flag=True,
            help="INSECURE: skip host key verification (test servers only).",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


@attrs.frozen
class SftpConnection:
    """Where and how to connect by SFTP, from the options and the config file."""

    host: str | None
    user: str | None
    keyfile: str | None
    port: int
    known_hosts: str | None
    insecure_accept_any_host_key: bool

    @classmethod
    def from_options(cls, **options: Any) -> SftpConnection:
        current = settings()
        insecure = bool(options["insecure_accept_any_host_key"])
        known_hosts = None if insecure else options["known_hosts"]
        return cls(
            host=options["host"] or current.setting("sftp_host"),
            user=options["user"] or current.setting("sftp_user"),
            keyfile=options["keyfile"] or current.setting("sftp_keyfile"),
            port=options["port"],
            known_hosts=known_hosts or (None if insecure else current.setting("sftp_known_hosts")),
            insecure_accept_any_host_key=insecure,
        )

    def uploader(self) -> SftpUploader:
        """An ``SftpUploader`` (not connected yet); a usage error without host or user."""
        if not self.host or not self.user:
            raise click.UsageError(
                "no SFTP host or user: pass --host and --user, "
                "or store them with `galatea config set --sftp-host HOST --sftp-user USER`"
            )
        if self.insecure_accept_any_host_key:
            settings().output.warn(
                "SFTP host key verification is OFF: anyone in between can read the upload"
            )
        try:
            from galatea_async.sftp import SftpUploader
        except ImportError as error:
            raise CommandFailed(str(error)) from None
        return SftpUploader(
            self.host,
            self.user,
            port=self.port,
            client_keys=[self.keyfile] if self.keyfile else None,
            known_hosts=self.known_hosts,
            insecure_accept_any_host_key=self.insecure_accept_any_host_key,
        )


@files_group.command("sftp-upload")
@click.argument("path", type=EXISTING_FILE)
@click.option("--remote-name", metavar="NAME", help="File name on the server (default: local).")
@click.option("--remote-folder", metavar="DIR", help="Folder on the server (default: today's).")
@sftp_connection_options
@click.option("--overwrite", is_flag=True, help="Replace a remote file of the same name.")
@NO_CHECK_ARCHIVE
@command_options
def sftp_upload(
    path: Path,
    remote_name: str | None,
    remote_folder: str | None,
    overwrite: bool,
    check_archive: bool,
    **connection: Any,
) -> None:
    """Upload a large file by SFTP (replaces octo sftp-upload-file)."""
    output = settings().output
    sftp = SftpConnection.from_options(**connection)
    uploader = sftp.uploader()

    async def go() -> str:
        async with uploader:
            with batch_display(output, total_files=1, verb="uploaded") as display:
                remote = await uploader.upload(
                    path,
                    remote_name=remote_name,
                    remote_folder=remote_folder,
                    progress=display.start("sftp", path.name),
                    overwrite=overwrite,
                    check_archive=check_archive,
                )
                display.finished("sftp", path)
                return remote

    remote = run_async(go)
    output.done(
        {"path": str(path), "remote_path": remote, "host": sftp.host},
        f"remote path {remote} (the file appears in `galatea files list` as PENDING)",
    )


@files_group.command("upload-many")
@click.argument("paths", nargs=-1, required=True, type=EXISTING_FILE)
@click.option("--concurrency", type=click.IntRange(1, 32), default=4, show_default=True)
@click.option("--wait", is_flag=True, help="Then wait until each file is validated.")
@NO_CHECK_ARCHIVE
@sftp_connection_options
@command_options
def upload_many(
    paths: tuple[Path, ...], concurrency: int, wait: bool, check_archive: bool, **connection: Any
) -> None:
    """Upload many files: up to 50 MB through the API, larger ones by SFTP.

    A gzip or zip file that is damaged is refused before it is sent. One failure never stops
    the others; exits 1 naming the files that failed.
    """
    output = settings().output
    by_sftp = any(
        upload_route(path.stat().st_size, sftp_given=True) is UploadRoute.SFTP for path in paths
    )
    uploader = SftpConnection.from_options(**connection).uploader() if by_sftp else None
    view = UploadView(output, len(paths))

    async def go(client: AsyncGalatea) -> list[UploadOutcome]:
        async with contextlib.AsyncExitStack() as stack:
            if uploader is not None:
                await stack.enter_async_context(uploader)
            with view:
                outcomes = await client.files.upload_many(
                    paths,
                    concurrency=concurrency,
                    sftp=uploader,
                    wait_until_valid=wait,
                    file_progress=view.file_progress,
                    check_archive=check_archive,
                )
        return outcomes

    view.finish(run_with_client(go))


COMMANDS = [files_group]
