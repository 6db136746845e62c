"""``client.files``: source files (genotype and VCF uploads)."""

from __future__ import annotations

import builtins
import datetime as dt
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import attrs

from galatea_async._converter import structure
from galatea_async._download import BatchProgress
from galatea_async._enums import FileStatus
from galatea_async._models import SourceFile
from galatea_async._polling import PollSleeper, check_poll_interval
from galatea_async._progress import Progress
from galatea_async._sftp_register import upload_and_register
from galatea_async._upload import UploadSource, check_reported_size, prepare_upload
from galatea_async._upload_batch import (
    UploadFileProgress,
    UploadOutcome,
    UploadRoute,
    batch_and_file_progress,
    run_in_order,
    upload_route,
)
from galatea_async._validation import (
    check_download_arguments,
    check_id,
    check_text,
)
from galatea_async.errors import (
    FileValidationError,
    RateLimitError,
    ServiceUnavailableError,
    WaitTimeoutError,
)
from galatea_async.resources._base import (
    FilteredById,
    Resource,
    bool_param,
    date_range_params,
)

if TYPE_CHECKING:
    from galatea_async.sftp import SftpUploader

__all__ = ["FilesResource", "matches_file_filter"]


@attrs.frozen
class _Lists:
    """What ``upload_and_register`` looks the uploaded file up through: ``.files.list``."""

    files: FilesResource


def matches_file_filter(value: str) -> Callable[[SourceFile], bool]:
    """Whether a source file answers ``file=value``: its id, or its name (any part of it, to
    be lenient)."""
    folded = value.casefold()

    def matches(source_file: SourceFile) -> bool:
        return source_file.id == value or folded in (source_file.src_file_name or "").casefold()

    return matches


_FILES_BY_ID = FilteredById(
    template="data/files",
    model=SourceFile,
    filter_name="file",
    id_name="file_id",
    what="source file",
    matches_filter=matches_file_filter,
)


