"""Progress for transfers: rich bars for people, one plain line per file for logs.

``TransferBars`` draws a bar per running file (bytes, rate, ETA) under an overall bar that
counts files until every file's size is known, then bytes (``_estimate.overall_progress``
decides, since the API does not list result sizes). Sizes and rates are binary (MiB), as in
the batch summary.
``PlainLines`` prints ``downloaded <path>`` per finished file and nothing while running.
Both are used through the same three calls: ``start`` (gives the engine's progress callback),
``finished`` and ``failed``.
"""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path
from types import TracebackType
from typing import Protocol

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.progress import Progress as RichProgress
from rich.text import Text

from galatea_async._progress import Progress
from galatea_async.cli._estimate import BatchCounts, binary_size, overall_progress
from galatea_async.cli._output import Output, display_path
from galatea_async.cli._shown import printable

__all__ = ["BatchDisplay", "PlainLines", "TransferBars", "batch_display"]


class BatchDisplay(Protocol):
    """What a batch of transfers tells the user as it goes."""

    def __enter__(self) -> BatchDisplay: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

    def start(self, key: str, label: str) -> Progress: ...

    def finished(self, key: str, path: Path | None) -> None:
        """``key`` is done; ``path`` (where it went) is shown when given."""
        ...

    def failed(self, key: str, label: str, message: str) -> None: ...

    def more_files(self, to_fetch: int, complete: int) -> None:
        """The batch grew as it ran (``results.sync`` plans page by page)."""
        ...


def batch_display(
    output: Output, *, total_files: int, already_complete: int = 0, verb: str = "downloaded"
) -> BatchDisplay:
    """Bars on a terminal, plain lines otherwise (nothing with ``--json`` or ``--quiet``)."""
    if output.interactive:
        return TransferBars(
            output.stderr, total_files=total_files, already_complete=already_complete, verb=verb
        )
    if already_complete:
        output.message(f"{already_complete} files already complete, {total_files} to download")
    return PlainLines(output, verb=verb)


class PlainLines:
    """One line per finished file on stdout; failures on stderr."""

    def __init__(self, output: Output, *, verb: str) -> None:
        self._output = output
        self._verb = verb

    def __enter__(self) -> PlainLines:
        return self

    def __exit__(self, *_: object) -> None:
        return None

    def start(self, key: str, label: str) -> Progress:
        return _ignore

    def finished(self, key: str, path: Path | None) -> None:
        if path is not None:
            self._output.message(f"{self._verb} {display_path(path)}")

    def failed(self, key: str, label: str, message: str) -> None:
        self._output.failure(f"failed {label}: {message}")

    def more_files(self, to_fetch: int, complete: int) -> None:
        return None  # each file has its own line; the summary gives the totals


def _ignore(done: int, total: int | None, /) -> None:
    return None


