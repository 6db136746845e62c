"""Progress of a batch of downloads: the batch's sums (``BatchProgress``) and each file's.

``BatchProgress`` keeps running sums, so each call costs the same however large the batch.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

from galatea_async._progress import Progress, call_progress

if TYPE_CHECKING:
    from galatea_async._download._batch import DownloadRequest

__all__ = ["BatchProgress", "FileProgress", "item_progress"]


class BatchProgress:
    """One progress callback for a whole batch: bytes done, and the total once all are known.

    Kept as running sums, so each call costs the same however large the batch; an item
    ``forget``-ten once it ended stays in the sums and leaves no entry behind. Items may join
    while the batch runs (``add``): the total then grows as they do.
    """

    def __init__(self, progress: Progress | None, count: int = 0) -> None:
        self._progress = progress
        self._done: dict[int, int] = {}
        self._totals: dict[int, int | None] = {}
        self._sum_done = 0
        self._sum_totals = 0
        self._unknown = 0
        self._count = 0
        for _ in range(count):
            self.add()

    def add(self) -> int:
        """A new item, its total not known yet; its index."""
        index, self._count = self._count, self._count + 1
        self._done[index], self._totals[index] = 0, None
        self._unknown += 1
        return index

    def for_item(self, index: int) -> Progress:
        """The callback item ``index`` calls with its own bytes."""

        async def item_progress(done: int, total: int | None) -> None:
            self._set(index, done, total)
            known = None if self._unknown else self._sum_totals
            await call_progress(self._progress, self._sum_done, known)

        return item_progress

    def ended(self, index: int) -> None:
        """Item ``index`` ended without a size of its own (failed): its total is what it did."""
        if self._totals.get(index, 0) is None:
            self._set(index, self._done[index], self._done[index])

    def forget(self, index: int) -> None:
        """Item ``index`` is over: its bytes stay in the sums, its entry goes."""
        self.ended(index)
        self._done.pop(index, None)
        self._totals.pop(index, None)

    def _set(self, index: int, done: int, total: int | None) -> None:
        if index not in self._done:
            return  # forgotten: a late call changes nothing
        self._sum_done += done - self._done[index]
        self._done[index] = done
        previous = self._totals[index]
        self._unknown += (total is None) - (previous is None)
        self._sum_totals += (total or 0) - (previous or 0)
        self._totals[index] = total


FileProgress = Callable[["DownloadRequest", int, "int | None"], object]
"""``file_progress(request, done_bytes, total_bytes_or_None)``, for each file of a batch."""


def item_progress(
    job_progress: Progress | None,
    batch_item: Progress,
    file_progress: FileProgress | None,
    request: DownloadRequest,
) -> Progress:
    """One file's progress callback: its job's own, the batch's sum, and ``file_progress``."""

    async def each(done: int, total: int | None) -> None:
        await call_progress(job_progress, done, total)
        await call_progress(batch_item, done, total)
        if file_progress is not None:
            await call_progress(functools.partial(file_progress, request), done, total)

    return each
