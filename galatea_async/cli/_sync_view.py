"""``download-all`` and ``demo``: a ``results.sync`` run, shown as it goes and summed up after.

The SDK does the work (listing, planning from the folder's journal, downloading, durability);
this module only shows it. On a terminal ``SyncView`` turns ``results.sync``'s per-file
callbacks into progress bars; anywhere else ``SyncLog`` writes a line per file as it is done
or fails and a progress line at least every 30 s (text, or JSON lines with ``--jsonl``).
``finish_sync`` prints the summary and fails the command, naming the files, if any failed.
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
from rich.table import Table

from galatea_async._download import DownloadOutcome, DownloadRequest, SyncReport
from galatea_async._enums import ResultType, StatusGroup
from galatea_async._progress import Progress
from galatea_async.cli._context import CommandFailed, error_report
from galatea_async.cli._output import Output
from galatea_async.cli._progress import BatchDisplay, batch_display
from galatea_async.cli._sync_log import SyncLog, failure, request_key

if TYPE_CHECKING:
    from galatea_async import AsyncGalatea

__all__ = ["SyncView", "finish_sync", "run_sync", "summary_table"]

_MEBIBYTE = 1024 * 1024


def _words(error: BaseException) -> str:
    return error_report(error)[0]


def _label(request: DownloadRequest) -> str:
    """A short name for a bar: the order id's first block and the result type."""
    name = request.result_type.value
    if request.pdf_request_id:
        name = f"PDF {request.pdf_request_id.split('-')[0]}"
    return f"{request.order_id.split('-')[0]} {name}"


class SyncView:
    """``results.sync``'s ``file_progress``, shown through the CLI's batch display.

    ``results.sync`` announces each page's files as it plans them (complete, or ``(0, None)``
    to fetch); the display opens with the counts so far when the first byte arrives, and
    grows with each later announcement. Only the files to fetch that have not ended are
    remembered, so the view stays small however many files there are.
    """

    def __init__(self, output: Output) -> None:
        self._output = output
        self._to_fetch = 0
        self._complete = 0
        self._display: BatchDisplay | None = None
        self._bars: dict[str, Progress | None] = {}  # announced to fetch: its bar once started
        self._finished: set[str] = set()  # all bytes in, not yet durable
        self._stack = contextlib.ExitStack()
        self._stack.enter_context(output.status("listing orders"))

    def file_progress(self, request: DownloadRequest, done: int, total: int | None) -> None:
        """The per-file callback to give ``results.sync``."""
        key = request_key(request)
        if key in self._finished:
            return
        if key not in self._bars:
            self._announced(key, done, total)
            return
        if self._display is None:
            self._open()
        assert self._display is not None
        bar = self._bars[key]
        if bar is None:
            bar = self._bars[key] = self._display.start(key, _label(request))
        bar(done, total)
        if total is not None and done == total:
            del self._bars[key]  # its bar goes; the summary follows at the end
            self._finished.add(key)
            self._display.finished(key, None)

    def _announced(self, key: str, done: int, total: int | None) -> None:
        kept = total is not None and done == total
        if not kept:
            self._bars[key] = None
        if self._display is None:
            self._complete += kept
            self._to_fetch += not kept
        else:
            self._display.more_files(to_fetch=int(not kept), complete=int(kept))

    def _open(self) -> None:
        self._stack.close()  # the "listing orders" spinner
        self._stack = contextlib.ExitStack()
        self._display = self._stack.enter_context(
            batch_display(self._output, total_files=self._to_fetch, already_complete=self._complete)
        )

    def file_done(self, outcome: DownloadOutcome) -> None:
        """A failed file is shown at once; a finished one went with its last byte."""
        key = request_key(outcome.request)
        self._finished.discard(key)
        if outcome.ok:
            self._bars.pop(key, None)
            return
        if self._display is None:
            self._open()
        assert self._display is not None
        self._bars.pop(key, None)
        self._display.failed(key, _label(outcome.request), _words(outcome.error or RuntimeError()))

    def close(self) -> None:
        """Close the display."""
        self._stack.close()


async def run_sync(
    client: AsyncGalatea,
    output: Output,
    folder: Path,
    *,
    status_group: str | None = "completed",
    tag_ids: list[str] | None = None,
    min_date: datetime.date | None = None,
    max_date: datetime.date | None = None,
    result_types: Sequence[ResultType] = (),
    concurrency: int = 8,
    pdf_reports: bool = False,
    verify: bool = False,
) -> SyncReport:
    """``results.sync`` into ``folder``, shown as it goes (shared by download-all and demo)."""
    display = SyncView(output) if output.interactive else SyncLog(output, _words)
    try:
        async with anyio.create_task_group() as group:
            if isinstance(display, SyncLog):
                group.start_soon(display.keep_ticking)
            result = await client.results.sync(
                folder,
                status_group=StatusGroup(status_group) if status_group else None,  # click-checked
                tag_ids=tag_ids or None,
                min_date=min_date,
                max_date=max_date,
                result_types=list(result_types) or None,
                pdf_reports=pdf_reports,
                concurrency=concurrency,
                verify=verify,
                file_progress=display.file_progress,
                file_done=display.file_done,
            )
            group.cancel_scope.cancel()
    finally:
        if isinstance(display, SyncView):
            display.close()
    return result


def _as_json(folder: Path, result: SyncReport) -> dict[str, Any]:
    """``--json``'s summary: the report's own JSON, each error worded as the CLI words it."""
    data = {"dest": str(folder), **result.to_dict()}
    for outcome, entry in zip(result.failed, data["failed"], strict=True):
        entry["error"] = failure(outcome, _words)
    return data


def summary_table(folder: Path, result: SyncReport) -> Table:
    """Files, bytes, time and rate of a run, as a small table."""
    mebibytes = result.downloaded_bytes / _MEBIBYTE
    rate = mebibytes / result.seconds if result.seconds > 0 else 0.0
    table = Table(title=f"results in {folder}", header_style="bold")
    for header in ("downloaded", "skipped (complete)", "failed", "MiB", "seconds", "MiB/s"):
        table.add_column(header, justify="right")
    table.add_row(
        str(len(result.downloaded)),
        str(len(result.skipped)),
        str(len(result.failed)),
        f"{mebibytes:.1f}",
        f"{result.seconds:.2f}",
        f"{rate:.1f}",
    )
    return table


def finish_sync(output: Output, folder: Path, result: SyncReport) -> None:
    """Print the run's summary; exit 1 naming the failed files, if any."""
    if output.json_lines:
        output.print_json_line({"event": "summary", **_as_json(folder, result)})
    elif output.json_mode:
        output.print_json(_as_json(folder, result))
    elif not output.quiet:
        output.stdout.print(summary_table(folder, result))
    if result.failed:
        total = len(result.failed) + len(result.downloaded) + len(result.skipped)
        named = "; ".join(
            f"{request_key(o.request)}: {failure(o, _words)['message']}" for o in result.failed[:3]
        )
        more = f"; and {len(result.failed) - 3} more" if len(result.failed) > 3 else ""
        raise CommandFailed(
            f"{len(result.failed)} of {total} downloads failed: {named}{more} "
            "(run the same command again to retry only those)"
        )