class FilesResource(Resource):
    """Upload, find, download and delete source files."""

    def list(
        self,
        *,
        file: str | uuid.UUID | None = None,
        min_date: dt.date | str | None = None,
        max_date: dt.date | str | None = None,
        only_acceptable: bool | None = None,
        show_virtual: bool | None = None,
        limit: int | None = None,
        page_size: int | None = None,
    ) -> AsyncIterator[SourceFile]:
        """Iterate over source files, newest first; ``file`` is a file id or a file name."""
        params: dict[str, Any] = {
            "file": str(file) if file is not None else None,
            **date_range_params(min_date, max_date),
            "only_acceptable": bool_param(only_acceptable),
            "show_virtual": bool_param(show_virtual),
        }
        return self._listing("data/files", SourceFile, params, limit=limit, page_size=page_size)

    async def get(self, file_id: str | uuid.UUID) -> SourceFile:
        """The source file with this id; ``NotFoundError`` if there is none.

        One request (the API has no ``GET data/files/{id}``: the listing filtered on the id);
        ``InvalidResponseError`` if the server ignores the filter.
        """
        return await self._look_up(_FILES_BY_ID, file_id)

    async def upload(
        self,
        source: UploadSource,
        *,
        filename: str | None = None,
        progress: Progress | None = None,
        check_archive: bool = True,
    ) -> SourceFile:
        """Upload a file under 50 MB (a path, bytes, a binary file object or async bytes).

        Larger files go by SFTP (``galatea_async.sftp``). A gzip or zip file (known by its
        first bytes) is checked first: a damaged one is an ``ArchiveIntegrityError`` before
        anything is sent (``check_archive=False`` sends it as it is). If the API reports another
        size than was sent, ``ChecksumMismatchError``. The new file starts PENDING; see
        ``wait_until_valid``.
        """
        prepared = await prepare_upload(
            source, filename=filename, progress=progress, check_archive=check_archive
        )
        try:
            data = await self._requester.request(
                "POST", "data/files/upload", body=prepared, idempotent=False
            )
        finally:
            await prepared.aclose()
        uploaded = structure(data, SourceFile)
        check_reported_size(
            uploaded.file_size_bytes, prepared.size, name=prepared.filename, file_id=uploaded.id
        )
        return uploaded

    async def upload_many(
        self,
        paths: Iterable[str | os.PathLike[str]],
        *,
        concurrency: int = 4,
        sftp: SftpUploader | None = None,
        wait_until_valid: bool = False,
        progress: Progress | None = None,
        file_progress: UploadFileProgress | None = None,
        check_archive: bool = True,
    ) -> builtins.list[UploadOutcome]:
        """Upload many files at once; one ``UploadOutcome`` per path, in order.

        Files up to 50 MB go through the API, larger ones through ``sftp`` (an open
        ``SftpUploader``; without one a large file's outcome holds an ``UploadTooLargeError``).
        At most ``concurrency`` uploads run at a time; one failure never stops the others.
        With ``wait_until_valid``, each file is then polled until VALID. ``progress(done_bytes,
        total_bytes_or_None)`` reports the whole batch, ``file_progress(path, done_bytes,
        total_bytes_or_None)`` each file. ``check_archive`` as for ``upload``.
        """
        if isinstance(paths, (str, bytes, os.PathLike)):
            raise TypeError("paths must be a list of paths, not one path: upload_many([path])")
        sources = [Path(path) for path in paths]
        batch = BatchProgress(progress, len(sources))

        async def upload_one(index: int, path: Path) -> UploadOutcome:
            item_progress = batch_and_file_progress(batch.for_item(index), file_progress, path)
            outcome = await self._upload_outcome(
                path, sftp=sftp, progress=item_progress, check_archive=check_archive
            )
            if outcome.error is not None:
                batch.ended(index)
            elif wait_until_valid and outcome.file is not None:
                outcome = await self._validated_outcome(outcome, outcome.file)
            return outcome

        return await run_in_order(sources, upload_one, concurrency=concurrency)

    async def _upload_outcome(
        self,
        path: Path,
        *,
        sftp: SftpUploader | None,
        progress: Progress,
        check_archive: bool,
    ) -> UploadOutcome:
        """One file of ``upload_many`` sent the way its size decides; failures kept."""
        size: int | None = None
        route: UploadRoute | None = None
        try:
            size = (await anyio.to_thread.run_sync(os.stat, path)).st_size
            route = upload_route(size, sftp_given=sftp is not None)
            if route is UploadRoute.API:
                uploaded = await self.upload(path, progress=progress, check_archive=check_archive)
            else:
                assert sftp is not None  # upload_route chose SFTP because one was given
                uploaded = await upload_and_register(
                    _Lists(self), sftp, path, progress=progress, check_archive=check_archive
                )
        except Exception as exc:
            return UploadOutcome(path=path, error=exc, via=route, size=size)
        return UploadOutcome(path=path, file=uploaded, via=route, size=size)

    async def _validated_outcome(
        self, outcome: UploadOutcome, uploaded: SourceFile
    ) -> UploadOutcome:
        try:
            valid = await self.wait_until_valid(uploaded.id)
        except Exception as exc:
            return attrs.evolve(outcome, error=exc)
        return attrs.evolve(outcome, file=valid)

    async def delete(self, file_id: str | uuid.UUID) -> None:
        """Delete a source file."""
        await self._requester.request(
            "DELETE", "data/files/{file_id}", path_params={"file_id": check_id(file_id, "file_id")}
        )

    async def set_sample_alias(self, file_id: str | uuid.UUID, alias: str | None) -> SourceFile:
        """Set (or, with ``None``, clear) a file's sample alias; returns the updated file."""
        if alias is not None:
            alias = check_text(alias, "alias")
        data = await self._requester.request(
            "PUT",
            "data/files/{file_id}",
            path_params={"file_id": check_id(file_id, "file_id")},
            json={"sample_alias": alias},
        )
        return structure(data, SourceFile)

    async def download(
        self,
        file_id: str | uuid.UUID,
        dest: str | os.PathLike[str] = ".",
        *,
        overwrite: bool = False,
        progress: Progress | None = None,
    ) -> Path:
        """Download a source file, verified against its listed size and md5; its ``Path``."""
        check_download_arguments(dest, progress)
        source_file = await self.get(file_id)
        return await self._downloads.download_source_file(
            source_file, dest, overwrite=overwrite, progress=progress
        )

    async def wait_until_valid(
        self,
        file_id: str | uuid.UUID,
        *,
        timeout: float = 600.0,
        poll_interval: float = 10.0,
    ) -> SourceFile:
        """Poll until the file is VALID; ``FileValidationError`` if NOT_VALID or FAILED.

        Polls after about 1 s, then twice as long each time up to ``poll_interval``; a
        server too busy to answer (429, 503) is asked again once its ``Retry-After`` has
        passed.

        ``WaitTimeoutError`` after ``timeout`` seconds (validation takes 2 to 5 minutes).
        """
        wanted = check_id(file_id, "file_id")
        sleeper = PollSleeper(check_poll_interval(poll_interval))
        with anyio.move_on_after(timeout):
            while True:
                try:
                    source_file = await self.get(wanted)
                except (RateLimitError, ServiceUnavailableError) as busy:
                    await sleeper.sleep(busy.retry_after)
                    continue
                if source_file.status == FileStatus.VALID:
                    return source_file
                if source_file.status in (FileStatus.NOT_VALID, FileStatus.FAILED):
                    raise FileValidationError(
                        f"source file {wanted} is {source_file.status.value}: "
                        f"{source_file.check_information or 'no reason given'}",
                        file_id=wanted,
                        status=source_file.status.value,
                        check_information=source_file.check_information,
                    )
                await sleeper.sleep()
        raise WaitTimeoutError(
            f"source file {wanted} was not validated within {timeout:g} s; "
            "validation usually takes 2 to 5 minutes: wait again or check files.get()"
        )
