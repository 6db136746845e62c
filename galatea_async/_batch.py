"""Many downloads at once: ``download_many``'s requests, outcomes and task group.

Concurrency is a ``CapacityLimiter`` of its own, separate from the connection pool (which the
client sizes to at least the same number, so a queued task never meets a pool timeout). Every
item gets one outcome, in input order; an item's failure is kept in its outcome and never stops
the others. Cancelling the batch cancels every download, and each removes its temporary file.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import anyio
import attrs

from galatea_async._atomic import deferred_directory_syncs
from galatea_async._enums import ResultType
from galatea_async._parallel import batch_limiter
from galatea_async._session import Progress, report

__all__ = ["DownloadOutcome", "DownloadRequest", "run_batch"]


def _to_id(value: str | uuid.UUID) -> str:
    return str(value)


def _to_optional_id(value: str | uuid.UUID | None) -> str | None:
    return None if value is None else str(value)


@attrs.frozen
class DownloadRequest:
    """One file for ``download_many``: an order's result, or one of its PDF reports."""

    order_id: str = attrs.field(converter=_to_id)
    result_type: ResultType = attrs.field(converter=ResultType)
    pdf_request_id: str | None = attrs.field(default=None, converter=_to_optional_id)


@attrs.frozen
class DownloadOutcome:
    """What became of one ``download_many`` item: ``path`` when it worked, else ``error``."""

    request: DownloadRequest
    path: Path | None = None
    error: BaseException | None = attrs.field(default=None, repr=lambda e: _error_repr(e))

    @property
    def ok(self) -> bool:
        """Whether the file was downloaded."""
        return self.error is None and self.path is not None


def _error_repr(error: BaseException | None) -> str:
    # Only the type and the message: our errors' messages are redacted, and the message is
    # what a user needs; a traceback or the request's headers never belong in a repr.
    return "None" if error is None else f"{type(error).__name__}({str(error)!r})"


class _Aggregate:
    """One progress callback for the whole batch: summed bytes, summed totals once all known."""

    def __init__(self, progress: Progress | None, count: int) -> None:
        self._progress = progress
        self._done = [0] * count
        self._totals: list[int | None] = [None] * count

    def for_item(self, index: int) -> Progress:
        async def item_progress(done: int, total: int | None) -> None:
            self._done[index] = done
            self._totals[index] = total
            totals = self._totals
            known = None if any(t is None for t in totals) else sum(t or 0 for t in totals)
            await report(self._progress, sum(self._done), known)

        return item_progress


async def run_batch(
    items: Sequence[DownloadRequest],
    worker: Callable[[DownloadRequest, Progress], Awaitable[Path]],
    *,
    concurrency: int,
    progress: Progress | None = None,
) -> list[DownloadOutcome]:
    """One ``DownloadOutcome`` per item, in order, running at most ``concurrency`` at once.

    ``worker(item, item_progress)`` downloads one item. While it runs, the batch's limiter is
    visible to ``download_to_path`` (a context variable), so the parallel parts of a large file
    borrow from the same budget. Exceptions become outcomes; cancellation and other
    ``BaseException`` (``KeyboardInterrupt``) propagate.
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}")
    limiter = anyio.CapacityLimiter(concurrency)
    outcomes: list[DownloadOutcome | None] = [None] * len(items)
    aggregate = _Aggregate(progress, len(items))

    async def run(index: int, item: DownloadRequest) -> None:
        async with limiter:
            batch_limiter.set(limiter)
            try:
                path = await worker(item, aggregate.for_item(index))
            except Exception as exc:
                outcomes[index] = DownloadOutcome(request=item, error=exc)
            else:
                outcomes[index] = DownloadOutcome(request=item, path=path)

    async with deferred_directory_syncs(), anyio.create_task_group() as group:
        for index, item in enumerate(items):
            group.start_soon(run, index, item)
    return [outcome for outcome in outcomes if outcome is not None]