class TransferBars:
    """A bar per running file under an overall bar, drawn on ``console`` (stderr).

    The overall bar's unit and time left come from ``overall_progress`` with rates measured
    here over a sliding window (rich resets its own estimate whenever a total changes).
    """

    def __init__(
        self,
        console: Console,
        *,
        total_files: int,
        already_complete: int = 0,
        verb: str = "downloaded",
    ) -> None:
        self._total_files = total_files
        self._already_complete = already_complete
        self._verb = verb
        self._progress = RichProgress(
            TextColumn("{task.description}", markup=False),
            BarColumn(bar_width=None),
            _AmountColumn(binary_units=True),
            _SpeedColumn(),
            _RemainingColumn(),
            console=console,
            expand=True,
        )
        self._overall: TaskID | None = None
        self._tasks: dict[str, TaskID] = {}
        self._done: dict[str, int] = {}
        self._totals: dict[str, int] = {}
        self._done_bytes = 0
        self._known_bytes = 0
        self._samples: deque[tuple[float, int, int]] = deque()  # (time, bytes, files)
        self._finished = 0
        self._failed = 0
        self._started_at = time.monotonic()

    def __enter__(self) -> TransferBars:
        self._progress.start()
        if self._total_files > 1:
            self._overall = self._progress.add_task(
                self._overall_label(), total=None, speed=None, remaining=None, unit="files"
            )
        return self

    def __exit__(self, *_: object) -> None:
        self._refresh_overall()
        self._progress.stop()

    def start(self, key: str, label: str) -> Progress:
        task = self._progress.add_task(_shorten(printable(label)), total=None)
        self._tasks[key] = task
        self._done[key] = 0

        def update(done: int, total: int | None, /) -> None:
            self._progress.update(task, completed=done, total=total)
            self._done_bytes += done - self._done.get(key, 0)
            self._done[key] = done
            if total is not None and key not in self._totals:
                self._totals[key] = total
                self._known_bytes += total
            self._refresh_overall()

        return update

    def finished(self, key: str, path: Path | None) -> None:
        self._finish(key)
        self._finished += 1
        if key not in self._totals:
            # Finished without a size given: what arrived is its size.
            self._totals[key] = self._done.get(key, 0)
            self._known_bytes += self._totals[key]
        if self._overall is None and path is not None:
            # A single transfer says where the file went; a batch ends with a summary instead.
            self._progress.console.print(
                f"{self._verb} {escape(printable(str(display_path(path))))}",
                highlight=False,
                soft_wrap=True,
            )
        self._refresh_overall()

    def failed(self, key: str, label: str, message: str) -> None:
        self._finish(key)
        # A failed file's bytes no longer count towards the whole.
        self._done_bytes -= self._done.pop(key, 0)
        self._known_bytes -= self._totals.pop(key, 0)
        self._failed += 1
        self._progress.console.print(
            f"[red]✗[/] {escape(printable(label))}: {escape(printable(message))}",
            highlight=False,
            soft_wrap=True,
        )
        self._refresh_overall()

    def more_files(self, to_fetch: int, complete: int) -> None:
        self._total_files += to_fetch
        self._already_complete += complete
        if self._overall is None and self._total_files > 1:
            self._overall = self._progress.add_task(
                self._overall_label(), total=None, speed=None, remaining=None, unit="files"
            )
        self._refresh_overall()

    def _finish(self, key: str) -> None:
        task = self._tasks.pop(key, None)
        if task is not None:
            self._progress.remove_task(task)

    def _overall_label(self) -> str:
        failed = f", {self._failed} failed" if self._failed else ""
        complete = f" (+{self._already_complete} done before)" if self._already_complete else ""
        return f"all {self._finished}/{self._total_files} files{failed}{complete}"

    def _refresh_overall(self) -> None:
        if self._overall is None:
            return
        done = self._done_bytes
        now = time.monotonic()
        self._samples.append((now, done, self._finished))
        while len(self._samples) > 2 and now - self._samples[0][0] > _RATE_WINDOW:
            self._samples.popleft()
        first_time, first_done, _ = self._samples[0]
        speed = (done - first_done) / (now - first_time) if now > first_time else None
        elapsed = now - self._started_at
        overall = overall_progress(
            BatchCounts(
                total_files=self._total_files,
                finished=self._finished,
                failed=self._failed,
                sized=len(self._totals),
                sized_bytes=self._known_bytes,
                done_bytes=done,
            ),
            # Files finish unevenly: their rate is taken over the whole run, not a window.
            files_per_second=self._finished / elapsed if elapsed > 0 else None,
            bytes_per_second=speed,
        )
        self._progress.update(
            self._overall,
            completed=overall.completed,
            total=overall.total,
            description=self._overall_label(),
            speed=speed,
            remaining=overall.seconds_left,
            unit=overall.unit,
            done_bytes=done,
        )


_RATE_WINDOW = 10.0  # seconds of history behind the overall rate


class _AmountColumn(DownloadColumn):
    """Bytes done of the total (binary units); the overall bar in files says files."""

    def render(self, task: Task) -> Text:
        if task.fields.get("unit") != "files":
            return super().render(task)
        done = binary_size(task.fields.get("done_bytes", 0))
        return Text(
            f"{int(task.completed)}/{int(task.total or 0)} files, {done}",
            style="progress.download",
        )


class _SpeedColumn(TransferSpeedColumn):
    """The transfer speed in binary units (rich's own says MB/s)."""

    def render(self, task: Task) -> Text:
        speed = task.fields.get("speed", task.finished_speed or task.speed)
        if not speed:
            return Text("?", style="progress.data.speed")
        return Text(f"{binary_size(speed)}/s", style="progress.data.speed")


class _RemainingColumn(TimeRemainingColumn):
    """Rich's time remaining, or the one computed by ``TransferBars`` for the overall bar."""

    def render(self, task: Task) -> Text:
        if "remaining" not in task.fields:
            return super().render(task)
        if task.finished:
            return Text("0:00:00", style="progress.remaining")
        remaining = task.fields["remaining"]
        if remaining is None:
            return Text("-:--:--", style="progress.remaining")
        minutes, seconds = divmod(int(remaining), 60)
        hours, minutes = divmod(minutes, 60)
        return Text(f"{hours}:{minutes:02d}:{seconds:02d}", style="progress.remaining")


def _shorten(label: str, width: int = 40) -> str:
    return label if len(label) <= width else "…" + label[-(width - 1) :]
