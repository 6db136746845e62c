"""Wait for an SFTP upload to appear in the API's file list."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from pathlib import PurePath
from typing import TYPE_CHECKING, Protocol, TypeVar

import anyio

from galatea_async._polling import check_poll_interval
from galatea_async._progress import Progress
from galatea_async._sftp_paths import check_remote_name, is_listed_as
from galatea_async.errors import WaitTimeoutError

if TYPE_CHECKING:
    from collections.abc import AsyncIterable

    # Deliberate and type-only: sftp re-exports upload_and_register, which takes its uploader.
    from galatea_async.sftp import SftpUploader

logger = logging.getLogger("galatea_async.sftp")


class RegisteredFile(Protocol):
    """What ``upload_and_register`` needs of a listed file; ``SourceFile`` fits."""

    @property
    def id(self) -> str: ...

    @property
    def src_file_name(self) -> str | None: ...


FileT = TypeVar("FileT", bound=RegisteredFile)
FileT_co = TypeVar("FileT_co", bound=RegisteredFile, covariant=True)


class FileLister(Protocol[FileT_co]):
    """``client.files``: lists files filtered by name."""

    def list(self, *, file: str | None = ...) -> AsyncIterable[FileT_co]: ...


class FilesClient(Protocol[FileT_co]):
    """A client with a ``files`` resource, such as ``AsyncGalatea``."""

    @property
    def files(self) -> FileLister[FileT_co]: ...


async def upload_and_register(
    client: FilesClient[FileT],
    uploader: SftpUploader,
    local_path: str | os.PathLike[str],
    *,
    remote_name: str | None = None,
    remote_folder: str | None = None,
    progress: Progress | None = None,
    overwrite: bool = False,
    check_archive: bool = True,
    # Named like files.wait_until_valid's: the wait after the upload, not a deadline for all of it.
    timeout: float = 600.0,
    poll_interval: float = 10.0,
) -> FileT:
    """Upload by SFTP, then return the file once ``client.files.list`` shows it (PENDING at first).

    ``uploader`` is an open ``SftpUploader``. Files listed under the same name before the upload
    are ignored, so an earlier upload is never mistaken for this one. ``WaitTimeoutError`` if
    the file is not listed within ``timeout`` seconds after the upload; the upload is kept.
    """
    poll_interval = check_poll_interval(poll_interval)
    name = check_remote_name(PurePath(local_path).name if remote_name is None else remote_name)
    earlier = {found.id async for found in _listed(client, name)}
    uploaded = await uploader.upload(
        local_path,
        remote_name=name,
        remote_folder=remote_folder,
        progress=progress,
        overwrite=overwrite,
        check_archive=check_archive,
    )
    deadline = anyio.current_time() + timeout
    while True:
        async for found in _listed(client, name):
            if found.id not in earlier:
                logger.info("SFTP upload %s registered as file %s", uploaded, found.id)
                return found
        remaining = deadline - anyio.current_time()
        if remaining <= 0:
            raise WaitTimeoutError(
                f"{uploaded} was uploaded, but files.list(file={name!r}) did not show it "
                f"within {timeout:g} s. Registration can take a few minutes: look it up later "
                "with client.files.list(file=...) instead of uploading it again."
            )
        await anyio.sleep(min(poll_interval, remaining))


async def _listed(client: FilesClient[FileT], name: str) -> AsyncIterator[FileT]:
    # The API's filter may match more than the exact name.
    async for found in client.files.list(file=name):
        if is_listed_as(found.src_file_name, name):
            yield found
