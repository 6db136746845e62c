"""``files upload-many``: the batch shown as it goes, then its outcomes, and the exit code."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from galatea_async._progress import Progress
from galatea_async.cli._context import CommandFailed, error_report
from galatea_async.cli._output import Output
from galatea_async.cli._progress import batch_display

if TYPE_CHECKING:
    from galatea_async import UploadOutcome

__all__ = ["UploadView"]


class UploadView:
    """``upload_many``'s ``file_progress`` shown through the CLI's batch display."""

    def __init__(self, output: Output, total_files: int) -> None:
        self._output = output
        self._display = batch_display(output, total_files=total_files, verb="uploaded")
        self._bars: dict[Path, Progress] = {}
        self._sent: set[Path] = set()
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> UploadView:
        self._stack.enter_context(self._display)
        return self

    def __exit__(self, *_: object) -> None:
        self._stack.close()

    def file_progress(self, path: Path, done: int, total: int | None) -> None:
        """The per-file callback to give ``upload_many``."""
        if path in self._sent:
            return
        bar = self._bars.get(path)
        if bar is None:
            bar = self._bars[path] = self._display.start(str(path), path.name)
        bar(done, total)
        if total is not None and done == total:
            self._sent.add(path)  # its bar goes; the outcome is said at the end
            self._display.finished(str(path), None)

    def finish(self, outcomes: Sequence[UploadOutcome]) -> None:
        """Print each outcome (JSON with ``--json``); exit 1 naming the failures, if any."""
        output = self._output
        failed = [outcome for outcome in outcomes if not outcome.ok]
        if output.json_mode:
            output.print_json([_as_json(outcome) for outcome in outcomes])
        for outcome in outcomes:
            if outcome.ok and outcome.file is not None:
                output.message(f"uploaded {outcome.path} as file {outcome.file.id}")
            else:
                output.failure(f"failed {outcome.path}: {_message(outcome)}")
        if failed:
            named = "; ".join(f"{outcome.path.name}: {_message(outcome)}" for outcome in failed[:3])
            more = f"; and {len(failed) - 3} more" if len(failed) > 3 else ""
            raise CommandFailed(f"{len(failed)} of {len(outcomes)} uploads failed: {named}{more}")


def _message(outcome: UploadOutcome) -> str:
    return error_report(outcome.error or RuntimeError("failed"))[0]


def _as_json(outcome: UploadOutcome) -> dict[str, object]:
    """The outcome's own JSON, its error worded as the CLI words it."""
    data = outcome.to_dict()
    if outcome.error is not None:
        data["error"] = {"type": type(outcome.error).__name__, "message": _message(outcome)}
    return data
