"""``download-all``: every result of the matching orders into per-order folders, resumably.

Planning is pure (``plan_items``); ``download_all`` runs the downloads under a concurrency
limit through the SDK's one download engine, records each finished file in the folder's
manifest and collects failures instead of stopping at the first.
"""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Callable, Collection, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import attrs

from galatea_async._enums import ResultType
from galatea_async.cli._context import error_report
from galatea_async.cli._manifest import Manifest, ManifestEntry, file_digest
from galatea_async.cli._progress import BatchReport

if TYPE_CHECKING:
    from galatea_async import AsyncGalatea

__all__ = ["BatchItem", "BatchResult", "download_all", "plan_items"]


@attrs.frozen
class BatchItem:
    """One result file to fetch."""

    order_id: str
    result_type: ResultType

    @property
    def key(self) -> str:
        """The item's name in the manifest and in messages."""
        return f"{self.order_id}/{self.result_type.value}"

    @property
    def label(self) -> str:
        """A short name for a progress bar: the order id's first block and the result type."""
        return f"{self.order_id.split('-')[0]} {self.result_type.value}"


@attrs.define
class BatchResult:
    """What a batch did: files fetched, files skipped as already complete, failures."""

    downloaded: list[tuple[BatchItem, ManifestEntry]] = attrs.field(factory=list)
    skipped: list[tuple[BatchItem, ManifestEntry]] = attrs.field(factory=list)
    failed: list[tuple[BatchItem, str]] = attrs.field(factory=list)
    seconds: float = 0.0

    @property
    def downloaded_bytes(self) -> int:
        return sum(entry.size for _, entry in self.downloaded)

    def as_json(self, dest: Path) -> dict[str, Any]:
        """The result for ``--json``."""

        def done(pairs: list[tuple[BatchItem, ManifestEntry]]) -> list[dict[str, Any]]:
            return [
                {
                    "order_id": item.order_id,
                    "result_type": item.result_type.value,
                    "path": str(dest / entry.path),
                    "size": entry.size,
                    "md5": entry.md5,
                }
                for item, entry in pairs
            ]

        return {
            "dest": str(dest),
            "downloaded": done(self.downloaded),
            "skipped": done(self.skipped),
            "failed": [
                {"order_id": i.order_id, "result_type": i.result_type.value, "error": message}
                for i, message in self.failed
            ],
            "bytes": self.downloaded_bytes,
            "seconds": round(self.seconds, 3),
        }


async def _existing_copy(client: AsyncGalatea, item: BatchItem, dest: Path) -> Path:
    async with client.results.stream(item.order_id, item.result_type) as download:
        candidate = dest / item.order_id / download.filename
        size = download.size
    if size is None or not candidate.is_file() or candidate.stat().st_size != size:
        raise FileExistsError(errno.EEXIST, "differs from the server's file", str(candidate))
    return candidate


def plan_items(orders: Iterable[Any], result_types: Collection[ResultType] = ()) -> list[BatchItem]:
    """The (order, result type) pairs to fetch: each order's result types, filtered, once each."""
    wanted = set(result_types)
    items: dict[str, BatchItem] = {}
    for order in orders:
        for result_type in order.result_types:
            if wanted and result_type not in wanted:
                continue
            item = BatchItem(order_id=order.id, result_type=ResultType(result_type))
            items.setdefault(item.key, item)
    return list(items.values())


async def download_all(
    client: AsyncGalatea,
    items: list[BatchItem],
    dest: Path,
    *,
    report_for: Callable[[int, int], BatchReport],
    concurrency: int = 8,
    overwrite: bool = False,
) -> BatchResult:
    """Fetch ``items`` into ``dest/<order_id>/``, skipping those the manifest has as complete.

    ``report_for(files_to_fetch, files_already_complete)`` gives the progress display.
    """
    manifest = Manifest.load(dest)
    result = BatchResult()
    pending: list[BatchItem] = []
    for item in items:
        entry = None if overwrite else manifest.finished(item.key)
        if entry is None:
            pending.append(item)
        else:
            result.skipped.append((item, entry))
    limiter = anyio.CapacityLimiter(concurrency)
    started = time.monotonic()

    async def fetch(item: BatchItem) -> None:
        async with limiter:
            progress = report.start(item.key, item.label)
            adopted = False
            try:
                try:
                    path = await client.results.download(
                        item.order_id,
                        item.result_type,
                        dest=os.path.join(dest, item.order_id, ""),
                        overwrite=overwrite,
                        progress=progress,
                    )
                except FileExistsError:
                    # On disk but not in the manifest (an earlier `results download`, or a
                    # deleted manifest): kept if it is as large as the server's file.
                    path = await _existing_copy(client, item, dest)
                    adopted = True
                size, md5 = await anyio.to_thread.run_sync(file_digest, Path(path))
            except Exception as error:  # one failed item must not stop the others
                message, _ = error_report(error)
                result.failed.append((item, message))
                report.failed(item.key, item.label, message)
                return
            entry = manifest.record(item.key, Path(path), size, md5)
            (result.skipped if adopted else result.downloaded).append((item, entry))
            report.finished(item.key, Path(path))

    report = report_for(len(pending), len(result.skipped))
    try:
        with report:
            async with anyio.create_task_group() as group:
                for item in pending:
                    group.start_soon(fetch, item)
    finally:
        manifest.close()
    result.seconds = time.monotonic() - started
    # Report in the order of the plan, whatever order the downloads finished in.
    position = {item.key: index for index, item in enumerate(items)}
    result.downloaded.sort(key=lambda pair: position[pair[0].key])
    result.skipped.sort(key=lambda pair: position[pair[0].key])
    result.failed.sort(key=lambda pair: position[pair[0].key])
    return result
