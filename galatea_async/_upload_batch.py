"""Many uploads at once: which way each file goes, and what became of it.

``upload_route`` decides from a file's size alone: the API takes files up to
``MAX_API_UPLOAD_BYTES``, SFTP the larger ones (an ``UploadTooLargeError`` when no SFTP
uploader was given). ``run_in_order`` runs one coroutine per item, at most ``concurrency`` at a
time, and returns their results in the items' order. ``UploadOutcome`` is one file's result.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import anyio
import attrs

from galatea_async._models import SourceFile
from galatea_async._outcomes import error_dict, error_repr, result_or_raise
from galatea_async._progress import Progress, call_progress
from galatea_async._upload import MAX_API_UPLOAD_BYTES, UploadTooLargeError

__all__ = [
    "UploadFileProgress",
    "UploadOutcome",
    "UploadRoute",
    "batch_and_file_progress",
    "run_in_order",
    "upload_route",
]

T = TypeVar("T")
R = TypeVar("R")

UploadFileProgress = Callable[[Path, int, "int | None"], object]
"""``file_progress(path, done_bytes, total_bytes_or_None)``, for each file of a batch."""


def batch_and_file_progress(
    batch_item: Progress, file_progress: UploadFileProgress | None, path: Path
) -> Progress:
    """One file's progress callback: into the batch's sum, and to ``file_progress`` if given."""
    if file_progress is None:
        return batch_item

    async def each(done: int, total: int | None) -> None:
        await call_progress(batch_item, done, total)
        await call_progress(functools.partial(file_progress, path), done, total)

    return each


class UploadRoute(str, enum.Enum):
    """How a file goes up."""

    API = "api"
    SFTP = "sftp"


def upload_route(size: int, *, sftp_given: bool) -> UploadRoute:
    """The API up to ``MAX_API_UPLOAD_BYTES``; SFTP beyond, if an uploader was given."""
    if size <= MAX_API_UPLOAD_BYTES:
        return UploadRoute.API
    if sftp_given:
        return UploadRoute.SFTP
    raise UploadTooLargeError(
        size,
        MAX_API_UPLOAD_BYTES,
        advice="pass sftp=SftpUploader(...) to upload_many to send it by SFTP",
    )


def _file_repr(file: SourceFile | None) -> str:
    # The id and status only: a file's alias and validation notes may name the patient.
    return "None" if file is None else f"SourceFile(id={file.id!r}, status={str(file.status)!r})"


@attrs.frozen
class UploadOutcome:
    """What became of one path of ``upload_many``: its ``SourceFile``, or the ``error``.

    :ivar path: The local file this outcome is about.
    :ivar file: The uploaded ``SourceFile``; also set when the upload succeeded but validation
        then failed or timed out (``wait_until_valid=True``), with ``ok`` False.
    :ivar error: What stopped it, or ``None``; ``result()`` raises it.
    :ivar via: ``"api"`` or ``"sftp"`` once the route was chosen.
    :ivar size: The local file's size in bytes, once known.
    """

    path: Path
    file: SourceFile | None = attrs.field(default=None, repr=_file_repr)
    error: BaseException | None = attrs.field(default=None, repr=error_repr)
    via: UploadRoute | None = None
    size: int | None = None

    @property
    def ok(self) -> bool:
        """Whether the file was uploaded (and validated, when that was asked for)."""
        return self.error is None and self.file is not None

    def result(self) -> SourceFile:
        """The uploaded ``SourceFile``; raises the stored error if the item failed."""
        return result_or_raise(self.file, self.error, "file")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``path``, ``size``, ``via``, ``file`` (its ``to_dict()``) and ``error``
        (``{"type", "message"}``, or None)."""
        return {
            "path": str(self.path),
            "size": self.size,
            "via": None if self.via is None else self.via.value,
            "file": None if self.file is None else self.file.to_dict(),
            "error": error_dict(self.error),
        }


async def run_in_order(
    items: Sequence[T], work: Callable[[int, T], Awaitable[R]], *, concurrency: int
) -> list[R]:
    """``work(index, item)`` for every item, at most ``concurrency`` at a time; results in order.

    ``work`` keeps its own failures (an outcome); an exception it lets out cancels the rest.
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}")
    results: list[R | None] = [None] * len(items)
    queue = iter(enumerate(items))

    async def worker() -> None:
        for index, item in queue:
            results[index] = await work(index, item)

    async with anyio.create_task_group() as group:
        for _ in range(min(concurrency, len(items))):
            group.start_soon(worker)
    return [result for result in results if result is not None]
