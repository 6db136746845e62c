"""Progress for transfers: rich bars for people, one plain line per file for logs.

``TransferBars`` draws a bar per running file (bytes, rate, ETA) under an overall bar whose
total is estimated from the sizes seen so far, since the API does not list result sizes.
``PlainReport`` prints ``downloaded <path>`` per finished file and nothing while running.
Both are used through the same three calls: ``start`` (gives the engine's progress callback),
``finished`` and ``failed``.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Protocol

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from galatea_async.cli._output import Output

__all__ = ["BatchReport", "PlainReport", "ProgressCallback", "TransferBars", "batch_report"]


class ProgressCallback(Protocol):
    def __call__(self, done: int, total: int | None, /) -> object: ...


class BatchReport(Protocol):
    """What a batch of transfers tells the user as it goes."""

    def __enter__(self) -> BatchReport: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

    def start(self, key: str, label: str) -> ProgressCallback: ...

    def finished(self, key: str, path: Path) -> None: ...

    def failed(self, key: str, label: str, message: str) -> None: ...


def batch_report(output: Output, *, total_files: int, verb: str = "downloaded") -> BatchReport:
    """Bars on a terminal, plain lines otherwise (nothing with ``--json`` or ``--quiet``)."""
    if output.interactive:
        return TransferBars(output.stderr, total_files=total_files, verb=verb)
    return PlainReport(output, verb=verb)


class PlainReport:
    """One line per finished file on stdout; failures on stderr."""

    def __init__(self, output: Output, *, verb: str) -> None:
        self._output = output
        self._verb = verb

    def __enter__(self) -> PlainReport:
        return self

    def __exit__(self, *_: object) -> None:
        return None

    def start(self, key: str, label: str) -> ProgressCallback:
        return _ignore

    def finished(self, key: str, path: Path) -> None:
        self._output.message(f"{self._verb} {_shown(path)}")

    def failed(self, key: str, label: str, message: str) -> None:
        if not self._output.json_mode:
            self._output.stderr.print(
                f"failed {label}: {message}", markup=False, highlight=False, soft_wrap=True
            )


def _ignore(done: int, total: int | None, /) -> None:
    return None


class TransferBars:
    """A bar per running file under an overall bar, drawn on ``console`` (stderr)."""

    def __init__(self, console: Console, *, total_files: int, verb: str = "downloaded") -> None:
        self._total_files = total_files
        self._verb = verb
        self._progress = Progress(
            TextColumn("{task.description}", markup=False),
            BarColumn(bar_width=None),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=console,
            expand=True,
        )
        self._overall: TaskID | None = None
        self._tasks: dict[str, TaskID] = {}
        self._done: dict[str, int] = {}
        self._totals: dict[str, int] = {}
        self._finished = 0
        self._failed = 0

    def __enter__(self) -> TransferBars:
        self._progress.start()
        if self._total_files > 1:
            self._overall = self._progress.add_task(self._overall_label(), total=None)
        return self

    def __exit__(self, *_: object) -> None:
        self._refresh_overall()
        self._progress.stop()

    def start(self, key: str, label: str) -> ProgressCallback:
        task = self._progress.add_task(_shorten(label), total=None)
        self._tasks[key] = task
        self._done[key] = 0

        def update(done: int, total: int | None, /) -> None:
            self._progress.update(task, completed=done, total=total)
            self._done[key] = done
            if total is not None:
                self._totals[key] = total
            self._refresh_overall()

        return update

    def finished(self, key: str, path: Path) -> None:
        self._finish(key)
        self._finished += 1
        self._progress.console.print(
            f"[green]✓[/] {self._verb} {escape(str(_shown(path)))}", highlight=False, soft_wrap=True
        )
        self._refresh_overall()

    def failed(self, key: str, label: str, message: str) -> None:
        self._finish(key, failed=True)
        self._failed += 1
        self._progress.console.print(
            f"[red]✗[/] {escape(label)}: {escape(message)}", highlight=False, soft_wrap=True
        )
        self._refresh_overall()

    def _finish(self, key: str, *, failed: bool = False) -> None:
        task = self._tasks.pop(key, None)
        if task is not None:
            self._progress.remove_task(task)
        if failed:
            # A failed file's bytes no longer count towards the whole.
            self._done.pop(key, None)
            self._totals.pop(key, None)

    def _overall_label(self) -> str:
        failed = f", {self._failed} failed" if self._failed else ""
        return f"all {self._finished}/{self._total_files} files{failed}"

    def _refresh_overall(self) -> None:
        if self._overall is None:
            return
        done = sum(self._done.values())
        known = len(self._totals)
        estimate: int | None = None
        if known:
            # Files not started yet are assumed to be as large as the average seen so far.
            known_bytes = sum(self._totals.values())
            unseen = max(self._total_files - self._failed - known, 0)
            estimate = known_bytes + unseen * known_bytes // known
        self._progress.update(
            self._overall, completed=done, total=estimate, description=self._overall_label()
        )


def _shown(path: Path) -> Path:
    """``path`` relative to the working directory when it is inside it, for shorter lines."""
    try:
        return path.resolve().relative_to(Path.cwd())
    except ValueError:
        return path


def _shorten(label: str, width: int = 40) -> str:
    return label if len(label) <= width else "…" + label[-(width - 1) :]
